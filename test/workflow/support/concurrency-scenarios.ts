import type { PipelineInput } from '../../../model/pipeline';
import { lockWorkflowId } from '../../../model/names';
import { lockStateQuery, stateQuery, type LockState } from '../../../workflows';
import { input } from './fixtures';
import { createWorker, startPipeline, uniqueQueue, waitForStage, waitUntil, withWorker, type Harness } from './harness';
import { heartbeatSleep, mockActivities, type MockOptions } from './mock-activities';
import { approve, type Handle, type ScenarioRun } from './scenarios';

// Durability and concurrency paths, on the real dev server with mocked activities (see scenarios.ts).

export const concurrencyScenarios = {
  /** The worker is shut down while deployCandidate runs; a new worker finishes the pipeline. */
  'worker-restart': async (h: Harness): Promise<ScenarioRun> => {
    const mocks = mockActivities({
      risk: 'low',
      during: { deployCandidate: async (_i, attempt) => (attempt === 1 ? heartbeatSleep(120_000) : undefined) },
    });
    const run: ScenarioRun = { results: [], states: [], mocks, recorded: [], refusals: {}, receipts: [] };
    const taskQueue = uniqueQueue('worker-restart');
    const first = await createWorker(h, mocks, taskQueue, { shutdownGraceTime: '200ms' });
    const firstRun = first.run();
    const handle = await startPipeline(h, taskQueue, input({ service: 'worker-restart' }));
    await waitUntil(() => mocks.calls.some((c) => c.name === 'deployCandidate'), 'deployCandidate to start');
    first.shutdown();
    await firstRun;
    const second = await createWorker(h, mocks, taskQueue);
    run.results.push(await second.runUntil(handle.result()));
    run.recorded.push({ name: 'worker-restart', workflowId: handle.workflowId });
    return run;
  },

  /** B queues behind A, which is deploying; B deploys after A is promoted. */
  'sequential-same-env': (h: Harness) =>
    several(h, 'sequential-same-env', { risk: 'low', analyzeMs: () => 800 }, async (start, run) => {
      const a = await start();
      await waitForStage(a, 'analysis');
      const b = await start();
      await waitForStage(b, 'lock');
      run.lock = await lockState(h, 'sequential-same-env', (l) => l.queue.length > 0);
      return [a, b];
    }),

  /** B (newer) supersedes A, which waits for approval; B is approved and promoted. */
  'superseded-at-approval': (h: Harness) =>
    several(h, 'superseded-at-approval', { risk: 'medium' }, async (start, run) => {
      const a = await start();
      await waitForStage(a, 'approval');
      const b = await start();
      await waitForStage(b, 'approval');
      run.receipts.push(await approve(b, 'alice'));
      return [a, b];
    }),

  /** A deploys; B queues; C (newer) supersedes B in the queue; C deploys after A. */
  'superseded-in-queue': (h: Harness) =>
    several(h, 'superseded-in-queue', { risk: 'low', analyzeMs: () => 800 }, async (start) => {
      const a = await start();
      await waitForStage(a, 'analysis');
      const b = await start();
      await waitForStage(b, 'lock');
      const c = await start();
      await waitForStage(c, 'lock');
      return [a, b, c];
    }),

  /** The same commit triggered twice while running: one pipeline, one build. */
  'retrigger-attaches': (h: Harness) =>
    several(h, 'retrigger-attaches', { risk: 'medium' }, async (start, run) => {
      const inp = input({ service: 'retrigger-attaches' });
      const first = await start(inp);
      const again = await start(inp); // while the first is in its early stages
      run.attached = { first: first.firstExecutionRunId, again: again.firstExecutionRunId };
      await waitForStage(first, 'approval');
      run.receipts.push(await approve(first, 'alice'));
      return [first];
    }),
};

interface ConcurrencyRun extends ScenarioRun {
  lock?: LockState;
  attached?: { first: string | undefined; again: string | undefined };
}

async function lockState(h: Harness, service: string, until: (l: LockState) => boolean): Promise<LockState> {
  const lock = h.env.client.workflow.getHandle(lockWorkflowId(service, 'prod'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await lock.query(lockStateQuery);
    if (until(state) || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Several pipelines of one service and env on one worker; `drive` starts them and returns them in order. */
async function several(
  h: Harness,
  name: string,
  opts: MockOptions,
  drive: (start: (inp?: PipelineInput) => Promise<Handle>, run: ConcurrencyRun) => Promise<Handle[]>,
): Promise<ConcurrencyRun> {
  const mocks = mockActivities(opts);
  const run: ConcurrencyRun = { results: [], states: [], mocks, recorded: [], refusals: {}, receipts: [] };
  await withWorker(h, mocks, name, async (taskQueue) => {
    const handles = await drive((inp = input({ service: name })) => startPipeline(h, taskQueue, inp), run);
    for (const [i, handle] of handles.entries()) {
      run.results.push(await handle.result());
      run.states.push(await handle.query(stateQuery));
      run.recorded.push({ name: `${name}-${String.fromCharCode(97 + i)}`, workflowId: handle.workflowId });
    }
    if (handles.length > 1) run.recorded.push({ name: `${name}-lock`, workflowId: lockWorkflowId(name, 'prod') });
  });
  return run;
}

