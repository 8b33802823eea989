import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { rescanScheduleId, type RescanTarget } from '../../model/compliance';
import { environmentRefSchema } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { rescanTargetSchema } from '../compliance/schedule';
import { stableCommit } from './anchor';
import type { ResolvedDeps } from './deps';

export interface RescanTargetNowInput {
  service: string;
  environment: string;
  /** The workflow that moved the environment (`airlock deploy`, `airlock rollback`): recorded as the target's pipelineId. */
  movedBy: string;
}

/**
 * What the environment's rescan schedule must rescan now that `airlock deploy` or `airlock rollback` changed
 * the release it runs: the stable release of its deploy state, with the policy source of the schedule's
 * current target (the repository and service directory a pipeline of the environment promoted from) at the
 * new release's commit. Null when there is no schedule (no pipeline of the environment was promoted yet:
 * there is no protected policy to judge with) or no stable release.
 */
export function rescanTargetNow(deps: ResolvedDeps, clientOf: () => Client = () => Context.current().client) {
  return async (input: RescanTargetNowInput): Promise<RescanTarget | null> => {
    const ref = parseWith(environmentRefSchema, { service: input.service, environment: input.environment }, 'rescanTargetNow input');
    let described;
    try {
      described = await clientOf().schedule.getHandle(rescanScheduleId(ref.service, ref.environment)).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return null;
      throw err;
    }
    const args = described.action.type === 'startWorkflow' ? described.action.args : undefined;
    const current = rescanTargetSchema.safeParse(args?.[0]);
    if (!current.success) {
      deps.log.warn('the rescan schedule has no target airlock wrote: left as it is', { scheduleId: described.scheduleId });
      return null;
    }
    const stable = (await deps.driver.outputs(ref.service, ref.environment))?.state?.stable as { releaseId: string; image: string; commit?: string } | null | undefined;
    if (!stable) return null;
    const prev = current.data;
    let commit = prev.source.commit;
    try {
      commit = await stableCommit(prev.source.repo, stable);
    } catch (err) {
      // deployed with `airlock deploy --image` under a release id that names no commit: the policy stays the one the schedule had
      deps.log.warn('the running release names no commit in the repository: its rescans keep the previous policy source', { releaseId: stable.releaseId, error: String(err) });
    }
    return parseWith(rescanTargetSchema, { ...prev, releaseId: stable.releaseId, image: stable.image, source: { ...prev.source, commit }, pipelineId: input.movedBy }, 'rescan target');
  };
}
