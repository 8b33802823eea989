import { z } from 'zod';
import { planRestore } from '../../infra/deploy/plan';
import { deployTargetSchema, releaseContainerNames, type DeployedRelease, type EnvironmentState } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';

export const restoreRequestSchema = z.object({ target: deployTargetSchema, releaseId: z.string().min(1).optional(), reason: z.string().optional() }).strict();
export type RestoreRequest = z.output<typeof restoreRequestSchema>;

export interface RestoreResult {
  stable: DeployedRelease;
  removed: string[];
  reused: boolean;
}

/**
 * Manual rollback (`airlock rollback --to <release id>`): puts a release from the environment's history
 * back at once, from its image digest (new containers), and removes what serves now. Without a release
 * id, the one before the current stable release.
 */
export function restoreRelease(deps: ResolvedDeps) {
  return async (input: RestoreRequest): Promise<RestoreResult> => {
    const req = parseWith(restoreRequestSchema, input, 'restoreRelease input');
    const { spec } = await loadEnvironment(deps, req.target);
    const plan = planRestore(spec, req.releaseId, req.target, deps.now().toISOString());
    const target = plan.spec.stable!;
    if (plan.reused) return { stable: { releaseId: target.releaseId, image: target.image, containers: releaseContainerNames(target.releaseId, target.replicas) }, removed: [], reused: true };
    const out = await applySpec(deps, plan.spec, 'restore', target.releaseId);
    return { stable: out.state.stable!, removed: plan.removed, reused: false };
  };
}

/** The environment as its stack says (null when it was never deployed). */
export function describeEnvironment(deps: ResolvedDeps) {
  return async (input: { service: string; environment: string }): Promise<EnvironmentState | null> => {
    const out = await deps.driver.outputs(input.service, input.environment);
    return out?.state ?? null;
  };
}
