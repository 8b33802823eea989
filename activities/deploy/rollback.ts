import { planRollback } from '../../infra/deploy/plan';
import { serverWeights } from '../../infra/deploy/traffic';
import { parseAdminAddress, setWeights } from '../../infra/haproxy/runtime-api';
import { releaseActionSchema, releaseContainerNames, type ReleaseAction, type RollbackResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';

/**
 * Takes the candidate out of user traffic at once (runtime API: milliseconds), then destroys its
 * containers (Pulumi). Idempotent: rolling back a release that is gone is a no-op.
 */
export function rollback(deps: ResolvedDeps) {
  return async (input: ReleaseAction): Promise<RollbackResult> => {
    const req = parseWith(releaseActionSchema, input, 'rollback input');
    const started = Date.now();
    const { spec, state } = await loadEnvironment(deps, req.target);
    const plan = planRollback(spec, req.releaseId);
    const stable = state?.stable ?? null;
    if (plan.reused) return { stable, removed: [], trafficRestoredMs: 0, reused: true };

    let trafficRestoredMs = 0;
    if (state?.router && spec.candidate) {
      try {
        await setWeights(
          parseAdminAddress(state.router.adminAddress),
          serverWeights({
            stable: spec.stable ? releaseContainerNames(spec.stable.releaseId, spec.stable.replicas) : [],
            candidate: releaseContainerNames(spec.candidate.releaseId, spec.candidate.replicas),
            candidatePercent: 0,
          }),
        );
        trafficRestoredMs = Date.now() - started;
        deps.log.info('traffic back on the stable release', { releaseId: req.releaseId, ms: trafficRestoredMs, reason: req.reason });
      } catch (err) {
        deps.log.warn('could not move traffic through the runtime API; the stack update will', { error: (err as Error).message });
      }
    }
    const out = await applySpec(deps, plan.spec, 'rollback', req.releaseId);
    if (!trafficRestoredMs) trafficRestoredMs = Date.now() - started;
    return { stable: out.state.stable, removed: plan.removed, trafficRestoredMs, reused: false };
  };
}
