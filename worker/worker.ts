import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { AirlockConfig } from '../infra/config';
import { connectWorker } from '../infra/temporal/connection';
import { jsonLogger } from './logger';
import { redactingActivityInterceptor } from './redact-interceptor';
import { activitiesOf, rolePlan } from './roles';
import type { WorkflowSource } from './workflow-source';

let runtimeInstalled = false;

/** Installs the structured logger once per process (Temporal's Runtime is a process singleton). */
export function installRuntime(config: Pick<AirlockConfig, 'logLevel'>): void {
  if (runtimeInstalled) return;
  const level = config.logLevel.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  Runtime.install({ logger: jsonLogger(level) });
  runtimeInstalled = true;
}

/** A worker on airlock's task queue with the given workflows and activities (every role in one: demo, benches, tests; on `extra.connection` if given). */
export async function createAirlockWorker(
  config: AirlockConfig,
  workflows: WorkflowSource,
  activities: object,
  extra: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const connection = extra.connection ?? (await connectWorker(config.temporal));
  return workerOn(connection, config, config.temporal.taskQueue, workflows, activities, extra);
}

function workerOn(
  connection: NativeConnection,
  config: AirlockConfig,
  taskQueue: string,
  workflows: WorkflowSource | undefined,
  activities: object,
  extra: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    ...workflows,
    activities,
    ...extra,
    // Every activity result and failure is redacted before it reaches the history (model/redact.ts).
    interceptors: { ...extra.interceptors, activity: [redactingActivityInterceptor, ...(extra.interceptors?.activity ?? [])] },
  });
}

/**
 * The workers of one process by its roles (worker/roles.ts rolePlan), on one connection: the workflow
 * queue with the workflows and the pipeline activities, a build queue, a deploy queue per target, each
 * registering only its role's activities.
 */
export async function createRoleWorkers(config: AirlockConfig, workflows: WorkflowSource, activities: object): Promise<Worker[]> {
  const plan = rolePlan(config);
  if (!plan.length) throw new Error('AIRLOCK_WORKER_ROLES names no role this process can serve');
  const connection = await connectWorker(config.temporal);
  return Promise.all(
    plan.map((p) =>
      workerOn(connection, config, p.taskQueue, p.workflows ? workflows : undefined, config.roles.split ? activitiesOf(activities, p.role) : activities),
    ),
  );
}
