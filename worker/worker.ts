import { Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { AirlockConfig } from '../infra/config';
import { connectWorker } from '../infra/temporal/connection';
import { jsonLogger } from './logger';
import { redactingActivityInterceptor } from './redact-interceptor';
import type { WorkflowSource } from './workflow-source';

let runtimeInstalled = false;

/** Installs the structured logger once per process (Temporal's Runtime is a process singleton). */
export function installRuntime(config: Pick<AirlockConfig, 'logLevel'>): void {
  if (runtimeInstalled) return;
  const level = config.logLevel.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  Runtime.install({ logger: jsonLogger(level) });
  runtimeInstalled = true;
}

/** A worker on airlock's task queue with the given workflows and activities (on `extra.connection` if given). */
export async function createAirlockWorker(
  config: AirlockConfig,
  workflows: WorkflowSource,
  activities: object,
  extra: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const connection = extra.connection ?? (await connectWorker(config.temporal));
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflows,
    activities,
    ...extra,
    // Every activity result and failure is redacted before it reaches the history (model/redact.ts).
    interceptors: { ...extra.interceptors, activity: [redactingActivityInterceptor, ...(extra.interceptors?.activity ?? [])] },
  });
}
