import type { ApprovalReceipt } from '../../../model/approval';
import type { PipelineInput, PipelineResult, PipelineState } from '../../../model/pipeline';
import { abortSignedUpdate, approveUpdate, promoteUpdate, rejectUpdate, stateQuery } from '../../../workflows';
import { input, signed, snapshot, type Person } from './fixtures';
import { startPipeline, waitForStage, withWorker, type Harness, type PipelineHandle } from './harness';
import { mockActivities, nonRetryable, type MockOptions, type Mocks } from './mock-activities';

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

export type Handle = PipelineHandle;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { cause?: { message?: string }; message?: string };
    return e.cause?.message ?? e.message ?? String(err);
  }
  throw new Error('expected the update to be refused');
}

export async function approve(h: Handle, who: Person, decision: 'approve' | 'reject' | 'promote' = 'approve', signer?: Person): Promise<ApprovalReceipt> {
  const def = { approve: approveUpdate, reject: rejectUpdate, promote: promoteUpdate }[decision];
  return h.executeUpdate(def, { args: [signed(who, await h.query(stateQuery), decision, signer)] });
}

/** `airlock abort`: the signed abort update. */
export async function abort(h: Handle, who: Person, reason: string): Promise<unknown> {
  return h.executeUpdate(abortSignedUpdate, { args: [{ ...signed(who, await h.query(stateQuery), 'abort'), comment: reason }] });
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
      const state = await p.query(stateQuery);
      run.refusals.self = await refusal(approve(p, 'dana'));
      run.refusals.outsider = await refusal(approve(p, 'olga'));
      run.refusals.badSignature = await refusal(approve(p, 'alice', 'approve', 'bob'));
      run.refusals.unknown = await refusal(p.executeUpdate(approveUpdate, { args: [{ ...signed('alice', state, 'approve'), approver: 'mallory' }] }));
      run.refusals.wrongDecision = await refusal(p.executeUpdate(approveUpdate, { args: [signed('alice', state, 'reject')] }));
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
      await abort(p, 'alice', 'error rate climbing on the dashboard');
    }),

  'abort-at-approval': (h: Harness) =>
    single(h, 'abort-at-approval', { risk: 'medium' }, {}, async (p) => {
      await waitForStage(p, 'approval');
      // an unsigned abort signal (anyone who reaches Temporal) is recorded and ignored
      await p.signal('abort', { by: 'mallory', reason: 'unsigned' });
      await abort(p, 'sam', 'wrong branch');
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

export type ScenarioName = keyof typeof scenarios;
