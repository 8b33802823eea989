import type { Client } from '@temporalio/client';
import { lockWorkflowId } from '../../model/names';

/**
 * Ends what an interrupted earlier run (a demo or a benchmark stopped with Ctrl-C or kill) left running in
 * `environments` of `service`: its pipelines and flag rollouts (by search attribute) and the environments'
 * lock workflows. Left alone, a lock held by a dead run's pipeline makes every new pipeline there wait on it,
 * and an abandoned pipeline goes on when a worker polls its queue again. Returns the workflow ids it ended.
 */
export async function endLeftovers(client: Client, service: string, environments: readonly string[], reason: string): Promise<string[]> {
  const quoted = environments.map((e) => `'${e.replace(/'/g, '')}'`).join(', ');
  const running = client.workflow.list({ query: `ExecutionStatus = 'Running' AND AirlockService = '${service.replace(/'/g, '')}' AND AirlockEnvironment IN (${quoted})` });
  const ids: string[] = [];
  for await (const w of running) ids.push(w.workflowId);
  ids.push(...environments.map((e) => lockWorkflowId(service, e)));
  const ended: string[] = [];
  for (const id of ids) if (await client.workflow.getHandle(id).terminate(reason).then(() => true, () => false)) ended.push(id);
  return ended;
}
