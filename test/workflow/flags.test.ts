import { ApplicationFailure } from '@temporalio/common';
import type { AnalyzeFlagInput, FlagActivities, FlagRolloutInput, FlagRolloutOutcome, KillFlagInput, SetFlagShareInput } from '../../model/flag-activities';
import { publicKeyOf } from '../../model/approval-rules';
import { signFlagApproval, type FlagApprovalSubject, type FlagRisk } from '../../model/flag-approval';
import type { PolicySnapshot } from '../../model/policy-snapshot';
import { DEFAULT_FLAG_THRESHOLDS, flagKillWorkflowId, flagRolloutWorkflowId, signFlagKill, type FlagThresholds, type VariantVerdict } from '../../model/flags';
import type { EvidenceRequest, RecordedEvidence } from '../../model/evidence-record';
import { flagPredicate, flagKillRecordProblem, flagChangeSummary } from '../../model/evidence';
import { lockWorkflowId } from '../../model/names';
import { flagApproveUpdate, flagKill, flagRollout, flagRolloutStateQuery, lockStateQuery } from '../../workflows';
import { createWorker, uniqueQueue, useHarness, type Harness } from './support/harness';
import { oneQueueRouting } from '../support/routing';

// flagRollout and flagKill (issue 18) on a real Temporal dev server with mocked flag activities: the steps
// in order under the environment lock, the kill switch on a failed check, a kill from outside seen at the
// next write, refusals before anything changes, and who may kill.

let h: Harness;
useHarness((x) => (h = x));

const KEY = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const OTHER = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const definition = { state: 'ENABLED' as const, variants: { on: true, off: false }, defaultVariant: 'off' };
const IMAGE = `127.0.0.1:5000/demo@sha256:${'b'.repeat(64)}`;
const anchor = { pipelineId: 'airlock/demo/prod/abc', repo: 'file:///repo', commit: 'a'.repeat(40), serviceDir: '.', policyPath: 'airlock.policy.yaml', image: IMAGE, releaseId: 'demo-prod-aaaaaaaaaaaa' };
const pass = (n = 100): VariantVerdict => ({ verdict: 'pass', on: { requests: n, errors: 0, denied: 0 }, off: { requests: n, errors: 0, denied: 0 }, reasons: [] });
const fail = (reason: string): VariantVerdict => ({ verdict: 'fail', on: { requests: 50, errors: 10, denied: 0 }, off: { requests: 150, errors: 0, denied: 0 }, reasons: [reason] });

interface Call {
  name: string;
  input: unknown;
}

const SAM = 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7';
const DANA = OTHER;
const snapshot: PolicySnapshot = {
  source: 'git:file:///repo@aaaa:airlock.policy.yaml',
  policyDigest: 'sha256:policy',
  groups: {
    developers: [
      { id: 'alice', publicKey: publicKeyOf(KEY), aliases: [] },
      { id: 'dana', publicKey: publicKeyOf(DANA), aliases: ['dana@example.com'] },
    ],
    security: [{ id: 'sam', publicKey: publicKeyOf(SAM), aliases: [] }],
  },
  levels: { low: { approvals: 0, groups: [], require: [] }, medium: { approvals: 1, groups: [], require: [] }, high: { approvals: 2, groups: [], require: ['security'] } },
  approvalTimeoutMs: 60_000,
};

