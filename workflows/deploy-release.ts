import { CancellationScope, log, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { DeployActivities } from '../activities/deploy';
import type { AnalysisVerdict, DeployTarget, RestoreInput, RestoreResult } from '../model/deploy';
import { durationMs } from '../model/duration';
import type { AnalysisSettings } from '../model/manifest';
import { rolloutSteps } from '../model/rollout';
import { NON_RETRYABLE } from './activity-options';
import { causeOf } from './plan';

// `airlock deploy` and `airlock rollback`: a known image through deploy -> analysis -> promote | rollback,
// and a previous release put back. No build, scan or approval: those are the pipeline's (deploymentPipeline).

export interface DeployReleaseInput {
  target: DeployTarget;
  releaseId: string;
  /** repo@sha256:... */
  image: string;
}

export type DeployReleaseOutcome =
  | { kind: 'promoted'; releaseId: string; image: string; analysis: AnalysisVerdict[] }
  | { kind: 'unchanged'; releaseId: string; reason: string }
  | { kind: 'rolled_back'; releaseId: string; reason: string; step?: number; analysis: AnalysisVerdict[] }
  | { kind: 'failed'; releaseId: string; stage: 'deploy' | 'rollout' | 'rollback'; cause: { type: string; message: string }; analysis: AnalysisVerdict[] };

export const deployWorkflowId = (service: string, environment: string, releaseId: string): string => `airlock-deploy/${service}/${environment}/${releaseId}`;
export const rollbackWorkflowId = (service: string, environment: string, to?: string): string => `airlock-rollback/${service}/${environment}/${to ?? 'previous'}`;

const retry = (maximumAttempts: number): RetryPolicy => ({
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts,
  nonRetryableErrorTypes: [...NON_RETRYABLE],
});
const act = proxyActivities<DeployActivities>({ startToCloseTimeout: '10m', heartbeatTimeout: '30s', retry: retry(5) });
const undo = proxyActivities<DeployActivities>({ startToCloseTimeout: '10m', heartbeatTimeout: '30s', retry: retry(20) });
const analysisOf = (s: AnalysisSettings) =>
  proxyActivities<DeployActivities>({
    startToCloseTimeout: s.checks * durationMs(s.interval) + 5 * 60_000,
    heartbeatTimeout: Math.max(2 * durationMs(s.interval), 30_000),
    retry: retry(3),
  }).analyze;

/** Deploys `image` as `releaseId`: canary steps or blue-green with analysis, then promote; any failure rolls back. */
export async function deployRelease(input: DeployReleaseInput): Promise<DeployReleaseOutcome> {
  const { target, releaseId, image } = input;
  const ref = { releaseId, service: target.service, environment: target.environment };
  const analysis: AnalysisVerdict[] = [];
  const rollBack = async (reason: string) =>
    CancellationScope.nonCancellable(() => undo.rollback({ ...ref, reason })).then(
      () => undefined,
      (err: unknown) => causeOf(err),
    );

  try {
    const deployed = await act.deployCandidate({ ...ref, image, target });
    if (deployed.alreadyStable) return { kind: 'unchanged', releaseId, reason: `${releaseId} already is the stable release` };
  } catch (err) {
    const cause = causeOf(err);
    await rollBack(`deploy failed: ${cause.message}`); // leftovers of a half-made candidate
    return { kind: 'failed', releaseId, stage: 'deploy', cause, analysis };
  }

  try {
    for (const step of rolloutSteps(target.settings.rollout)) {
      if (step > 0) await act.shiftTraffic({ ...ref, weight: step });
      const verdict = await analysisOf(target.settings.analysis)({ ...ref, step, settings: target.settings.analysis });
      analysis.push(verdict);
      log.info('analysis', { releaseId, step, verdict: verdict.verdict, reason: verdict.reason });
      if (verdict.verdict === 'fail') {
        const reason = verdict.reason ?? `analysis failed at ${step}%`;
        const failed = await rollBack(reason);
        if (failed) return { kind: 'failed', releaseId, stage: 'rollback', cause: failed, analysis };
        return { kind: 'rolled_back', releaseId, reason, step, analysis };
      }
    }
    await act.promote(ref);
    return { kind: 'promoted', releaseId, image, analysis };
  } catch (err) {
    const cause = causeOf(err);
    const failed = await rollBack(`${cause.type}: ${cause.message}`);
    if (failed) return { kind: 'failed', releaseId, stage: 'rollback', cause: failed, analysis };
    return { kind: 'rolled_back', releaseId, reason: `${cause.type}: ${cause.message}`, analysis };
  }
}

/** Puts a previous release of an environment back (allowed in freeze windows: it is the way back). */
export async function rollbackRelease(input: RestoreInput): Promise<RestoreResult> {
  return undo.restoreRelease(input);
}
