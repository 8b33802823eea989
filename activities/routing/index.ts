import { Context } from '@temporalio/activity';
import type { AirlockConfig } from '../../infra/config';
import { taskQueuesOf, type TaskQueues } from '../../model/roles';

/** What the workflows call (wire name `taskQueues`); workflows import the type only. */
export interface RoutingActivities {
  /**
   * Where this run's build and deploy activities go (workflows/activity-options.ts, patch `queues-by-role`):
   * from the pipeline worker's configuration, never from the workflow input (a trigger cannot pick the
   * host that deploys an environment). With the roles unset, one process serves everything: every queue is
   * the workflow's own.
   */
  taskQueues(): Promise<TaskQueues>;
}

export function createRoutingActivities(config: Pick<AirlockConfig, 'roles' | 'environmentTargets'>): RoutingActivities {
  return {
    taskQueues: async () => {
      const base = Context.current().info.taskQueue;
      if (!config.roles.split) return { pipeline: base, build: base, deploy: {}, deployDefault: base };
      return taskQueuesOf(base, config.environmentTargets);
    },
  };
}