function mocks(
  opts: { verdicts?: (share: number) => VariantVerdict; killedAtShare?: number; source?: () => never; onSet?: (share: number) => Promise<void>; risk?: FlagRisk; owner?: string; thresholds?: FlagThresholds } = {},
) {
  const calls: Call[] = [];
  /** What the workflows sent to the evidence chain (kept apart from the flag activities' calls). */
  const evidence: EvidenceRequest[] = [];
  let killed: { by: string; reason: string } | undefined;
  const activities: FlagActivities & { recordEvidence(req: EvidenceRequest): Promise<RecordedEvidence> } = {
    async loadFlagSource(input) {
      calls.push({ name: 'loadFlagSource', input });
      if (opts.source) opts.source();
      return {
        anchor,
        definition: opts.owner ? { ...definition, metadata: { owner: opts.owner } } : definition,
        routerPort: 18090,
        ...(opts.risk ? { risk: opts.risk } : {}),
        ...(opts.thresholds ? { thresholds: opts.thresholds } : {}),
      };
    },
    async flagAnchor(input) {
      calls.push({ name: 'flagAnchor', input });
      return anchor;
    },
    async recordEvidence(req) {
      evidence.push(req);
      return { links: ['flag'], added: 1, manifestDigest: `sha256:${'c'.repeat(64)}`, stored: [] };
    },
    async setFlagShare(input: SetFlagShareInput) {
      calls.push({ name: 'setFlagShare', input });
      await opts.onSet?.(input.share);
      if (killed && !input.fresh) throw ApplicationFailure.create({ type: 'FlagKilledError', message: 'killed', nonRetryable: true, details: [killed] });
      if (opts.killedAtShare === input.share) killed = { by: 'alice', reason: 'pager' };
      return { share: input.share, workflowId: 'x', at: 'now' };
    },
    async killFlag(input: KillFlagInput) {
      calls.push({ name: 'killFlag', input });
      killed = { by: input.by, reason: input.reason };
      return { share: 0, killed: { ...killed, at: 'now', workflowId: 'x' }, workflowId: 'x', at: 'now' };
    },
    async analyzeFlag(input: AnalyzeFlagInput) {
      calls.push({ name: 'analyzeFlag', input });
      return (opts.verdicts ?? (() => pass()))(Number((calls.filter((c) => c.name === 'setFlagShare').at(-1)!.input as SetFlagShareInput).share));
    },
    async readFlagPolicy(input) {
      calls.push({ name: 'readFlagPolicy', input });
      return snapshot;
    },
    async killApprovers(input) {
      calls.push({ name: 'killApprovers', input });
      return { approvers: [{ id: 'alice', publicKey: publicKeyOf(KEY) }], developers: [{ id: 'dana', publicKey: publicKeyOf(OTHER) }] };
    },
  };
  const shares = () => calls.filter((c) => c.name === 'setFlagShare').map((c) => (c.input as SetFlagShareInput).share);
  return { activities, calls, evidence, shares, names: () => calls.map((c) => c.name) };
}

async function rollout(m: ReturnType<typeof mocks>, input: Partial<FlagRolloutInput> = {}): Promise<FlagRolloutOutcome> {
  const taskQueue = uniqueQueue('flags');
  const worker = await createWorker(h, { activities: { ...m.activities, ...oneQueueRouting() } } as never, taskQueue);
  const args: FlagRolloutInput = { service: 'demo', environment: 'prod', flag: 'new-checkout', steps: [1, 5, 25, 50, 100], windowMs: 3000, ...input };
  return worker.runUntil(h.env.client.workflow.execute(flagRollout, { taskQueue, workflowId: `${flagRolloutWorkflowId(args.service, args.environment, args.flag)}-${taskQueue}`, args: [args] }));
}

test('a good flag goes through every step to 100%, judged at each, then confirmed', async () => {
  const m = mocks();
  const outcome = await rollout(m);
  expect(outcome).toEqual({ kind: 'completed', share: 100 });
  expect(m.shares()).toEqual([1, 5, 25, 50, 100, 100]);
  expect(m.names().filter((n) => n === 'analyzeFlag')).toHaveLength(5);
  // only the first write may restart a flag killed before
  expect(m.calls.filter((c) => c.name === 'setFlagShare').map((c) => (c.input as SetFlagShareInput).fresh)).toEqual([true, false, false, false, false, false]);
  expect(m.names()).not.toContain('killFlag');
});

