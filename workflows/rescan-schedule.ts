import { log, patched } from '@temporalio/workflow';
import type { RescanTarget } from '../model/compliance';
import type { LoadedPolicy } from '../model/policy';
import { complianceActivities as act, localActivities } from './activity-options';

// The after-deploy schedules of an environment (docs/compliance.md) follow the release it runs: the rescan
// schedule `airlock-rescan/<service>/<env>` and the drift schedule `airlock-drift/<service>/<env>`. A pipeline
// that promotes, `airlock deploy` and `airlock rollback` all point them at what now serves.

/** From this patch on, a promotion also creates (or re-times) the environment's drift schedule at the policy's `driftEvery`. */
export const DRIFT_AT_PROMOTION_PATCH = 'drift-schedule-at-promotion';

/** From this patch on, `airlock deploy` and `airlock rollback` point the rescan schedule at the release they leave serving. */
export const FOLLOW_RELEASE_PATCH = 'compliance-follow-release';

/** The environment's protected policy now: the one at the running release's commit, its anchor. */
export async function environmentPolicy(target: RescanTarget): Promise<LoadedPolicy> {
  const { repo, commit, serviceDir } = target.source;
  const read = await act.readAnchorPolicy({ releaseId: target.releaseId, repo, serviceDir, environment: target.environment, headCommit: commit, anchor: commit });
  return read.policy;
}

/**
 * Called when a pipeline promotes a release (patch `compliance-schedule`): the environment's rescan schedule
 * now rescans this release, every `compliance.rescanEvery` of its policy, and (patch
 * `drift-schedule-at-promotion`) its drift schedule exists at `compliance.driftEvery`. The release is live
 * already: a failure here is logged, not the pipeline's outcome.
 */
export async function scheduleRescanOf(target: RescanTarget, how: { sideBySide?: boolean; local?: boolean } = {}): Promise<void> {
  try {
    const policy = await environmentPolicy(target);
    // two quick schedule writes: local activities when the caller says so (pipeline patch `local-quick-steps`)
    const writes = how.local ? localActivities : act;
    const rescan = writes.scheduleRescan({ target, policy });
    // the two schedules are independent: side by side when the caller says so (pipeline patch `overlap-independent-steps`)
    if (how.sideBySide) await Promise.all([rescan, ensureDrift(target, policy, writes)]);
    else {
      await rescan;
      await ensureDrift(target, policy, writes);
    }
  } catch (err) {
    log.warn('the rescan schedule was not written', { releaseId: target.releaseId, error: String(err) });
  }
}

async function ensureDrift(target: RescanTarget, policy: LoadedPolicy, writes: Pick<typeof act, 'ensureDriftSchedule'>): Promise<void> {
  if (patched(DRIFT_AT_PROMOTION_PATCH))
    await writes.ensureDriftSchedule({ service: target.service, environment: target.environment, every: policy.policy.compliance.driftEvery });
}

/**
 * After `airlock deploy` promoted or `airlock rollback` restored a release (patch `compliance-follow-release`):
 * the rescan schedule rescans the release that serves now, judged with the policy at its commit. Nothing to
 * do when no pipeline of the environment set up a schedule. Logged, never the workflow's outcome.
 */
export async function followRunningRelease(ref: { service: string; environment: string; movedBy: string }): Promise<void> {
  if (!patched(FOLLOW_RELEASE_PATCH)) return;
  try {
    const target = await act.rescanTargetNow(ref);
    if (target) await scheduleRescanOf(target);
  } catch (err) {
    log.warn('the rescan schedule was not pointed at the running release', { ...ref, error: String(err) });
  }
}
