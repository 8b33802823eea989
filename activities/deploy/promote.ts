import { planPromote } from '../../infra/deploy/plan';
import { parseAdminAddress, waitDrained } from '../../infra/haproxy/runtime-api';
import { promoteInputSchema, releaseContainerNames, type PromoteInput, type PromoteResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { DeployProgramError } from '../errors';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment, type LoadedEnvironment } from './environment';
import { checkLease } from './lease';
import { moveTraffic, routeNow } from './route-now';

/** How long promotion waits for the old release's open requests to finish before destroying it. */
export const DRAIN_TIMEOUT_MS = 10_000;

async function drain(deps: ResolvedDeps, env: LoadedEnvironment, releaseId: string): Promise<void> {
  const { spec, state } = env;
  if (!spec.stable || !state?.router) return;
  deps.heartbeat({ phase: 'drain', releaseId });
  const old = releaseContainerNames(spec.stable.releaseId, spec.stable.replicas);
  const left = await waitDrained(parseAdminAddress(state.router.adminAddress), old, DRAIN_TIMEOUT_MS);
  if (left > 0) deps.log.warn('old release not drained in time', { sessions: left, release: spec.stable.releaseId });
}

/**
 * The candidate takes all traffic and becomes the stable release; the old release is drained (no new
 * requests, open ones finish) and its containers destroyed. Idempotent: promoting the stable release
 * again is a no-op.
 *
 * With `settle: 'later'` (patch `settle-after-promote`) it stops once the traffic is final: all of it on
 * the candidate through the runtime API (recorded, route-now.ts moveTraffic) and the old release drained.
 * The outcome is known then; settleRelease does the stack update (old release destroyed, the promotion
 * recorded) after it, off the rollout's critical path.
 */
export function promote(deps: ResolvedDeps) {
  return async (input: PromoteInput): Promise<PromoteResult> => {
    const req = parseWith(promoteInputSchema, input, 'promote input');
    await checkLease(deps, req, req.lease);
    const env = await loadEnvironment(deps, req);
    if (!env) throw new DeployProgramError(`${req.service}/${req.environment} is not deployed: nothing to promote`);
    const { spec, state } = env;
    const plan = planPromote(spec, req.releaseId, deps.now().toISOString());
    const release = plan.spec.stable!;
    const stable = { releaseId: release.releaseId, image: release.image, containers: releaseContainerNames(release.releaseId, release.replicas) };
    if (plan.reused) return { stable, removed: [], reused: true };

    if (req.settle === 'later') {
      await moveTraffic(deps, state, { ...spec, candidateWeight: 100 }, req.releaseId, 'promote');
      await drain(deps, env, req.releaseId);
      return { stable, removed: [], reused: false, settled: false };
    }
    if (spec.stable && (await routeNow(deps, state, { ...spec, candidateWeight: 100 }, 'promote'))) await drain(deps, env, req.releaseId);
    const out = await applySpec(deps, plan.spec, 'promote', req.releaseId);
    return { stable: out.state.stable ?? stable, removed: plan.removed, reused: false, settled: true };
  };
}

/**
 * After `promote` with `settle: 'later'`: the stack update that records the promotion (the candidate is
 * the stable release, the old one destroyed, the weights in the checkpoint). Idempotent by release id:
 * once recorded, a retry changes nothing. The traffic is all on the candidate already; the router is
 * asked again first in case a restarted router came back without it.
 */
export function settleRelease(deps: ResolvedDeps) {
  const full = promote(deps);
  return async (input: PromoteInput): Promise<PromoteResult> => full({ ...parseWith(promoteInputSchema, input, 'settleRelease input'), settle: undefined });
}
