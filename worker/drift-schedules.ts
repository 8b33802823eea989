import { deployedEnvironments, ensureDriftSchedule } from '../activities/drift/schedule';
import type { AirlockConfig } from '../infra/config';
import { dockerClient } from '../infra/local/probes';
import { connectClient } from '../infra/temporal/connection';
import { driftScheduleId } from '../model/drift';
import { driftPolicySchema } from '../model/drift-policy';

/**
 * At worker start: a drift schedule for every environment that has a router, at the default interval
 * when it has none yet (an existing one keeps the interval its last check took from the policy).
 */
export async function ensureDriftSchedules(config: AirlockConfig): Promise<string[]> {
  const client = await connectClient(config.temporal);
  const every = driftPolicySchema.parse({}).driftEvery;
  const done: string[] = [];
  try {
    for (const env of await deployedEnvironments(dockerClient(config))) {
      const desc = await client.schedule
        .getHandle(driftScheduleId(env.service, env.environment))
        .describe()
        .catch(() => undefined);
      if (!desc) done.push(`${env.service}/${env.environment}: ${await ensureDriftSchedule(client, config.temporal.taskQueue, { ...env, every })}`);
    }
  } finally {
    await client.connection.close();
  }
  return done;
}
