import { useHarness, type Harness } from './support/harness';
import { ANCHOR_COMMIT } from './support/mock-activities';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { scenarios, type ScenarioRun } from './support/scenarios';

// Canary / blue-green rollout, analysis, abort, promote and the rollback saga (mocked activities).

let h: Harness;
useHarness((x) => (h = x));

test('the anchored policy and airlock.yaml are read once; each later stage gets what it needs from them', async () => {
  const run = await scenarios['low-auto-promote'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  const input = (name: string) => run.mocks.calls.filter((c) => c.name === name).map((c) => c.input);
  const [base] = input('readAnchorPolicy') as { anchor: string }[];
  expect(base!.anchor).toBe(ANCHOR_COMMIT); // the stable release's commit, not the trigger's base
  expect(input('assessChange')).toEqual([expect.objectContaining({ baseCommit: ANCHOR_COMMIT })]);
  const [manifest] = input('readManifest') as { commit: string }[];
  expect(manifest!.commit).toBe(run.states[0]!.headCommit);
  expect(input('assessChange')).toEqual([expect.objectContaining({ riskPolicy: { thresholds: { medium: 40, high: 70 } } })]);
  expect(input('buildImage')).toEqual([expect.objectContaining({ build: { context: '.', dockerfile: 'Dockerfile' } })]);
  expect(input('evaluatePolicy')).toEqual([expect.objectContaining({ policy: expect.objectContaining({ digest: 'sha256:' + 'ab'.repeat(32) }) })]);
  const [deploy] = input('deployCandidate');
  expect(deploy).toMatchObject({ target: { service: 'low-auto-promote', environment: 'prod', settings: { routerPort: 18080 } } });
  expect(deploy).not.toHaveProperty('commit');
  for (const old of ['readPolicySnapshot', 'analyzeChange', 'scoreRisk', 'readBasePolicy']) expect(input(old)).toEqual([]);
});

test('promote ends when the traffic is final: the outcome is reported, then the stack update runs under the lock', async () => {
  const run = (await scenarios['settle-after-promote'](h)) as Awaited<ReturnType<(typeof scenarios)['settle-after-promote']>>;
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  const names = run.mocks.stageNames();
  // (beside the schedule's policy read from patch settle-beside-records on: either may start first)
  expect(names.slice(names.indexOf('promote'), names.indexOf('promote') + 3).sort()).toEqual(['promote', 'readAnchorPolicy', 'settleRelease']);
  const input = (name: string) => run.mocks.calls.find((c) => c.name === name)!.input;
  expect(input('promote')).toMatchObject({ settle: 'later', lease: { pipelineId: run.results[0]!.pipelineId } });
  expect(input('settleRelease')).toMatchObject({ releaseId: run.results[0]!.releaseId, lease: { pipelineId: run.results[0]!.pipelineId } });
  expect(input('settleRelease')).not.toHaveProperty('settle');
  // seen while settleRelease ran: the outcome already in the state, the stage still promote, the lock still ours
  expect(run.states[0]).toMatchObject({ outcome: { kind: 'promoted' }, stage: 'promote' });
  expect(run.lockHolders).toEqual([run.results[0]!.pipelineId]);
});

test("a forged input (steps [100], minSuccessRate 0, another author) rolls out with airlock.yaml's steps and thresholds", async () => {
  const run = await scenarios['forged-input'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(100)', 'analyze(100)']);
  const analyses = run.mocks.calls.filter((c) => c.name === 'analyze').map((c) => c.input.settings);
  expect(analyses).toEqual(Array(3).fill(expect.objectContaining({ minSuccessRate: 0.995, failureLimit: 1, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02 })));
  const state = run.states[0]!;
  expect(state.rollout).toEqual({
    from: `airlock.yaml at ${state.headCommit.slice(0, 12)}`,
    rollout: { strategy: 'canary', steps: [10, 50, 100] },
    analysis: expect.objectContaining({ minSuccessRate: 0.995 }),
  });
  expect(state.author).toBe('someone-else'); // recorded as claimed
});

test('failed analysis at a canary step: compensations run newest-first, traffic back, candidate destroyed', async () => {
  const run = await scenarios['analysis-fails-rollback'](h);
  expect(run.results[0]!.outcome).toEqual({ kind: 'rolled_back', reason: 'success-rate 0.71 < 0.99', step: 50 });
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(0)']);
  expect(run.mocks.stageNames().slice(-2)).toEqual(['shiftTraffic', 'rollback']);
  expect(run.mocks.names()).not.toContain('promote');
  expect(run.states[0]!.compensations).toEqual(['restore-traffic', 'rollback']);
  expect(run.states[0]!.traffic).toBe(0);
  expect(run.states[0]!.analysis.map((a) => a.verdict)).toEqual(['pass', 'fail']);
  const rollback = run.mocks.calls.find((c) => c.name === 'rollback')!;
  expect(rollback.input).toMatchObject({ reason: 'success-rate 0.71 < 0.99', releaseId: run.results[0]!.releaseId });
});

test('an error after traffic moved rolls back', async () => {
  const run = await scenarios['error-after-traffic-rollback'](h);
  expect(run.results[0]!.outcome).toMatchObject({
    kind: 'rolled_back',
    cause: { type: 'DeployProgramError', message: 'router rejected weight 50: backend down' },
  });
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'shiftTraffic(0)']);
  expect(run.mocks.stageNames().slice(-2)).toEqual(['shiftTraffic', 'rollback']);
  // non-retryable: tried once
  expect(run.mocks.calls.filter((c) => c.name === 'shiftTraffic' && c.input.weight === 50)).toHaveLength(1);
});

