import { planShift } from '../../infra/deploy/plan';
import { shiftInputSchema, type ShiftInput, type ShiftResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { DeployProgramError } from '../errors';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';
import { routeNow, weightsOf } from './route-now';

/**
 * Gives the candidate `weight` percent of user traffic: router weights through the runtime API at once
 * (no reload), then recorded in the stack. Weight 0 sends everything back to the stable release.
 */
export function shiftTraffic(deps: ResolvedDeps) {
  return async (input: ShiftInput): Promise<ShiftResult> => {
    const req = parseWith(shiftInputSchema, input, 'shiftTraffic input');
    const env = await loadEnvironment(deps, req);
    if (!env) throw new DeployProgramError(`${req.service}/${req.environment} is not deployed: no traffic to shift`);
    const plan = planShift(env.spec, req.releaseId, req.weight);
    const servers = weightsOf(plan.spec);
    if (!plan.reused) {
      await routeNow(deps, env.state, servers);
      await applySpec(deps, plan.spec, `shift-traffic-${req.weight}`, req.releaseId);
    }
    return { releaseId: req.releaseId, weight: req.weight, servers };
  };
}