test('a failed check at 25% kills the flag (off for everyone) and says why', async () => {
  const m = mocks({ verdicts: (share) => (share >= 25 ? fail('on: 5xx 20.0% > 2.0% (10/50)') : pass()) });
  const outcome = await rollout(m);
  expect(outcome).toEqual({ kind: 'killed', step: 3, share: 25, by: 'airlock', reason: 'step 3 (25%): on: 5xx 20.0% > 2.0% (10/50)' });
  expect(m.shares()).toEqual([1, 5, 25]);
  expect(m.calls.at(-1)).toEqual({ name: 'killFlag', input: expect.objectContaining({ by: 'airlock', reason: expect.stringContaining('20.0%') }) });
});

test('too few users at a small share: the next step judges; the last step must pass', async () => {
  const inconclusive: VariantVerdict = { verdict: 'inconclusive', on: { requests: 2, errors: 0, denied: 0 }, off: { requests: 198, errors: 0, denied: 0 }, reasons: ['on: 2 requests < 20'] };
  const m = mocks({ verdicts: (share) => (share < 25 ? inconclusive : pass()) });
  expect(await rollout(m)).toEqual({ kind: 'completed', share: 100 });
  // three windows at 1% and at 5%, one at each later step
  expect(m.names().filter((n) => n === 'analyzeFlag')).toHaveLength(3 + 3 + 3);
  const never = mocks({ verdicts: () => inconclusive });
  expect(await rollout(never, { steps: [25, 100] })).toMatchObject({ kind: 'killed', step: 2, share: 100 });
});

test('a kill from outside during the rollout: the next write is refused, the rollout ends killed', async () => {
  const m = mocks({ killedAtShare: 5 });
  const outcome = await rollout(m);
  expect(outcome).toEqual({ kind: 'killed', step: 2, share: 0, by: 'alice', reason: 'pager' });
  expect(m.shares()).toEqual([1, 5, 25]);
});

test('bad steps and bad definitions are refused before anything changes', async () => {
  for (const steps of [[100], [1, 50, 100], [5, 1, 100], [1, 5, 25]]) {
    const m = mocks();
    const outcome = await rollout(m, { steps });
    expect(outcome.kind).toBe('refused');
    expect(m.names()).toEqual([]);
  }
  const m = mocks({
    source: () => {
      throw ApplicationFailure.create({ type: 'InvalidInputError', message: 'flags.flagd.json at aaaa is invalid:\n  flags.new-checkout.defaultVariant: "maybe" is not one of the variants (on, off)', nonRetryable: true });
    },
  });
  const outcome = await rollout(m);
  expect(outcome).toEqual({ kind: 'refused', reason: expect.stringContaining('flags.new-checkout.defaultVariant: "maybe" is not one of the variants') });
  expect(m.names()).toEqual(['loadFlagSource']);
});

