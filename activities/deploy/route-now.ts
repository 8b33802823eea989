import { routerHealthPath, type StackSpec } from '../../infra/deploy/spec';
import { serverWeights } from '../../infra/deploy/traffic';
import { routeWeights } from '../../infra/haproxy/route';
import { parseAdminAddress, setWeights } from '../../infra/haproxy/runtime-api';
import { releaseContainerNames, type EnvironmentState } from '../../model/deploy';
import type { ResolvedDeps } from './deps';
import { applySpec } from './environment';

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

/** How a traffic move was made: the runtime API with a traffic record, or (the router could not take it) a stack update. */
export type TrafficMove = 'runtime-api' | 'stack-update';

/**
 * Gives the candidate `spec.candidateWeight` percent with no `pulumi up`: the weight is recorded first
 * (the traffic record next to the checkpoint, infra/deploy/traffic-record.ts), then the router's
 * backends.cfg is written and the runtime API sets the live weights (infra/haproxy/route.ts). A crash
 * anywhere in between leaves the recorded weight and the router's config ahead of the live weights, and
 * the retry (the same activity, idempotent) finishes the move. When the router cannot take it (no router
 * yet, unreachable, a server missing) the stack update does the move instead, as before.
 */
export async function moveTraffic(deps: ResolvedDeps, state: EnvironmentState | null, spec: StackSpec, releaseId: string, phase: string): Promise<TrafficMove> {
  const router = state?.router;
  if (router && spec.candidate) {
    const started = Date.now();
    try {
      await deps.driver.recordTraffic(spec.service, spec.environment, spec.candidate.releaseId, spec.candidateWeight);
      const commands = await routeWeights(deps.docker, router.container, parseAdminAddress(router.adminAddress), weightsOf(spec), {
        path: routerHealthPath(spec),
        intervalMs: spec.healthIntervalMs,
      });
      deps.log.info('traffic moved through the runtime API', { stack: spec.stack, phase, releaseId, weight: spec.candidateWeight, commands: commands.length, durationMs: Date.now() - started });
      return 'runtime-api';
    } catch (err) {
      deps.log.warn('the router could not take the weights through its runtime API; a stack update sets them', { stack: spec.stack, phase, error: (err as Error).message });
    }
  }
  await applySpec(deps, spec, phase, releaseId);
  return 'stack-update';
}
