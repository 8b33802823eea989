import { planRollback } from '../../infra/deploy/plan';
import { rollbackInputSchema, type RollbackInput, type RollbackResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from './deps';
import { removeLeftovers } from './cleanup';
import { applySpec, loadEnvironment } from './environment';
import { checkLease } from './lease';
import { routeNow } from './route-now';

/**
 * Takes the candidate out of user traffic at once (runtime API: milliseconds), then destroys its
 * containers (stack update). Idempotent: nothing deployed, or a candidate already gone, is a no-op.
 */
export function rollback(deps: ResolvedDeps) {
  return async (input: RollbackInput): Promise<RollbackResult> => {
    const req = parseWith(rollbackInputSchema, input, 'rollback input');
    await checkLease(deps, req, req.lease);
    const started = Date.now();
    const env = await loadEnvironment(deps, req);
    if (!env) return { stable: null, removed: [], trafficRestoredMs: 0, reused: true };
    const { spec, state } = env;
    const plan = planRollback(spec, req.releaseId);
    if (plan.reused) {
      // Not in the stack's spec, but a failed or interrupted deploy may have left containers of it.
      const leftovers = await removeLeftovers(deps, spec, req.releaseId);
      return { stable: state?.stable ?? null, removed: leftovers.length ? [req.releaseId] : [], trafficRestoredMs: 0, reused: true };
    }

    let trafficRestoredMs = 0;
    if (await routeNow(deps, state, { ...spec, candidateWeight: 0 }, 'rollback')) {
      trafficRestoredMs = Date.now() - started;
      deps.log.info('traffic back on the stable release', { releaseId: req.releaseId, ms: trafficRestoredMs, reason: req.reason });
    }
    const out = await applySpec(deps, plan.spec, 'rollback', req.releaseId);
    return { stable: out.state.stable, removed: plan.removed, trafficRestoredMs: trafficRestoredMs || Date.now() - started, reused: false };
  };
}
