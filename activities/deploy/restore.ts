import { planRestore } from '../../infra/deploy/plan';
import { environmentRefSchema, releaseContainerNames, restoreInputSchema, type EnvironmentRef, type EnvironmentState, type RestoreInput, type RestoreResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { DeployProgramError } from '../errors';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';
import { checkLease } from './lease';

/**
 * Manual rollback (`airlock rollback --to <release id>`): puts a release from the environment's history
 * back at once, from its image digest (new containers), and removes what serves now. Without a release
 * id, the one before the current stable release. No analysis: this is the way back, allowed in freezes.
 */
export function restoreRelease(deps: ResolvedDeps) {
  return async (input: RestoreInput): Promise<RestoreResult> => {
    const req = parseWith(restoreInputSchema, input, 'restoreRelease input');
    await checkLease(deps, req, req.lease);
    const env = await loadEnvironment(deps, req);
    if (!env) throw new DeployProgramError(`${req.service}/${req.environment} was never deployed: there is nothing to roll back to`);
    const plan = planRestore(env.spec, req.toReleaseId, deps.now().toISOString());
    const stable = plan.spec.stable!;
    if (plan.reused) return { stable: { releaseId: stable.releaseId, image: stable.image, containers: releaseContainerNames(stable.releaseId, stable.replicas) }, removed: [], reused: true };
    const out = await applySpec(deps, plan.spec, 'restore', stable.releaseId);
    return { stable: out.state.stable!, removed: plan.removed, reused: false };
  };
}

/** The environment as its stack says (null when it was never deployed). */
export function describeEnvironment(deps: ResolvedDeps) {
  return async (input: EnvironmentRef): Promise<EnvironmentState | null> => {
    const req = parseWith(environmentRefSchema, input, 'describeEnvironment input');
    const out = await deps.driver.outputs(req.service, req.environment);
    return out?.state ?? null;
  };
}
