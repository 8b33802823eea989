import { planPromote } from '../../infra/deploy/plan';
import { serverWeights } from '../../infra/deploy/traffic';
import { parseAdminAddress, setWeights, waitDrained } from '../../infra/haproxy/runtime-api';
import { releaseActionSchema, releaseContainerNames, type PromoteResult, type ReleaseAction } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';

/** How long promotion waits for the old release's open requests to finish before destroying it. */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The candidate takes all traffic and becomes the stable release; the old release is drained (no new
 * requests, open ones finish) and its containers destroyed. Idempotent: promoting the stable release
 * again is a no-op.
 */
export function promote(deps: ResolvedDeps) {
  return async (input: ReleaseAction): Promise<PromoteResult> => {
    const req = parseWith(releaseActionSchema, input, 'promote input');
    const { spec, state } = await loadEnvironment(deps, req.target);
    const plan = planPromote(spec, req.releaseId, deps.now().toISOString());
    const release = plan.spec.stable!;
    const stableOut = { releaseId: release.releaseId, image: release.image, containers: releaseContainerNames(release.releaseId, release.replicas) };
    if (plan.reused) return { stable: stableOut, removed: [], reused: true };

    if (spec.stable && state?.router) {
      const old = releaseContainerNames(spec.stable.releaseId, spec.stable.replicas);
      const admin = parseAdminAddress(state.router.adminAddress);
      deps.heartbeat({ phase: 'drain', releaseId: req.releaseId });
      await setWeights(admin, serverWeights({ stable: old, candidate: stableOut.containers, candidatePercent: 100 }));
      const left = await waitDrained(admin, old, DRAIN_TIMEOUT_MS);
      if (left > 0) deps.log.warn('old release not drained in time, destroying it anyway', { sessions: left, release: spec.stable.releaseId });
    }
    const out = await applySpec(deps, plan.spec, 'promote', req.releaseId);
    return { stable: out.state.stable ?? stableOut, removed: plan.removed, reused: false };
  };
}