test('the rollout holds the environment lock while it runs, and releases it', async () => {
  let held = false;
  const m = mocks({
    onSet: async (share) => {
      if (share !== 25) return;
      const lock = await h.env.client.workflow.getHandle(lockWorkflowId('demo', 'lockprod')).query(lockStateQuery);
      held = lock.holder?.pipelineId.startsWith('airlock-flag/demo/lockprod/new-checkout') ?? false;
    },
  });
  expect(await rollout(m, { environment: 'lockprod' })).toMatchObject({ kind: 'completed' });
  expect(held).toBe(true);
  // released: the idle lock workflow ends
  const lock = h.env.client.workflow.getHandle(lockWorkflowId('demo', 'lockprod'));
  let status = '';
  for (let i = 0; i < 100 && status !== 'COMPLETED'; i++) {
    status = (await lock.describe()).status.name;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toBe('COMPLETED');
});

test('the state query shows the steps and per-variant analysis', async () => {
  const m = mocks();
  const taskQueue = uniqueQueue('flags');
  const worker = await createWorker(h, { activities: { ...m.activities, ...oneQueueRouting() } } as never, taskQueue);
  const args: FlagRolloutInput = { service: 'demo', environment: 'qprod', flag: 'new-greeting', steps: [25, 100], windowMs: 3000 };
  const state = await worker.runUntil(async () => {
    const handle = await h.env.client.workflow.start(flagRollout, { taskQueue, workflowId: `q-${taskQueue}`, args: [args] });
    await handle.result();
    return handle.query(flagRolloutStateQuery);
  });
  expect(state).toMatchObject({ stage: 'done', share: 100, steps: [25, 100], outcome: { kind: 'completed' } });
  expect(state.analysis.map((a) => `${a.step}:${a.share}:${a.verdict}`)).toEqual(['1:25:pass', '2:100:pass']);
});

async function kill(m: ReturnType<typeof mocks>, sign: (workflowId: string) => { by: string; signature: string }, reason = 'checkout errors') {
  const taskQueue = uniqueQueue('flagkill');
  const worker = await createWorker(h, { activities: { ...m.activities, ...oneQueueRouting() } } as never, taskQueue);
  const workflowId = flagKillWorkflowId('demo', 'prod', 'new-checkout', taskQueue);
  return worker.runUntil(h.env.client.workflow.execute(flagKill, { taskQueue, workflowId, args: [{ service: 'demo', environment: 'prod', flag: 'new-checkout', reason, ...sign(workflowId) }] }));
}

test('a kill signed by an approver of the policy switches the flag off', async () => {
  const m = mocks();
  const result = await kill(m, (workflowId) => ({ by: 'alice', signature: signFlagKill(KEY, { service: 'demo', environment: 'prod', flag: 'new-checkout', reason: 'checkout errors', workflowId }) }));
  expect(result).toMatchObject({ kind: 'killed', record: { share: 0, killed: { by: 'alice', reason: 'checkout errors' } } });
  // off first, then the anchor (which release serves) for the record: the kill does not wait for the chain
  expect(m.names()).toEqual(['killApprovers', 'killFlag', 'flagAnchor']);
});

test('attack: a kill with a forged, replayed or foreign signature changes nothing', async () => {
  const subject = (workflowId: string, reason = 'checkout errors') => ({ service: 'demo', environment: 'prod', flag: 'new-checkout', reason, workflowId });
  const cases: [string, (id: string) => { by: string; signature: string }, RegExp][] = [
    ['unknown signer', (id) => ({ by: 'mallory', signature: signFlagKill(OTHER, subject(id)) }), /mallory is not an approver/],
    ['wrong key for the name', (id) => ({ by: 'alice', signature: signFlagKill(OTHER, subject(id)) }), /does not verify/],
    ['signed for another kill (replay)', () => ({ by: 'alice', signature: signFlagKill(KEY, subject(flagKillWorkflowId('demo', 'prod', 'new-checkout', 'old'))) }), /does not verify/],
    ['signed for another reason', (id) => ({ by: 'alice', signature: signFlagKill(KEY, subject(id, 'something else')) }), /does not verify/],
    ['not a signature', () => ({ by: 'alice', signature: 'zz' }), /128 lowercase hex/],
  ];
  for (const [what, sign, message] of cases) {
    const m = mocks();
    const result = await kill(m, sign);
    expect({ what, result }).toEqual({ what, result: { kind: 'refused', reason: expect.stringMatching(message) } });
    expect(m.names()).not.toContain('killFlag');
  }
});

test('a flag guarding payments code is high risk: it waits for two signed approvals, one from security; the owner cannot approve', async () => {
  const risk: FlagRisk = { level: 'high', reasons: ['payments/checkout.js (payments)'] };
  const m = mocks({ risk, owner: 'dana@example.com' });
  const taskQueue = uniqueQueue('flagapprove');
  const worker = await createWorker(h, { activities: { ...m.activities, ...oneQueueRouting() } } as never, taskQueue);
  const args: FlagRolloutInput = { service: 'demo', environment: 'prod', flag: 'new-checkout', steps: [25, 100], windowMs: 3000, requestedBy: 'dana' };
  const workflowId = `approve-${taskQueue}`;
  const outcome = await worker.runUntil(async () => {
    const handle = await h.env.client.workflow.start(flagRollout, { taskQueue, workflowId, args: [args] });
    let state = await handle.query(flagRolloutStateQuery);
    for (let i = 0; i < 200 && state.stage !== 'approval'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      state = await handle.query(flagRolloutStateQuery);
    }
    expect(state).toMatchObject({ stage: 'approval', risk, approvalsNeeded: 2, share: 0 });
    expect(m.names()).toEqual(['loadFlagSource', 'readFlagPolicy']);
    const subject: FlagApprovalSubject = { workflowId, runId: state.runId!, service: 'demo', environment: 'prod', flag: 'new-checkout', level: 'high', commit: anchor.commit, steps: [25, 100] };
    const approve = (who: string, key: string, s: FlagApprovalSubject = subject) => handle.executeUpdate(flagApproveUpdate, { args: [{ approver: who, signature: signFlagApproval(key, s) }] });
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { cause?: { message?: string }; message: string }) => e.cause?.message ?? e.message);
    expect(await refusal(approve('dana', DANA))).toMatch(/owns or asked for this flag change/);
    expect(await refusal(approve('mallory', KEY))).toMatch(/unknown approver "mallory"/);
    expect(await refusal(approve('alice', KEY, { ...subject, steps: [100] }))).toMatch(/does not verify/);
    expect(await refusal(approve('alice', KEY, { ...subject, level: 'low' }))).toMatch(/does not verify/);
    expect(await approve('alice', KEY)).toEqual({ approvals: 1, needed: 2, missingGroups: ['security'] });
    expect(m.shares()).toEqual([]);
    expect(await approve('sam', SAM)).toEqual({ approvals: 2, needed: 2, missingGroups: [] });
    return handle.result();
  });
  expect(outcome).toEqual({ kind: 'completed', share: 100 });
  expect(m.shares()).toEqual([25, 100, 100]);
});

