import { planShift } from '../../infra/deploy/plan';
import { serverWeights } from '../../infra/deploy/traffic';
import { releaseContainerNames, shiftRequestSchema, type ShiftRequest, type ShiftResult } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';

/** Gives the candidate `weight` percent of user traffic (router weights through the runtime API, no reload). */
export function shiftTraffic(deps: ResolvedDeps) {
  return async (input: ShiftRequest): Promise<ShiftResult> => {
    const req = parseWith(shiftRequestSchema, input, 'shiftTraffic input');
    const { spec } = await loadEnvironment(deps, req.target);
    const plan = planShift(spec, req.releaseId, req.weight);
    if (!plan.reused) await applySpec(deps, plan.spec, `shift-traffic-${req.weight}`, req.releaseId);
    const s = plan.spec;
    const servers = serverWeights({
      stable: s.stable ? releaseContainerNames(s.stable.releaseId, s.stable.replicas) : [],
      candidate: s.candidate ? releaseContainerNames(s.candidate.releaseId, s.candidate.replicas) : [],
      candidatePercent: s.candidateWeight,
    });
    return { releaseId: req.releaseId, weight: req.weight, servers };
  };
}
