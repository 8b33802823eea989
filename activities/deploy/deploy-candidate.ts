import { planDeploy } from '../../infra/deploy/plan';
import { checkRouterPort } from '../../infra/deploy/preflight';
import { StackOperationError } from '../../infra/deploy/stack';
import { deployCandidateInputSchema, deployTargetOf, type DeployCandidateInput, type DeployCandidateResult, type DeployedRelease, type DeployTarget } from '../../model/deploy';
import { parseWith } from '../../model/parse';
import { pathInRepo, requireManifestAtCommit } from '../shared';
import type { ResolvedDeps } from './deps';
import { removeLeftovers } from './cleanup';
import { applySpec, loadEnvironment } from './environment';
import { checkLease } from './lease';

/** The deploy target of `environment` from the airlock.yaml committed at `commit` (not the work tree). */
async function targetAtCommit(repo: string, commit: string, serviceDir: string, environment: string): Promise<DeployTarget> {
  const { manifest } = await requireManifestAtCommit(repo, commit, await pathInRepo(repo, serviceDir));
  return deployTargetOf(manifest, environment);
}

const plain = (r: DeployedRelease): DeployedRelease => ({ releaseId: r.releaseId, image: r.image, containers: r.containers });

/**
 * Creates the candidate release's containers (from image@digest, healthy before this returns) next to
 * the stable release, with no user traffic yet. Bad settings (port in use, schema) fail before anything
 * is created. Idempotent by release id: a retry after the update finished returns what is there; a retry
 * after a worker died mid-update adopts the containers it had created, by name.
 */
export function deployCandidate(deps: ResolvedDeps) {
  return async (input: DeployCandidateInput): Promise<DeployCandidateResult> => {
    const req = parseWith(deployCandidateInputSchema, input, 'deployCandidate input');
    await checkLease(deps, req, req.lease);
    // a fleet's deploy host checks the chain itself: its task queue is no proof the pipeline's check ran
    await deps.admit(req.image, req.environment);
    const target = req.target ?? (await targetAtCommit(req.repo!, req.commit!, req.serviceDir!, req.environment));
    const release = { releaseId: req.releaseId, image: req.image };
    const { spec, previous, state } = await loadEnvironment(deps, req, target);
    const plan = planDeploy(spec, release, target);
    if (plan.reused && state?.router) {
      const alreadyStable = state.stable?.releaseId === req.releaseId;
      const found = alreadyStable ? state.stable : state.candidate;
      if (found) return { ...plain(found), stable: alreadyStable ? null : state.stable, router: state.router, reused: true, alreadyStable };
    }
    await checkRouterPort(spec.routerPort, !!state?.router && previous?.routerPort === spec.routerPort);
    let out;
    try {
      out = await applySpec(deps, plan.spec, 'deploy-candidate', req.releaseId);
    } catch (err) {
      // A release that fails to come up (never healthy, bad image) leaves nothing behind. A locked stack
      // or a Docker engine that is down is retried instead: the retry finishes the job.
      if (err instanceof StackOperationError) {
        await removeLeftovers(deps, spec, req.releaseId).catch((cleanup: unknown) =>
          deps.log.warn('cleanup after a failed deploy failed', { error: (cleanup as Error).message }),
        );
      }
      throw err;
    }
    const { candidate, stable, router } = out.state;
    const deployed = candidate?.releaseId === req.releaseId ? candidate : stable;
    if (!deployed || !router) throw new Error(`stack ${spec.stack} reports no release ${req.releaseId} after the update`);
    const alreadyStable = candidate?.releaseId !== req.releaseId;
    return { ...plain(deployed), stable: alreadyStable ? null : stable, router, reused: plan.reused, alreadyStable };
  };
}