test('abort during analysis cancels it and rolls back at once', async () => {
  const started = Date.now();
  const run = await scenarios['abort-during-analysis'](h);
  expect(Date.now() - started).toBeLessThan(50_000); // the 60 s analysis was cut short
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'rolled_back', reason: 'aborted by alice: error rate climbing on the dashboard' });
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(0)']);
  expect(run.mocks.names()).not.toContain('promote');
  expect(run.mocks.stageNames().at(-1)).toBe('rollback');
});

test('promote (signed, not by the author) skips the remaining analysis', async () => {
  const run = await scenarios['promote-skips-analysis'](h);
  expect(run.refusals.authorPromotes).toMatch(/"dana" is an author of this change and cannot promote it/);
  expect(run.receipts[0]).toMatchObject({ accepted: true, decision: 'promote' });
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(100)']);
  expect(run.states[0]!.approval!.decisions.at(-1)).toMatchObject({ approver: 'alice', decision: 'promote' });
});

test('blue-green: the idle colour is analysed, then traffic switches at once', async () => {
  const run = await scenarios['blue-green'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  expect(run.mocks.steps()).toEqual(['analyze(0)', 'shiftTraffic(100)']);
});

test('a failed deploy cleans up the candidate and ends failed, stable untouched', async () => {
  const run = await scenarios['deploy-fails'](h);
  expect(run.results[0]!.outcome).toEqual({ kind: 'failed', stage: 'deploy', cause: { type: 'DeployProgramError', message: 'port 8080 already allocated' } });
  expect(run.mocks.names().slice(-2)).toEqual(['deployCandidate', 'rollback']);
  expect(run.mocks.steps()).toEqual([]);
});

describe('patch shift-in-analysis: an analyzed step moves its traffic inside its analysis', () => {
  type Event = temporal.api.history.v1.IHistoryEvent;
  const scheduled = async (run: ScenarioRun) => {
    const { workflowId, runId } = run.recorded[0]!;
    const history = await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    return (history.events ?? [])
      .map((e: Event) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'shiftTraffic' || a?.activityType?.name === 'analyze')
      .map((a) => ({ name: a!.activityType!.name!, input: defaultPayloadConverter.fromPayload(a!.input!.payloads![0]!) as Record<string, unknown>, attempts: a!.retryPolicy?.maximumAttempts ?? 0 }));
  };

  test('promoted: three analyses that each move first, with the lease; no shiftTraffic in the history', async () => {
    const run = await scenarios['low-auto-promote'](h);
    expect(run.results[0]!.outcome.kind).toBe('promoted');
    const lease = { pipelineId: run.results[0]!.pipelineId, runId: expect.any(String) };
    // the move keeps the five attempts a separate shiftTraffic had (a plain analysis has three)
    expect(await scheduled(run)).toEqual([10, 50, 100].map((step) => ({ name: 'analyze', input: expect.objectContaining({ step, shift: true, lease }), attempts: 5 })));
    // the moves themselves are the same as shiftTraffic's were, in the same order (the mocks record the inner calls)
    expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(100)', 'analyze(100)']);
    expect(run.mocks.calls.filter((c) => c.name === 'shiftTraffic').map((c) => c.input.lease)).toEqual(Array(3).fill(lease));
    expect(run.states[0]!.analysis.map((v) => v.traffic?.weight)).toEqual([10, 50, 100]);
  });

  test('an analysis that moves nothing keeps its three attempts (blue-green analyses the idle colour)', async () => {
    const run = await scenarios['blue-green'](h);
    expect(run.results[0]!.outcome.kind).toBe('promoted');
    expect((await scheduled(run)).map((e) => [e.name, e.input.shift ?? false, e.attempts])).toEqual([
      ['analyze', false, 3],
      ['shiftTraffic', false, 5],
    ]);
  });

  test('a failed analysis still gives the traffic back: the compensation is a shiftTraffic to 0, after the move', async () => {
    const run = await scenarios['analysis-fails-rollback'](h);
    expect(run.results[0]!.outcome).toMatchObject({ kind: 'rolled_back', step: 50 });
    const events = await scheduled(run);
    expect(events.map((e) => (e.name === 'analyze' ? `analyze(${e.input.step}${e.input.shift ? ', moves' : ''})` : `shiftTraffic(${e.input.weight})`))).toEqual([
      'analyze(10, moves)',
      'analyze(50, moves)',
      'shiftTraffic(0)',
    ]);
    expect(run.mocks.names().slice(-3)).toEqual(['shiftTraffic', 'rollback', 'recordEvidence']);
  });
});
