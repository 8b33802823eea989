import type { WorkflowHandle } from '@temporalio/client';
import type { ApprovalReceipt } from '../../../model/approval';
import type { PipelineInput, PipelineResult, PipelineState } from '../../../model/pipeline';
import { approveUpdate, lockStateQuery, lockWorkflowId, promoteUpdate, rejectUpdate, stateQuery, type LockState } from '../../../workflows';
import { input, signed, snapshot, type Person } from './fixtures';
import { createWorker, imageDigest, startPipeline, uniqueQueue, waitForStage, waitUntil, withWorker, type Harness, type PipelineHandle } from './harness';
import { heartbeatSleep, mockActivities, nonRetryable, type MockOptions, type Mocks } from './mock-activities';

// Every path of the pipeline, driven against the real dev server with mocked activities. The tests
// assert on what these return; test/workflow/record-histories.ts saves their histories for replay.

export interface ScenarioRun {
  results: PipelineResult[];
  states: PipelineState[];
  mocks: Mocks;
  /** workflows whose histories are saved (pipelines, and the lock where it matters) */
  recorded: { name: string; workflowId: string; runId?: string }[];
  /** update refusals seen on the way, by label */
  refusals: Record<string, string>;
  receipts: ApprovalReceipt[];
}

type Handle = PipelineHandle;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { cause?: { message?: string }; message?: string };
    return e.cause?.message ?? e.message ?? String(err);
  }
  throw new Error('expected the update to be refused');
}

async function approve(h: Handle, who: Person, decision: 'approve' | 'reject' | 'promote' = 'approve', signer?: Person): Promise<ApprovalReceipt> {
  const def = { approve: approveUpdate, reject: rejectUpdate, promote: promoteUpdate }[decision];
  return h.executeUpdate(def, { args: [signed(who, h.workflowId, await imageDigest(h), decision, signer)] });
}

/** One pipeline with these mocks; `drive` acts on it while it runs. */
async function single(
  h: Harness,
  name: string,
  opts: MockOptions,
  inp: Partial<PipelineInput> = {},
  drive?: (handle: Handle, run: ScenarioRun) => Promise<void>,
): Promise<ScenarioRun> {
  const mocks = mockActivities(opts);
  const run: ScenarioRun = { results: [], states: [], mocks, recorded: [], refusals: {}, receipts: [] };
  await withWorker(h, mocks, name, async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service: name, ...inp }));
    await drive?.(handle, run);
    run.results.push(await handle.result());
    run.states.push(await handle.query(stateQuery));
    run.recorded.push({ name, workflowId: handle.workflowId });
  });
  return run;
}

export const scenarios = {
  'low-auto-promote': (h: Harness) => single(h, 'low-auto-promote', { risk: 'low' }),

  'medium-one-approval': (h: Harness) =>
    single(h, 'medium-one-approval', { risk: 'medium' }, {}, async (p, run) => {
      await waitForStage(p, 'approval');
      const digest = await imageDigest(p);
      run.refusals.self = await refusal(approve(p, 'dana'));
      run.refusals.outsider = await refusal(approve(p, 'olga'));
      run.refusals.badSignature = await refusal(approve(p, 'alice', 'approve', 'bob'));
      run.refusals.unknown = await refusal(p.executeUpdate(approveUpdate, { args: [{ ...signed('alice', p.workflowId, digest, 'approve'), approver: 'mallory' }] }));
      run.refusals.wrongDecision = await refusal(p.executeUpdate(approveUpdate, { args: [signed('alice', p.workflowId, digest, 'reject')] }));
      run.refusals.promoteEarly = await refusal(approve(p, 'alice', 'promote'));
      run.receipts.push(await approve(p, 'alice'));
    }),

  'high-two-approvals': (h: Harness) =>
    // the scorer says medium, but the change edits the policy file: routed as high
    single(h, 'high-two-approvals', { risk: 'medium', touchesGates: true }, {}, async (p, run) => {
      await waitForStage(p, 'approval');
      run.receipts.push(await approve(p, 'alice'));
      run.states.push(await p.query(stateQuery)); // still waiting after one approval
      run.refusals.twice = await refusal(approve(p, 'alice'));
      run.refusals.noSecurity = await refusal(approve(p, 'bob'));
      run.receipts.push(await approve(p, 'sam'));
    }),

  rejected: (h: Harness) =>
    single(h, 'rejected', { risk: 'medium' }, {}, async (p, run) => {
      await waitForStage(p, 'approval');
      run.receipts.push(await approve(p, 'bob', 'reject'));
    }),

  expired: (h: Harness) => single(h, 'expired', { risk: 'medium', snapshot: snapshot({ approvalTimeoutMs: 1500 }) }),

  'blocked-by-policy': (h: Harness) => single(h, 'blocked-by-policy', { risk: 'low', policyAllowed: false }),

  'analysis-fails-rollback': (h: Harness) => single(h, 'analysis-fails-rollback', { risk: 'low', verdict: (step) => (step === 50 ? 'fail' : 'pass') }),

  'error-after-traffic-rollback': (h: Harness) =>
    single(h, 'error-after-traffic-rollback', {
      risk: 'low',
      fail: { shiftTraffic: (i) => (i.weight === 50 ? nonRetryable('DeployProgramError', 'router rejected weight 50: backend down') : undefined) },
    }),

  'abort-during-analysis': (h: Harness) =>
    single(h, 'abort-during-analysis', { risk: 'low', analyzeMs: (step) => (step === 10 ? 60_000 : 0) }, {}, async (p) => {
      await waitForStage(p, 'analysis');
      await p.signal('abort', { by: 'alice', reason: 'error rate climbing on the dashboard' });
    }),

  'abort-at-approval': (h: Harness) =>
    single(h, 'abort-at-approval', { risk: 'medium' }, {}, async (p) => {
      await waitForStage(p, 'approval');
      await p.signal('abort', { by: 'sam', reason: 'wrong branch' });
    }),

  'promote-skips-analysis': (h: Harness) =>
    single(h, 'promote-skips-analysis', { risk: 'low', analyzeMs: (step) => (step === 10 ? 60_000 : 0) }, {}, async (p, run) => {
      await waitForStage(p, 'analysis');
      run.refusals.authorPromotes = await refusal(approve(p, 'dana', 'promote'));
      run.receipts.push(await approve(p, 'alice', 'promote'));
    }),

  'blue-green': (h: Harness) => single(h, 'blue-green', { risk: 'low' }, { rollout: { strategy: 'blue-green' } }),

  'deploy-fails': (h: Harness) =>
    single(h, 'deploy-fails', { risk: 'low', fail: { deployCandidate: () => nonRetryable('DeployProgramError', 'port 8080 already allocated') } }),
};

/** Durability and concurrency paths. */
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

export type ScenarioName = keyof typeof scenarios;
export type { WorkflowHandle };
