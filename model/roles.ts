// Workers by role (docs/scale-out.md, issue 20). Sandbox-safe: the workflows route activities with it, the
// worker registers activities with it, so both read one table.

/**
 * - `pipeline`: the workflows and the activities that need no particular host (the repository by URL, the
 *   registry, Temporal itself); they run on the workflow's own task queue.
 * - `build`: build and scan (a Docker engine and Trivy); `<queue>-build`.
 * - `deploy`: everything that touches a target's Docker engine, router, Pulumi backend, Prometheus or flag
 *   files; `<queue>-deploy-<target>`, one queue per target.
 */
export type WorkerRole = 'pipeline' | 'build' | 'deploy';

/** The role of every activity, by wire name. An activity not listed runs on the workflow's queue (pipeline). */
export const ACTIVITY_ROLES = {
  // change analysis, risk, policy: the repository by URL into the worker's own git cache
  readBasePolicy: 'pipeline',
  readAnchorPolicy: 'pipeline',
  readManifest: 'pipeline',
  assessChange: 'pipeline',
  readChange: 'pipeline',
  evaluatePolicy: 'pipeline',
  recheckWindows: 'pipeline',
  readPolicySnapshot: 'pipeline',
  analyzeChange: 'pipeline',
  scoreRisk: 'pipeline',
  // evidence: signed with the pipeline worker's key, pushed to and read from the registry
  recordEvidence: 'pipeline',
  verifyEvidence: 'pipeline',
  // Temporal visibility and schedules on the workflow's own task queue
  findGateRecord: 'pipeline',
  scheduleRescan: 'pipeline',
  assessCompliance: 'pipeline',
  ensureDriftSchedule: 'pipeline',
  taskQueues: 'pipeline',
  deliverEvent: 'pipeline',
  loadFlagSource: 'pipeline',
  readFlagPolicy: 'pipeline',
  killApprovers: 'pipeline',
  flagAnchor: 'pipeline',
  // a Docker engine and Trivy; the image goes to the shared registry
  buildImage: 'build',
  scanImage: 'build',
  // the target's engine, router (admin socket), Pulumi backend, Prometheus and flag files
  resolveAnchor: 'deploy',
  deployCandidate: 'deploy',
  shiftTraffic: 'deploy',
  analyze: 'deploy',
  verifyRuntimeSecurity: 'deploy',
  promote: 'deploy',
  settleRelease: 'deploy',
  rollback: 'deploy',
  restoreRelease: 'deploy',
  describeEnvironment: 'deploy',
  rescanTargetNow: 'deploy',
  detectDrift: 'deploy',
  reconcileDrift: 'deploy',
  setFlagShare: 'deploy',
  killFlag: 'deploy',
  analyzeFlag: 'deploy',
} as const satisfies Record<string, WorkerRole>;

export type RoutedActivityName = keyof typeof ACTIVITY_ROLES;

export const roleOf = (activity: string): WorkerRole => (ACTIVITY_ROLES as Record<string, WorkerRole>)[activity] ?? 'pipeline';

/** The target of an environment no configuration names: the worker's own host. */
export const DEFAULT_TARGET = 'local';

/** Target names become task queue names: a lowercase slug. */
export const TARGET_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

export const buildQueueOf = (base: string): string => `${base}-build`;
export const deployQueueOf = (base: string, target: string): string => `${base}-deploy-${target}`;

/**
 * Where a pipeline's activities go (the `taskQueues` activity's answer, from the pipeline worker's
 * configuration): the build queue, and each environment's deploy queue (an environment not listed: `deployDefault`).
 */
export interface TaskQueues {
  /**
   * The pipeline role's queue (the workflow's own, where the answer was given). Absent in answers recorded
   * before patch `verify-in-deploy`: such a run treats no routed call as going there.
   */
  pipeline?: string;
  build: string;
  deploy: Record<string, string>;
  deployDefault: string;
}

/** The queues of a configuration: `base` is the workflow's own task queue. */
export function taskQueuesOf(base: string, environmentTargets: Record<string, string>, defaultTarget = DEFAULT_TARGET): TaskQueues {
  return {
    pipeline: base,
    build: buildQueueOf(base),
    deploy: Object.fromEntries(Object.entries(environmentTargets).map(([env, target]) => [env, deployQueueOf(base, target)])),
    deployDefault: deployQueueOf(base, defaultTarget),
  };
}

/**
 * The task queue of one activity call, or undefined for the workflow's own queue: pipeline activities, and
 * every activity of a run that has no routes (started before patch `queues-by-role`). A deploy activity goes
 * to the queue of the environment its input names.
 */
export function queueFor(routes: TaskQueues | undefined, activity: string, input: unknown): string | undefined {
  if (!routes) return undefined;
  const role = roleOf(activity);
  if (role === 'pipeline') return undefined;
  if (role === 'build') return routes.build;
  const environment = typeof input === 'object' && input !== null ? (input as { environment?: unknown }).environment : undefined;
  return (typeof environment === 'string' && Object.hasOwn(routes.deploy, environment) ? routes.deploy[environment] : undefined) ?? routes.deployDefault;
}

/**
 * Whether a call goes to the queue the pipeline role's activities run on (the same workers, keys and
 * registry as verifyEvidence): with no routes, or when its route is the answer's `pipeline` queue (one
 * process serving every role). Decided from the recorded answer only, so a replay decides the same.
 */
export function onPipelineQueue(routes: TaskQueues | undefined, activity: string, input: unknown): boolean {
  const queue = queueFor(routes, activity, input);
  return queue === undefined || (routes?.pipeline !== undefined && queue === routes.pipeline);
}
