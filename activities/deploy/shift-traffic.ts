import { planShift } from '../../infra/deploy/plan';
import { analyzeInputSchema, shiftInputSchema, type AnalyzeInput, type AnalyzeStep, type CanaryVerdict, type ShiftInput, type ShiftResult } from '../../model/deploy';
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

/**
 * The `analyze` activity (patch `shift-in-analysis`): with `shift: true` the candidate first gets `step`
 * percent of user traffic through `shift` (shiftTraffic itself: the same lease check, record and runtime
 * API call), then `analyze` runs at that weight; the verdict's `traffic` records the move. One dispatch and
 * one workflow task per canary step fewer than shiftTraffic then analyze. A move that fails fails the
 * activity before anything is analyzed; a retry moves again (idempotent) and analyzes from the start.
 * Without `shift` it is `analyze` alone, which is never given the lease.
 */
export function shiftThenAnalyze(shift: (input: ShiftInput) => Promise<ShiftResult>, analyze: (input: AnalyzeStep) => Promise<CanaryVerdict>) {
  return async (input: AnalyzeInput): Promise<CanaryVerdict> => {
    const { shift: moves, lease, ...analysis } = parseWith(analyzeInputSchema, input, 'analyze input');
    if (!moves) return analyze(analysis);
    const started = Date.now();
    const moved = await shift({ releaseId: analysis.releaseId, service: analysis.service, environment: analysis.environment, weight: analysis.step, ...(lease ? { lease } : {}) });
    const traffic = { ...moved, at: new Date().toISOString(), ms: Date.now() - started };
    return { ...(await analyze(analysis)), traffic };
  };
}
