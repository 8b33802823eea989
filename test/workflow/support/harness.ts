import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { resolveTool } from '../../../infra/local/tools';
import type { PipelineInput, PipelineState } from '../../../model/pipeline';
import { loadConfig } from '../../../infra/config';
import { deploymentPipeline, pipelineStartOptions, searchAttributeKeys, stateQuery } from '../../../workflows';
import { bundleWorkflows, WORKFLOWS_PATH } from '../../../worker/workflow-source';
import type { Mocks } from './mock-activities';

// One real Temporal dev server and one workflow bundle per test file; a fresh task queue per test.

export interface Harness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}

export function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* already installed in this process */
  }
}

/** The dev server from the pinned temporal binary (fails with ToolMissingError's message when missing). */
export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  const temporal = resolveTool(loadConfig(), 'temporal');
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporal }, searchAttributes: searchAttributeKeys() },
  });
}

/** Bundles a workflows module the way the worker does (shared model modules preloaded). */
export function bundle(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflows(workflowsPath);
}

export async function startHarness(): Promise<Harness> {
  installQuietRuntime();
  const [env, code] = await Promise.all([startDevServer(), bundle()]);
  return { env, bundle: code };
}

/** The test file's harness: started before its tests, torn down after them; `set` receives it. */
export function useHarness(set: (h: Harness) => void): void {
  let h: Harness | undefined;
  beforeAll(async () => set((h = await startHarness())), 180_000);
  afterAll(async () => h?.env.teardown());
}

let queues = 0;
export const uniqueQueue = (name: string) => `test-${name}-${process.pid}-${++queues}`;

export async function createWorker(h: Harness, mocks: Mocks, taskQueue: string, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  return Worker.create({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: h.bundle,
    activities: mocks.activities,
    ...extra,
  });
}

/** Runs `fn` while a worker with these mocks serves a fresh task queue. */
export async function withWorker<T>(h: Harness, mocks: Mocks, name: string, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueQueue(name);
  const worker = await createWorker(h, mocks, taskQueue);
  return worker.runUntil(fn(taskQueue));
}

export type PipelineHandle = WorkflowHandleWithFirstExecutionRunId<typeof deploymentPipeline>;

export function startPipeline(h: Harness, taskQueue: string, input: PipelineInput): Promise<PipelineHandle> {
  return h.env.client.workflow.start(deploymentPipeline, pipelineStartOptions(input, taskQueue));
}

/** Polls the state query until `until` holds (20 s at most). */
export async function waitForState(handle: PipelineHandle, until: (s: PipelineState) => boolean, what = 'state'): Promise<PipelineState> {
  const deadline = Date.now() + 20_000;
  let last: PipelineState | undefined;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(stateQuery);
      if (until(last)) return last;
    } catch {
      /* not started yet */
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what} of ${handle.workflowId}; last state: ${JSON.stringify(last)}`);
}

export const waitForStage = (handle: PipelineHandle, stage: PipelineState['stage']) => waitForState(handle, (s) => s.stage === stage, `stage ${stage}`);

/** The digest approvers sign, as the CLI reads it from the state query. */
export async function imageDigest(handle: PipelineHandle): Promise<string> {
  const s = await handle.query(stateQuery);
  const digest = s.image?.split('@')[1];
  if (!digest) throw new Error(`${handle.workflowId} has no image yet (stage ${s.stage})`);
  return digest;
}

export async function waitUntil(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
