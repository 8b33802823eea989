import type { createActivities } from '../activities';
import type { AirlockConfig } from '../infra/config';
import { ACTIVITY_ROLES, buildQueueOf, deployQueueOf, roleOf, type WorkerRole } from '../model/roles';

// Every activity the worker registers has a role (model/roles.ts): an activity added without one fails tsc here.
type ActivityName = keyof ReturnType<typeof createActivities>;
const ROLES_ARE_COMPLETE: Record<ActivityName, WorkerRole> = ACTIVITY_ROLES;
void ROLES_ARE_COMPLETE;

/** The activities of one role: a worker registers no other, so a misrouted task fails instead of running on the wrong host. */
export function activitiesOf<A extends object>(activities: A, role: WorkerRole): Partial<A> {
  return Object.fromEntries(Object.entries(activities).filter(([name]) => roleOf(name) === role)) as Partial<A>;
}

/** One Temporal worker of the process: its task queue, whether it runs the workflows, its activities. */
export interface RoleWorkerPlan {
  taskQueue: string;
  role: WorkerRole;
  target?: string;
  workflows: boolean;
}

/**
 * The task queues a worker process polls: with the roles unset (the one-host default) the one task queue
 * with the workflows and every activity; else the workflow queue for `pipeline`, `<queue>-build` for
 * `build`, `<queue>-deploy-<target>` for each `deploy:<target>`.
 */
export function rolePlan(config: Pick<AirlockConfig, 'roles' | 'temporal'>): RoleWorkerPlan[] {
  const base = config.temporal.taskQueue;
  const { roles } = config;
  if (!roles.split) return [{ taskQueue: base, role: 'pipeline', workflows: true }];
  return [
    ...(roles.pipeline ? [{ taskQueue: base, role: 'pipeline' as const, workflows: true }] : []),
    ...(roles.build ? [{ taskQueue: buildQueueOf(base), role: 'build' as const, workflows: false }] : []),
    ...roles.deploy.map((target) => ({ taskQueue: deployQueueOf(base, target), role: 'deploy' as const, target, workflows: false })),
  ];
}
