import { planDeploy } from '../../infra/deploy/plan';
import { checkRouterPort } from '../../infra/deploy/preflight';
import { deployRequestSchema, type DeployCandidateResult, type DeployRequest } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from './deps';
import { applySpec, loadEnvironment } from './environment';

/**
 * Creates the candidate release's containers (from image@digest, healthy before this returns) next to
 * the stable release, with no user traffic yet. Idempotent by release id: a retry after the update
 * finished returns what is there; a retry after a worker died mid-update adopts the containers by name.
 */
export function deployCandidate(deps: ResolvedDeps) {
  return async (input: DeployRequest): Promise<DeployCandidateResult> => {
    const req = parseWith(deployRequestSchema, input, 'deployCandidate input');
    const { spec, previous, state } = await loadEnvironment(deps, req.target);
    const plan = planDeploy(spec, req.release, req.target);
    const id = req.release.releaseId;
    if (plan.reused && state?.router) {
      const alreadyStable = state.stable?.releaseId === id;
      const release = alreadyStable ? state.stable : state.candidate;
      if (release) return { release: { releaseId: release.releaseId, image: release.image, containers: release.containers }, stable: alreadyStable ? null : state.stable, router: state.router, reused: true, alreadyStable };
    }
    await checkRouterPort(spec.routerPort, !!state?.router && previous?.routerPort === spec.routerPort);
    const out = await applySpec(deps, plan.spec, 'deploy-candidate', id);
    const { candidate, stable, router } = out.state;
    const release = candidate?.releaseId === id ? candidate : stable;
    if (!release || !router) throw new Error(`stack ${spec.stack} reports no release ${id} after the update`);
    return {
      release: { releaseId: release.releaseId, image: release.image, containers: release.containers },
      stable: candidate?.releaseId === id ? stable : null,
      router,
      reused: plan.reused,
      alreadyStable: candidate?.releaseId !== id,
    };
  };
}
