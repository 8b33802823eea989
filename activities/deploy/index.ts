import { analyze } from '../monitor/analyze';
import { withFailures } from '../errors';
import { deployCandidate } from './deploy-candidate';
import { resolveDeps, type DeployDeps } from './deps';
import { mapErrors } from './errors';
import { promote } from './promote';
import { describeEnvironment, restoreRelease } from './restore';
import { rollback } from './rollback';
import { shiftTraffic } from './shift-traffic';

export type { DeployDeps } from './deps';
export type { RestoreRequest, RestoreResult } from './restore';

/**
 * The deploy stage's activities for the worker: deployCandidate, shiftTraffic, analyze, promote, rollback
 * (and restoreRelease / describeEnvironment for `airlock rollback`). Each leaves as a typed
 * ApplicationFailure: retryable when the stack is locked or Docker is down, not when the program fails.
 */
export function createDeployActivities(deps: DeployDeps) {
  const d = resolveDeps(deps);
  const wrap = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => withFailures(mapErrors(fn));
  return {
    deployCandidate: wrap(deployCandidate(d)),
    shiftTraffic: wrap(shiftTraffic(d)),
    analyze: wrap(analyze(d)),
    promote: wrap(promote(d)),
    rollback: wrap(rollback(d)),
    restoreRelease: wrap(restoreRelease(d)),
    describeEnvironment: wrap(describeEnvironment(d)),
  };
}

export type DeployActivities = ReturnType<typeof createDeployActivities>;
