import { planShift } from '../../infra/deploy/plan';
import { shiftInputSchema, type ShiftInput, type ShiftResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { DeployProgramError } from '../errors';
import type { ResolvedDeps } from './deps';
import { loadEnvironment } from './environment';
import { checkLease } from './lease';
import { moveTraffic, weightsOf } from './route-now';

/**
 * Gives the candidate `weight` percent of user traffic through the router's runtime API (milliseconds,
 * no `pulumi up` on the rollout's critical path): the weight is recorded next to the stack's checkpoint
 * and in the router's backends.cfg, then set live (route-now.ts moveTraffic). The next stack update
 * (promote, rollback) records it in the checkpoint. Idempotent: a retry sets the same weights again,
 * so a move interrupted after its record still reaches the router.
 */
export function shiftTraffic(deps: ResolvedDeps) {
  return async (input: ShiftInput): Promise<ShiftResult> => {
    const req = parseWith(shiftInputSchema, input, 'shiftTraffic input');
    await checkLease(deps, req, req.lease);
    const env = await loadEnvironment(deps, req);
    if (!env) throw new DeployProgramError(`${req.service}/${req.environment} is not deployed: no traffic to shift`);
    const plan = planShift(env.spec, req.releaseId, req.weight);
    await moveTraffic(deps, env.state, plan.spec, req.releaseId, `shift-traffic-${req.weight}`);
    return { releaseId: req.releaseId, weight: req.weight, servers: weightsOf(plan.spec) };
  };
}
