import { planPromote } from '../../infra/deploy/plan';
import { parseAdminAddress, waitDrained } from '../../infra/haproxy/runtime-api';
import { promoteInputSchema, releaseContainerNames, type PromoteInput, type PromoteResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { DeployProgramError } from '../errors';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';
import { checkLease } from './lease';
import { routeNow, weightsOf } from './route-now';

/** How long promotion waits for the old release's open requests to finish before destroying it. */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The candidate takes all traffic and becomes the stable release; the old release is drained (no new
 * requests, open ones finish) and its containers destroyed. Idempotent: promoting the stable release
 * again is a no-op.
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

    if (spec.stable && (await routeNow(deps, state, weightsOf({ ...spec, candidateWeight: 100 })))) {
      deps.heartbeat({ phase: 'drain', releaseId: req.releaseId });
      const old = releaseContainerNames(spec.stable.releaseId, spec.stable.replicas);
      const left = await waitDrained(parseAdminAddress(state!.router!.adminAddress), old, DRAIN_TIMEOUT_MS);
      if (left > 0) deps.log.warn('old release not drained in time, destroying it anyway', { sessions: left, release: spec.stable.releaseId });
    }
    const out = await applySpec(deps, plan.spec, 'promote', req.releaseId);
    return { stable: out.state.stable ?? stable, removed: plan.removed, reused: false };
  };
}
