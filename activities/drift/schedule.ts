import { Context } from '@temporalio/activity';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type Docker from 'dockerode';
import { LABELS } from '../../infra/deploy/labels';
import { driftScheduleId } from '../../model/drift';
import { policyDurationMs } from '../../model/policy';

export interface DriftScheduleInput {
  service: string;
  environment: string;
  /** policy duration (`1h`) */
  every: string;
}

/**
 * The Temporal Schedule that runs `driftCheck` for one environment every `every`: created when missing,
 * its interval updated when the policy changed it, left alone otherwise (idempotent).
 */
export async function ensureDriftSchedule(client: Client, taskQueue: string, input: DriftScheduleInput): Promise<'created' | 'updated' | 'unchanged'> {
  const scheduleId = driftScheduleId(input.service, input.environment);
  const everyMs = policyDurationMs(input.every);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'driftCheck',
    workflowId: scheduleId,
    taskQueue,
    args: [{ service: input.service, environment: input.environment }],
  };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    const desc = await handle.describe();
    const current = desc.spec.intervals?.[0]?.every;
    const currentMs = typeof current === 'number' ? current : undefined;
    if (currentMs === everyMs) return 'unchanged';
    await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: everyMs }] } }));
    return 'updated';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  try {
    await client.schedule.create({ scheduleId, spec: { intervals: [{ every: everyMs }] }, action });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'unchanged';
    throw err;
  }
}

/** The environments that have a router (docker label airlock.role=router): the ones a drift check can look at. */
export async function deployedEnvironments(docker: Docker): Promise<{ service: string; environment: string }[]> {
  const routers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.role}=router`] } });
  const seen = new Map<string, { service: string; environment: string }>();
  for (const r of routers) {
    const service = r.Labels[LABELS.service];
    const environment = r.Labels[LABELS.env];
    if (service && environment) seen.set(`${service}/${environment}`, { service, environment });
  }
  return [...seen.values()];
}

export function createScheduleActivities() {
  return {
    ensureDriftSchedule: async (input: DriftScheduleInput) => ensureDriftSchedule(Context.current().client, Context.current().info.taskQueue, input),
  };
}
export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;
