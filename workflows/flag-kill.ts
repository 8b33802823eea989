import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { FlagKillInput, FlagKillResult } from '../model/flag-activities';
import { flagKillProblem } from '../model/flag-rules';
import { routeByRole } from './activity-options';
import { flagActivities } from './flag-activities';

// `airlock flag kill`: off for everyone, at once. It does not wait for the environment lock (a rollout or a
// deploy may hold it for hours; killing only ever goes back to the code that runs); the flag store's own
// mutex orders it with a rollout's writes, and a rollout cannot raise a killed flag again.
// Signed: the signature binds service, environment, flag, reason and this workflow's id, and must verify
// against an approver of the environment's protected policy (read by the worker at the promoted commit).

export async function flagKill(input: FlagKillInput): Promise<FlagKillResult> {
  const { service, environment, flag, reason, by, signature } = input;
  const { workflowId } = workflowInfo();
  try {
    // the routes are asked for beside the approvers (patch `queues-by-role`): no extra round trip before the kill
    const [groups] = await Promise.all([flagActivities.killApprovers({ service, environment, flag }), routeByRole()]);
    const problem = flagKillProblem(groups, { service, environment, flag, reason, workflowId }, { by, signature });
    if (problem) return { kind: 'refused', reason: problem };
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : String(err);
    return { kind: 'refused', reason: cause };
  }
  const record = await flagActivities.killFlag({ service, environment, flag, by, reason });
  return { kind: 'killed', record };
}
