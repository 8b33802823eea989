import { ActivityFailure, ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import type { FlagKillInput, FlagKillResult } from '../model/flag-activities';
import { flagKillProblem, verifyFlagKill } from '../model/flag-rules';
import { routeByRole } from './activity-options';
import { flagActivities } from './flag-activities';
import { FLAG_EVIDENCE_PATCH, recordFlagChange } from './flag-evidence';

// `airlock flag kill`: off for everyone, at once. It does not wait for the environment lock (a rollout or a
// deploy may hold it for hours; killing only ever goes back to the code that runs); the flag store's own
// mutex orders it with a rollout's writes, and a rollout cannot raise a killed flag again.
// Signed: the signature binds service, environment, flag, reason and this workflow's id, and must verify
// against an approver of the environment's protected policy (read by the worker at the promoted commit).

export async function flagKill(input: FlagKillInput): Promise<FlagKillResult> {
  const { service, environment, flag, reason, by, signature } = input;
  const { workflowId } = workflowInfo();
  const subject = { service, environment, flag, reason, workflowId };
  let publicKey: string | undefined;
  try {
    // the routes are asked for beside the approvers (patch `queues-by-role`): no extra round trip before the kill
    const [groups] = await Promise.all([flagActivities.killApprovers({ service, environment, flag }), routeByRole()]);
    const problem = flagKillProblem(groups, subject, { by, signature });
    if (problem) return { kind: 'refused', reason: problem };
    publicKey = Object.values(groups)
      .flat()
      .find((a) => a.id === by && verifyFlagKill(a.publicKey, signature, subject))?.publicKey;
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.message : String(err);
    return { kind: 'refused', reason: cause };
  }
  const record = await flagActivities.killFlag({ service, environment, flag, by, reason });
  // off already: then the signed kill goes into the serving release's chain (who, why, the signature)
  if (patched(FLAG_EVIDENCE_PATCH) && publicKey) {
    try {
      const anchor = await flagActivities.flagAnchor({ service, environment, flag });
      const evidence = await recordFlagChange(anchor, { service, environment, flag, change: 'kill', outcome: { kind: 'killed', share: 0, by, reason }, kill: { by, reason, publicKey, signature } });
      return { kind: 'killed', record, evidence };
    } catch {
      return { kind: 'killed', record, evidence: { recorded: false } };
    }
  }
  return { kind: 'killed', record };
}
