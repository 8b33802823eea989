import { routerHealthPath, type StackSpec } from '../../infra/deploy/spec';
import { serverWeights } from '../../infra/deploy/traffic';
import { routeWeights } from '../../infra/haproxy/route';
import { parseAdminAddress } from '../../infra/haproxy/runtime-api';
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

/** How a traffic move was made: the runtime API with a traffic record, or (the router could not take it) a stack update. */
export type TrafficMove = 'runtime-api' | 'stack-update';

/**
 * Gives the candidate `spec.candidateWeight` percent at once, with no `pulumi up`: the weight is recorded
 * first (the traffic record next to the checkpoint, infra/deploy/traffic-record.ts), then the router's
 * backends.cfg is written and the runtime API sets the live weights (infra/haproxy/route.ts). A crash
 * anywhere in between leaves the recorded weight and the router's config (what a restarted router
 * loads) ahead of the live weights, never behind, and the retry (the same activity, idempotent) finishes
 * the move. Returns false, logging why, when the router cannot take it (no router yet, unreachable, a
 * server missing): then a stack update must set the weights.
 */
export async function routeNow(deps: ResolvedDeps, state: EnvironmentState | null, spec: StackSpec, phase: string): Promise<boolean> {
  const router = state?.router;
  if (!router) return false;
  const started = Date.now();
  try {
    if (spec.candidate) await deps.driver.recordTraffic(spec.service, spec.environment, spec.candidate.releaseId, spec.candidateWeight);
    const commands = await routeWeights(deps.docker, router.container, parseAdminAddress(router.adminAddress), weightsOf(spec), {
      path: routerHealthPath(spec),
      intervalMs: spec.healthIntervalMs,
    });
    deps.log.info('traffic moved through the runtime API', { stack: spec.stack, phase, weight: spec.candidateWeight, commands: commands.length, durationMs: Date.now() - started });
    return true;
  } catch (err) {
    deps.log.warn('the router could not take the weights through its runtime API; a stack update sets them', { stack: spec.stack, phase, error: (err as Error).message });
    return false;
  }
}

/** routeNow, or when the router cannot take it, the stack update with the spec (as before issue 13). */
export async function moveTraffic(deps: ResolvedDeps, state: EnvironmentState | null, spec: StackSpec, releaseId: string, phase: string): Promise<TrafficMove> {
  if (await routeNow(deps, state, spec, phase)) return 'runtime-api';
  await applySpec(deps, spec, phase, releaseId);
  return 'stack-update';
}
