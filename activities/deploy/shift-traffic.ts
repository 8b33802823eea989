import { planShift } from '../../infra/deploy/plan';
import { shiftInputSchema, type ShiftInput, type ShiftResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { DeployProgramError } from '../errors';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';
import { checkLease } from './lease';
import { routeNow, weightsOf } from './route-now';

/**
 * Gives the candidate `weight` percent of user traffic; the stack update sets the router's weights
 * through its runtime API (no reload). Less traffic for the candidate (0: everything back to stable, the
 * compensation) goes to the router at once, before the update: a retreat must not wait for Pulumi.
 */
export function shiftTraffic(deps: ResolvedDeps) {
  return async (input: ShiftInput): Promise<ShiftResult> => {
    const req = parseWith(shiftInputSchema, input, 'shiftTraffic input');
    await checkLease(deps, req, req.lease);
    const env = await loadEnvironment(deps, req);
    if (!env) throw new DeployProgramError(`${req.service}/${req.environment} is not deployed: no traffic to shift`);
    const plan = planShift(env.spec, req.releaseId, req.weight);
    const servers = weightsOf(plan.spec);
    if (!plan.reused) {
      if (req.weight < env.spec.candidateWeight) await routeNow(deps, env.state, servers);
      await applySpec(deps, plan.spec, `shift-traffic-${req.weight}`, req.releaseId);
    }
    return { releaseId: req.releaseId, weight: req.weight, servers };
  };
}
