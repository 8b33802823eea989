import type { StackSpec } from '../../infra/deploy/spec';
import { serverWeights } from '../../infra/deploy/traffic';
import { parseAdminAddress, setWeights } from '../../infra/haproxy/runtime-api';
import { releaseContainerNames, type EnvironmentState } from '../../model/deploy';
import type { ResolvedDeps } from './deps';

/** Router weights for the spec's stable/candidate split. */
export function weightsOf(spec: Pick<StackSpec, 'stable' | 'candidate' | 'candidateWeight'>): Record<string, number> {
  return serverWeights({
    stable: spec.stable ? releaseContainerNames(spec.stable.releaseId, spec.stable.replicas) : [],
    candidate: spec.candidate ? releaseContainerNames(spec.candidate.releaseId, spec.candidate.replicas) : [],
    candidatePercent: spec.candidateWeight,
  });
}

/**
 * Moves traffic at once through the router's runtime API (milliseconds), before the stack update that
 * records it (seconds). Returns false, logging why, when the router cannot be reached: the update will
 * set the same weights.
 */
export async function routeNow(deps: ResolvedDeps, state: EnvironmentState | null, weights: Record<string, number>): Promise<boolean> {
  if (!state?.router) return false;
  try {
    await setWeights(parseAdminAddress(state.router.adminAddress), weights);
    return true;
  } catch (err) {
    deps.log.warn('router runtime API unavailable; the stack update sets the weights', { error: (err as Error).message });
    return false;
  }
}