test('a low-risk flag needs no approval', async () => {
  const m = mocks({ risk: { level: 'low', reasons: ['server.js (code)'] } });
  expect(await rollout(m, { steps: [25, 100] })).toEqual({ kind: 'completed', share: 100 });
  expect(m.names()).not.toContain('readFlagPolicy');
});

describe("thresholds from the environment's protected policy (patch flag-policy-thresholds)", () => {
  const strict: FlagThresholds = { maxErrorRate: 0.01, maxDeniedRate: 0.03, maxDegradation: 0.01, minRequests: 40 };

  test('every window is judged by the thresholds the worker read from the policy at the anchor', async () => {
    const m = mocks({ thresholds: strict });
    expect(await rollout(m, { steps: [25, 100] })).toEqual({ kind: 'completed', share: 100 });
    const judged = m.calls.filter((c) => c.name === 'analyzeFlag').map((c) => (c.input as AnalyzeFlagInput).thresholds);
    expect(judged).toEqual([strict, strict]);
    // a worker that read no thresholds (before them): the defaults
    const old = mocks();
    await rollout(old, { steps: [25, 100] });
    expect(old.calls.filter((c) => c.name === 'analyzeFlag').map((c) => (c.input as AnalyzeFlagInput).thresholds)).toEqual([DEFAULT_FLAG_THRESHOLDS, DEFAULT_FLAG_THRESHOLDS]);
  });

  test('attack: thresholds in a forged workflow input are not used (only the policy read by the worker counts)', async () => {
    const m = mocks({ thresholds: strict });
    const forged = { steps: [25, 100], thresholds: { maxErrorRate: 1, maxDeniedRate: 1, maxDegradation: 1, minRequests: 1_000_000 } } as Partial<FlagRolloutInput>;
    await rollout(m, forged);
    for (const c of m.calls.filter((x) => x.name === 'analyzeFlag')) expect((c.input as AnalyzeFlagInput).thresholds).toEqual(strict);
  });
});

