import { patched } from '@temporalio/workflow';
import type { CanaryVerdict, DeployTarget, RestoreInput, RestoreResult } from '../model/deploy';
import { releaseActivities } from './activity-options';
import { runRollout, type RolloutContext } from './rollout';

// `airlock deploy` and `airlock rollback`: a known image through deploy -> analysis -> promote | rollback
// (the pipeline's rollout, workflows/rollout.ts), and a previous release put back. No build, scan or
// approval: those are the pipeline's (deploymentPipeline).

export interface DeployReleaseInput {
  target: DeployTarget;
  releaseId: string;
  /** repo@sha256:... */
  image: string;
}

export type DeployReleaseOutcome =
  | { kind: 'promoted'; releaseId: string; image: string; analysis: CanaryVerdict[] }
  | { kind: 'unchanged'; releaseId: string; reason: string }
  | { kind: 'rolled_back'; releaseId: string; reason: string; step?: number; analysis: CanaryVerdict[] }
  | { kind: 'failed'; releaseId: string; stage: 'deploy' | 'rollout' | 'rollback'; cause: { type: string; message: string }; analysis: CanaryVerdict[] };

export const deployWorkflowId = (service: string, environment: string, releaseId: string): string => `airlock-deploy/${service}/${environment}/${releaseId}`;
export const rollbackWorkflowId = (service: string, environment: string, to?: string): string => `airlock-rollback/${service}/${environment}/${to ?? 'previous'}`;

/** Deploys `image` as `releaseId`: canary steps or blue-green with analysis, then promote; any failure rolls back. */
export async function deployRelease(input: DeployReleaseInput): Promise<DeployReleaseOutcome> {
  const { target, releaseId, image } = input;
  // Runs started before this patch rolled out with promote and rollback moving the traffic themselves.
  const movesTraffic = patched('deploy-release-one-rollout');
  const ref = { releaseId, service: target.service, environment: target.environment };
  const ctx: RolloutContext = { target: ref, settings: target.settings, state: { traffic: 0, analysis: [], compensations: [] }, deployed: false };
  const outcome = await runRollout(ctx, image, {
    deploy: async () => {
      const deployed = await releaseActivities.deployCandidate({ ...ref, image, target });
      return deployed.alreadyStable ? { kind: 'unchanged' as const, releaseId, reason: `${releaseId} already is the stable release` } : undefined;
    },
    enterStage: () => undefined,
    movesTraffic,
  });
  const analysis = ctx.state.analysis;
  switch (outcome.kind) {
    case 'unchanged':
      return outcome;
    case 'promoted':
      return { kind: 'promoted', releaseId, image, analysis };
    case 'rolled_back':
      return { kind: 'rolled_back', releaseId, reason: outcome.reason, ...(outcome.step !== undefined ? { step: outcome.step } : {}), analysis };
    case 'failed':
      return { kind: 'failed', releaseId, stage: outcome.stage, cause: outcome.cause, analysis };
  }
}

/** Puts a previous release of an environment back (allowed in freeze windows: it is the way back). */
export async function rollbackRelease(input: RestoreInput): Promise<RestoreResult> {
  return releaseActivities.restoreRelease(input);
}
