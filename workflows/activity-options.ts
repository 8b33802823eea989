import { ActivityFailure, log, patched, proxyActivities as proxyOnWorkflowQueue, proxyLocalActivities, type ActivityInterfaceFor, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import type { ComplianceActivities } from '../activities/compliance';
import type { DeployActivities } from '../activities/deploy';
import type { ScheduleActivities } from '../activities/drift/schedule';
import type * as errors from '../activities/errors';
import type { PipelineActivities } from '../model/activities';
import type { RoutingActivities } from '../activities/routing';
import { onPipelineQueue, queueFor, type TaskQueues } from '../model/roles';
import { durationMs } from '../model/duration';
import type { CanaryAnalysisSettings } from '../model/manifest';

// Activity options per stage: explicit timeouts everywhere, heartbeats for the long ones, retries decided
// by error class (activities/errors.ts; the list is type-checked against the classes that are not retryable).

type NonRetryable = {
  [K in keyof typeof errors]: (typeof errors)[K] extends abstract new (...args: never[]) => { readonly retryable: false } ? K : never;
}[keyof typeof errors];

export const NON_RETRYABLE = [
  'ImageBuildError',
  'InvalidInputError',
  'DeployProgramError',
  'GitError',
  'GateNotPassedError',
  'BreakGlassRefusedError',
  'AnchorError',
  'EvidenceNotVerifiedError',
  'LeaseLostError',
] as const satisfies readonly NonRetryable[];

const retry = (maximumAttempts: number): RetryPolicy => ({
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts,
  nonRetryableErrorTypes: [...NON_RETRYABLE],
});

/**
 * Runs started from this patch on send each activity to the task queue of its role (model/roles.ts): build
 * and scan to `<queue>-build`, deploy, traffic, analysis and rollback to the environment's target's
 * `<queue>-deploy-<target>`, the rest to the workflow's own queue. The queues come from the pipeline worker's
 * configuration (the `taskQueues` activity, first in the run). Runs without it keep the one queue.
 */
export const QUEUES_PATCH = 'queues-by-role';

// This run's routes (each workflow run has its own module state); unset: every activity on the workflow's queue.
let routes: TaskQueues | undefined;

/**
 * Asks for this run's task queues (patch `queues-by-role`); call it before the first routed activity. A worker
 * that has no `taskQueues` activity (an embedder's or a test's own activity set) serves every role on one
 * queue: the run keeps the workflow's queue for everything, as before the patch.
 *
 * A regular activity, not a local one: the SDK refuses a local activity the worker lacks eagerly, outside
 * the activity (a workflow task failure, no fallback), and skips that check on replay, so a run that fell
 * back would not replay. With eager activity execution the round trip costs milliseconds.
 */
export async function routeByRole(): Promise<void> {
  if (!patched(QUEUES_PATCH)) return;
  try {
    routes = await proxyOnWorkflowQueue<RoutingActivities>({ startToCloseTimeout: '1m', retry: { ...retry(5), nonRetryableErrorTypes: ['NotFoundError'] } }).taskQueues();
  } catch (err) {
    if (!(err instanceof ActivityFailure) || (err.cause as { type?: string } | undefined)?.type !== 'NotFoundError') throw err;
    log.info('the worker has no taskQueues activity: every activity of this run on the workflow task queue');
  }
}

/**
 * proxyActivities whose every call goes to the queue of the activity's role in this run (queueFor): the
 * declarations below stay as they were; only where a call goes depends on the run.
 */
function proxyActivities<A extends object>(options: ActivityOptions): ActivityInterfaceFor<A> {
  const byQueue = new Map<string, ActivityInterfaceFor<A>>();
  const on = (queue: string | undefined): ActivityInterfaceFor<A> => {
    const key = queue ?? '';
    let proxy = byQueue.get(key);
    if (!proxy) byQueue.set(key, (proxy = proxyOnWorkflowQueue<A>(queue ? { ...options, taskQueue: queue } : options)));
    return proxy;
  };
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get: (_target, name) =>
      typeof name === 'string'
        ? (...args: unknown[]) => (on(queueFor(routes, name, args[0])) as Record<string, (...a: unknown[]) => unknown>)[name]!(...args)
        : undefined,
  });
}
export { proxyActivities as routedActivities };

/** Whether `activity` (with this input) goes, in this run, to the queue of the pipeline role's activities (model/roles.ts). */
export const onWorkflowQueue = (activity: string, input: unknown): boolean => onPipelineQueue(routes, activity, input);

const quick = proxyActivities<PipelineActivities>({ startToCloseTimeout: '2m', retry: retry(5) });
const build = proxyActivities<PipelineActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: '1m', retry: retry(3) });
const scan = proxyActivities<PipelineActivities>({ startToCloseTimeout: '15m', heartbeatTimeout: '1m', retry: retry(5) });
const DEPLOY_ATTEMPTS = 5;
const DEPLOY: ActivityOptions = { startToCloseTimeout: '10m', heartbeatTimeout: '30s', retry: retry(DEPLOY_ATTEMPTS) };
/**
 * Compensations (undo traffic, roll back, restore) retry without limit while the pipeline holds the lock:
 * giving up leaves the candidate taking traffic with nobody owning the environment, which is worse than
 * waiting out a Docker or Pulumi outage of any length. (Before, 20 attempts at most 30 s apart ended
 * after ~10 minutes as `failed`.) Errors that the same input repeats (NON_RETRYABLE) still stop at once.
 * The retry policy is not part of Temporal's determinism check, so running pipelines replay unchanged
 * and use this policy for the compensations they schedule from now on.
 */