describe('flag changes in the evidence chain (patch flag-evidence)', () => {
  test("a rollout killed by its analysis is recorded on the serving release's image: steps, analysis, thresholds, outcome", async () => {
    const m = mocks({ verdicts: (share) => (share >= 25 ? fail('on: 5xx 20.0% > 2.0% (10/50)') : pass()), thresholds: DEFAULT_FLAG_THRESHOLDS, risk: { level: 'low', reasons: ['server.js (code)'] } });
    await rollout(m, { requestedBy: 'dana@example.com' });
    expect(m.evidence).toHaveLength(1);
    const req = m.evidence[0]!;
    expect(req).toMatchObject({
      link: 'flag',
      image: IMAGE,
      releaseId: anchor.releaseId,
      change: 'rollout',
      source: { pipelineId: anchor.pipelineId, commit: anchor.commit },
      requestedBy: 'dana@example.com',
      risk: { level: 'low' },
      steps: [1, 5, 25, 50, 100],
      thresholds: DEFAULT_FLAG_THRESHOLDS,
      outcome: { kind: 'killed', step: 3, share: 25, by: 'airlock' },
    });
    if (req.link !== 'flag') throw new Error('not a flag link');
    expect(req.analysis?.map((a) => [a.step, a.share, a.verdict])).toEqual([[1, 1, 'pass'], [2, 5, 'pass'], [3, 25, 'fail']]);
    const predicate = flagPredicate({ ...req, workflowId: req.pipelineId, runId: req.runId, builderId: 'https://airlock.dev/worker/test' });
    expect(flagChangeSummary(predicate)).toBe('new-checkout rollout 1,5,25,50,100: killed at step 3 (25%) by airlock: step 3 (25%): on: 5xx 20.0% > 2.0% (10/50)');
  });

  test('a completed rollout is recorded; a refused one changed nothing and records nothing', async () => {
    const m = mocks();
    await rollout(m, { steps: [25, 100] });
    expect(m.evidence.map((e) => e.link === 'flag' && e.outcome)).toEqual([{ kind: 'completed', share: 100 }]);
    const refused = mocks();
    await rollout(refused, { steps: [100] });
    expect(refused.evidence).toEqual([]);
  });

  test('a signed kill is recorded with its signer, key and signature, and the record re-verifies', async () => {
    const m = mocks();
    const result = await kill(m, (workflowId) => ({ by: 'alice', signature: signFlagKill(KEY, { service: 'demo', environment: 'prod', flag: 'new-checkout', reason: 'checkout errors', workflowId }) }));
    expect(result).toMatchObject({ kind: 'killed', evidence: { image: IMAGE, recorded: true } });
    const req = m.evidence[0]!;
    if (req.link !== 'flag') throw new Error('not a flag link');
    expect(req).toMatchObject({ change: 'kill', outcome: { kind: 'killed', share: 0, by: 'alice', reason: 'checkout errors' }, kill: { by: 'alice', publicKey: publicKeyOf(KEY) } });
    const predicate = flagPredicate({ ...req, workflowId: req.pipelineId, runId: req.runId, builderId: 'b' });
    expect(flagKillRecordProblem(predicate)).toBeUndefined();
    // attack: a record whose reason was changed after signing does not hold
    expect(flagKillRecordProblem({ ...predicate, kill: { ...predicate.kill!, reason: 'routine' } })).toMatch(/not the one bound/);
    expect(flagKillRecordProblem({ ...predicate, kill: { ...predicate.kill!, signature: predicate.kill!.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) } })).toMatch(/does not verify/);
  });
});
