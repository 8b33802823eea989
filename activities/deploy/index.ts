import type { PipelineActivities } from '../../model/activities';
import { analyzeCanary } from '../monitor/canary-analysis';
import { withFailures } from '../errors';
import { resolveAnchor } from './anchor';
import { deployCandidate } from './deploy-candidate';
import { resolveDeps, type DeployDeps } from './deps';
import { mapErrors } from './errors';
import { findGateRecord } from './gate';
import { promote, settleRelease } from './promote';
import { rescanTargetNow } from './rescan-target';
import { describeEnvironment, restoreRelease } from './restore';
import { rollback } from './rollback';
import { shiftThenAnalyze, shiftTraffic } from './shift-traffic';

export type { DeployDeps } from './deps';

/**
 * The deploy stage's activities for the worker, by wire name: deployCandidate, shiftTraffic, analyze,
 * promote, rollback (model/activities.ts PipelineActivities), plus restoreRelease and describeEnvironment
 * for `airlock rollback`. Each leaves as a typed ApplicationFailure: retryable when the stack is locked
 * or Docker is down, not when the program fails or the input is bad.
 */
export function createDeployActivities(deps: DeployDeps) {
  const d = resolveDeps(deps);
  const wrap = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => withFailures(mapErrors(fn));
  return {
    deployCandidate: wrap(deployCandidate(d)),
    shiftTraffic: wrap(shiftTraffic(d)),
    // wire name `analyze` (model/activities.ts); `shift: true` moves the traffic first (patch `shift-in-analysis`)
    analyze: wrap(shiftThenAnalyze(shiftTraffic(d), analyzeCanary(d))),
    promote: wrap(promote(d)),
    settleRelease: wrap(settleRelease(d)),
    rollback: wrap(rollback(d)),
    restoreRelease: wrap(restoreRelease(d)),
    describeEnvironment: wrap(describeEnvironment(d)),
    findGateRecord: withFailures(findGateRecord()),
    resolveAnchor: wrap(resolveAnchor(d)),
    rescanTargetNow: withFailures(rescanTargetNow(d)),
  };
}

export type DeployActivities = ReturnType<typeof createDeployActivities>;

type DeployContract = Pick<PipelineActivities, 'deployCandidate' | 'shiftTraffic' | 'analyze' | 'promote' | 'settleRelease' | 'rollback'>;
/** The contract, where it says Promise<void> accepting a result (the workflow may ignore it). */
type AcceptingResults<T> = { [K in keyof T]: T[K] extends (...args: infer A) => Promise<void> ? (...args: A) => Promise<unknown> : T[K] };
/** Compile-time check: these activities take the pipeline workflow's inputs. */
export const satisfiesPipelineContract = (a: DeployActivities): AcceptingResults<DeployContract> => a;