export const UNDO_RETRY: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [...NON_RETRYABLE] }; // no maximumAttempts: unlimited
const UNDO: ActivityOptions = { ...DEPLOY, retry: UNDO_RETRY };
const deploy = proxyActivities<PipelineActivities>(DEPLOY);
const undo = proxyActivities<PipelineActivities>(UNDO);

export const stages = {
  readBasePolicy: quick.readBasePolicy,
  resolveAnchor: quick.resolveAnchor,
  readAnchorPolicy: quick.readAnchorPolicy,
  readManifest: quick.readManifest,
  assessChange: quick.assessChange,
  /** the three reads in one (patch `read-change-together`): a fetch, two file reads and the change's analysis */
  readChange: proxyActivities<PipelineActivities>({ startToCloseTimeout: '5m', retry: retry(5) }).readChange,
  evaluatePolicy: quick.evaluatePolicy,
  buildImage: build.buildImage,
  scanImage: scan.scanImage,
  // called by pipelines started before patch `read-once` (workflows/change-analysis.ts)
  readPolicySnapshot: quick.readPolicySnapshot,
  analyzeChange: quick.analyzeChange,
  scoreRisk: quick.scoreRisk,
};

/** Bounded by the probes' own budget (20 s) and the log read; heartbeats carry the probes sent. */
const probe = proxyActivities<PipelineActivities>({ startToCloseTimeout: '2m', heartbeatTimeout: '30s', retry: retry(3) });

export const rolloutActivities = {
  recheckWindows: quick.recheckWindows,
  verifyRuntimeSecurity: probe.verifyRuntimeSecurity,
  deployCandidate: deploy.deployCandidate,
  shiftTraffic: deploy.shiftTraffic,
  promote: deploy.promote,
};

/**
 * Short, pure steps over what the workflow already carries, run as local activities (in the worker that
 * runs the workflow task: no dispatch, no extra workflow task). Only for work of milliseconds: a local
 * activity holds the workflow task while it runs.
 */
const local = proxyLocalActivities<PipelineActivities>({ startToCloseTimeout: '1m', retry: retry(5) });
const localSchedules = proxyLocalActivities<ComplianceActivities & ScheduleActivities>({ startToCloseTimeout: '1m', retry: retry(5) });
export const localActivities = {
  recheckWindows: local.recheckWindows,
  /** The policy verdict over a policy already read (pipeline patch `local-quick-steps`). */
  evaluatePolicy: local.evaluatePolicy,
  /** Two Temporal schedule writes after a promotion (pipeline patch `local-quick-steps`). */
  scheduleRescan: localSchedules.scheduleRescan,
  ensureDriftSchedule: localSchedules.ensureDriftSchedule,
};

/** The release's evidence chain (docs/evidence.md): links signed and pushed, the chain verified before a deploy. */
export const evidenceActivities = {
  recordEvidence: quick.recordEvidence,
  verifyEvidence: quick.verifyEvidence,
};

export const compensations = {
  shiftTraffic: undo.shiftTraffic,
  rollback: undo.rollback,
  /**
   * Not an undo, but retried the same way: after a promotion whose traffic is final (patch
   * `settle-after-promote`) the stack update that records it must happen, however long Docker is away.
   */
  settleRelease: undo.settleRelease,
};

/** deployRelease and rollbackRelease: a known image and target deployed, a previous release put back. */
export const releaseActivities = {
  findGateRecord: proxyActivities<DeployActivities>({ startToCloseTimeout: '2m', heartbeatTimeout: '30s', retry: retry(5) }).findGateRecord,
  readBasePolicy: quick.readBasePolicy,
  deployCandidate: proxyActivities<DeployActivities>(DEPLOY).deployCandidate,
  restoreRelease: proxyActivities<DeployActivities>(UNDO).restoreRelease,
};

/**
 * One analysis run takes checks x interval; the timeout leaves room for slow queries. An analysis that moves
 * the traffic first (`shift`, patch `shift-in-analysis`) gets the attempts a separate shiftTraffic had (5): a
 * move that fails for a moment must not roll the release back sooner than before the patch. The retry policy
 * is not part of Temporal's determinism check.
 */
export function canaryAnalysisActivity(settings: CanaryAnalysisSettings, moves = false): PipelineActivities['analyze'] {
  const interval = durationMs(settings.interval);
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: settings.checks * interval + 5 * 60_000,
    heartbeatTimeout: Math.max(2 * interval, 30_000),
    retry: retry(moves ? DEPLOY_ATTEMPTS : 3),
  }).analyze;
}

/** Scheduled rescans (docs/compliance.md): the schedule written at promotion, the decision of a rescan. */
export const complianceActivities = {
  scheduleRescan: proxyActivities<ComplianceActivities>({ startToCloseTimeout: '1m', retry: retry(5) }).scheduleRescan,
  assessCompliance: proxyActivities<ComplianceActivities>({ startToCloseTimeout: '1m', retry: retry(5) }).assessCompliance,
  readAnchorPolicy: quick.readAnchorPolicy,
  scanImage: scan.scanImage,
  ensureDriftSchedule: proxyActivities<ScheduleActivities>({ startToCloseTimeout: '1m', retry: retry(5) }).ensureDriftSchedule,
  rescanTargetNow: proxyActivities<DeployActivities>({ startToCloseTimeout: '1m', retry: retry(5) }).rescanTargetNow,
  describeEnvironment: proxyActivities<DeployActivities>({ startToCloseTimeout: '1m', retry: retry(5) }).describeEnvironment,
};
