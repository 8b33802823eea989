import type { PipelineResult, PipelineState } from '../../model/pipeline';
import { stateQuery } from '../../workflows';
import { SEARCH_KEYS } from '../../workflows/search-attributes';
import { input } from './support/fixtures';
import { startPipeline, useHarness, waitForState, withWorker, type Harness } from './support/harness';
import { mockActivities, type MockOptions, type Mocks } from './support/mock-activities';
import { approve } from './support/scenarios';
import { promotionScenarios } from './support/promotion-scenarios';

// Promotion (patch `promotion`): one build through staging -> production, per-environment gate, lock,
// approvals, rollout and soak; the order, soaks and approval rules come from airlock.yaml at the anchor.

let h: Harness;
useHarness((x) => (h = x));

const analysis = { interval: '1s', checks: 1, failureLimit: 1, loadRps: 0 };
const staging = (extra: Record<string, unknown> = {}) => ({ routerPort: 18081, rollout: { strategy: 'blue-green' }, analysis, ...extra });
const production = (extra: Record<string, unknown> = {}) => ({ routerPort: 18082, rollout: { strategy: 'canary', steps: [50, 100] }, analysis, ...extra });
const manifest = (environments: Record<string, unknown>, promotion?: string[]) => ({
  service: 'x',
  build: {},
  run: { port: 8080, health: '/healthz' },
  environments,
  ...(promotion ? { promotion } : {}),
});
const PROTECTED = manifest({ staging: staging({ soak: '6s', approvals: 'low' }), production: production() }, ['staging', 'production']);

interface Run {
  result: PipelineResult;
  state: PipelineState;
  mocks: Mocks;
}

async function promote(name: string, opts: MockOptions, drive?: (handle: Awaited<ReturnType<typeof startPipeline>>) => Promise<void>): Promise<Run> {
  const mocks = mockActivities(opts);
  return withWorker(h, mocks, name, async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service: name, environment: 'production' }));
    await drive?.(handle);
    const result = await handle.result();
    return { result, state: await handle.query(stateQuery), mocks };
  });
}

const inputs = (m: Mocks, name: string) => m.calls.filter((c) => c.name === name).map((c) => c.input);

test('one build goes staging (blue-green, soak) then production (canary); production admits it only as passed in staging', async () => {
  const started = Date.now();
  const { result, state, mocks } = await promote('promo-order', { risk: 'low', promotion: { head: PROTECTED, anchor: PROTECTED } });
  const commit12 = state.headCommit.slice(0, 12);
  expect(result.outcome.kind).toBe('promoted');
  expect(result.releaseId).toBe(`promo-order-${commit12}`);
  // built and scanned once, under the release id without the environment
  expect(inputs(mocks, 'buildImage')).toEqual([expect.objectContaining({ releaseId: `promo-order-${commit12}` })]);
  expect(inputs(mocks, 'scanImage')).toHaveLength(1);
  // per environment in order: the gate, the deploy of the same image, the admission
  expect(inputs(mocks, 'evaluatePolicy').map((i) => i.environment)).toEqual(['staging', 'production']);
  const deploys = inputs(mocks, 'deployCandidate');
  expect(deploys.map((i) => i.releaseId)).toEqual([`promo-order-staging-${commit12}`, `promo-order-production-${commit12}`]);
  expect(new Set(deploys.map((i) => i.image)).size).toBe(1);
  // the question "passed in staging already?" (no: a new image); then each deploy's own admission (patch
  // verify-in-deploy): production's needs the image's `promoted` record of staging
  expect(inputs(mocks, 'verifyEvidence').map((i) => [i.environment, i.passedIn, i.check])).toEqual([['staging', 'staging', true]]);
  expect(deploys.map((i) => [i.environment, i.admit])).toEqual([
    ['staging', {}],
    ['production', { passedIn: 'staging' }],
  ]);
  // staging: blue-green (idle colour analysed, switch), then the soak's repeated analysis at 100%; production's canary after staging's promote
  const steps = mocks.steps();
  const stagingPromote = mocks.calls.findIndex((c) => c.name === 'promote');
  expect(mocks.calls[stagingPromote]!.input.environment).toBe('staging');
  expect(mocks.calls.findIndex((c) => c.name === 'deployCandidate' && c.input.environment === 'production')).toBeGreaterThan(stagingPromote);
  expect(steps.slice(0, 2)).toEqual(['analyze(0)', 'shiftTraffic(100)']);
  const soakChecks = steps.slice(2, steps.indexOf('shiftTraffic(50)'));
  expect(soakChecks.length).toBeGreaterThanOrEqual(2);
  expect(soakChecks.every((s) => s === 'analyze(100)')).toBe(true);
  expect(steps.slice(-4)).toEqual(['shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(100)', 'analyze(100)']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(6_000); // the soak's durable timer
  // "passed in <env>" per environment, same digest, in the state and the result
  expect(result.promotion!.environments.map((e) => [e.environment, e.status, e.soak, e.digest])).toEqual([
    ['staging', 'passed', '6s', expect.stringMatching(/^sha256:/)],
    ['production', 'passed', '0s', result.promotion!.environments[0]!.digest],
  ]);
  expect(state.promotion).toEqual(result.promotion);
  const rollouts = inputs(mocks, 'recordEvidence').filter((i) => i.link === 'rollout');
  expect(rollouts.map((i) => `${i.environment as string}:${i.outcome as string}`)).toEqual(['staging:promoted', 'production:promoted']);
}, 90_000);

test('a failed analysis during the soak rolls staging back and stops the promotion: production is never touched', async () => {
  let atFull = 0;
  const { result, state, mocks } = await promote('promo-soak-fails', {
    risk: 'low',
    promotion: { head: PROTECTED, anchor: PROTECTED },
    verdict: (step) => (step === 100 && ++atFull >= 2 ? 'fail' : 'pass'),
  });
  expect(result.outcome).toMatchObject({ kind: 'rolled_back', reason: expect.stringContaining('soak in staging (6s): success-rate 0.71 < 0.99') });
  expect(inputs(mocks, 'deployCandidate').map((i) => i.environment)).toEqual(['staging']);
  expect(inputs(mocks, 'evaluatePolicy').map((i) => i.environment)).toEqual(['staging']);
  expect(mocks.names()).not.toContain('promote');
  expect(mocks.stageNames().slice(-2)).toEqual(['shiftTraffic', 'rollback']);
  expect(inputs(mocks, 'rollback')).toEqual([expect.objectContaining({ environment: 'staging' })]);
  expect(state.promotion!.environments.map((e) => [e.environment, e.status])).toEqual([
    ['staging', 'failed'],
    ['production', 'not-reached'],
  ]);
}, 90_000);

test('approvals per environment: medium risk is automatic in staging (anchor says low), production waits for one approval bound to production', async () => {
  // the change also tries to make production automatic: the anchor's rule stands
  const head = manifest({ staging: staging({ soak: '6s', approvals: 'low' }), production: production({ approvals: 'low' }) }, ['staging', 'production']);
  let seen: PipelineState | undefined;
  let attributeWhileWaiting: string | undefined;
  let handle: Parameters<NonNullable<Parameters<typeof promote>[2]>>[0] | undefined;
  const { result, state, mocks } = await promote('promo-approvals', { risk: 'medium', promotion: { head, anchor: PROTECTED } }, async (p) => {
    handle = p;
    seen = await waitForState(p, (s) => s.stage === 'approval' && s.environment === 'production', 'approval in production');
    // nor in the search attributes (`airlock list --outcome promoted`, the dashboard's filters)
    attributeWhileWaiting = (await p.describe()).typedSearchAttributes.get(SEARCH_KEYS.outcome);
    await approve(p, 'alice');
  });
  expect(result.outcome.kind).toBe('promoted');
  expect(seen!.approval).toMatchObject({ needed: 1 });
  // staging's `promoted` is not the pipeline's outcome: no outcome while production waits (the dashboard
  // hides its approve/reject controls once there is one; `trigger --wait` would stop following)
  expect(seen!.outcome).toBeUndefined();
  expect(attributeWhileWaiting).toBeUndefined();
  expect(seen!.promotion!.environments[0]).toMatchObject({ environment: 'staging', status: 'passed', level: 'low' });
  expect(state.promotion!.environments[1]).toMatchObject({ environment: 'production', status: 'passed', level: 'medium' });
  expect(state.approval!.decisions).toEqual([expect.objectContaining({ approver: 'alice', decision: 'approve' })]);
  expect(state.promotion!.ignored).toEqual([expect.stringContaining('environments.production.approvals: the change sets low; inherit of airlock.yaml at')]);
  // patch promotion-approvals-in-deploy: staging's automatic approval is a link of its own; production's,
  // after people approved, goes to the deploy, which records it before its admission
  const deploys = inputs(mocks, 'deployCandidate');
  expect(deploys[0]!.admit).not.toHaveProperty('approvals');
  expect(deploys[1]!.admit).toEqual({
    passedIn: 'staging',
    approvals: {
      pipelineId: result.pipelineId,
      runId: expect.any(String),
      state: expect.objectContaining({ environment: 'production', approval: expect.objectContaining({ decisions: [expect.objectContaining({ approver: 'alice' })] }) }),
      rule: expect.objectContaining({ approvals: 1 }),
      authors: expect.any(Array),
    },
  });
  const at = mocks.calls.findIndex((c) => c.name === 'deployCandidate' && c.input.environment === 'production');
  expect(mocks.calls[at + 1]).toMatchObject({ name: 'recordEvidence', input: { link: 'approvals', image: deploys[1]!.image } });
  expect(mocks.links().filter((l) => l === 'approvals')).toHaveLength(2);
  // in the history: the update accepted, then production's deployCandidate is the next activity scheduled
  const events = (await handle!.fetchHistory()).events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const next = events.slice(accepted).find((e) => e.activityTaskScheduledEventAttributes);
  expect(next?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('deployCandidate');
}, 90_000);

test("staging's promoted is never the state's outcome, not even while staging's stack update runs", async () => {
  const seen: (string | undefined)[] = [];
  const { result } = await promote(
    'promo-settle',
    {
      risk: 'low',
      promotion: { head: PROTECTED, anchor: PROTECTED },
      // staging's settle takes a while: the window in which its `promoted` used to show
      during: { settleRelease: async (i) => (i.environment === 'staging' ? new Promise((r) => setTimeout(r, 1500)) : undefined) },
    },
    async (p) => {
      // (the state names the target environment until the promotion enters staging)
      let inStaging = false;
      for (;;) {
        const s = await p.query(stateQuery).catch(() => undefined);
        if (s?.environment === 'staging') inStaging = true;
        if (inStaging && s?.environment === 'production') break;
        if (inStaging) seen.push(s?.outcome?.kind);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  );
  expect(result.outcome.kind).toBe('promoted');
  expect(seen.length).toBeGreaterThan(10);
  expect(seen.filter(Boolean)).toEqual([]);
}, 90_000);

test("attack: the change drops staging from the promotion and shortens its soak: the anchor's order and soak apply", async () => {
  const head = manifest({ staging: staging({ soak: '0s', approvals: 'low' }), production: production() }, ['production']);
  const { result, state, mocks } = await promote('promo-attack', { risk: 'low', promotion: { head, anchor: PROTECTED } });
  expect(result.outcome.kind).toBe('promoted');
  expect(inputs(mocks, 'deployCandidate').map((i) => i.environment)).toEqual(['staging', 'production']);
  expect(state.promotion!.environments.map((e) => [e.environment, e.soak])).toEqual([
    ['staging', '6s'],
    ['production', '0s'],
  ]);
  expect(mocks.steps().filter((s) => s === 'analyze(100)').length).toBeGreaterThanOrEqual(3); // soak checks + production's last step
  expect(state.promotion!.ignored).toEqual([
    expect.stringMatching(/^promotion: the change sets \[production\]; \[staging, production\] of airlock.yaml at /),
    expect.stringMatching(/^environments.staging.soak: the change sets 0s; 6s of airlock.yaml at /),
  ]);
}, 90_000);

test('a manifest without promotion keeps the single-environment pipeline (release id with the environment)', async () => {
  const { result, mocks } = await promote('promo-none', { risk: 'low' });
  expect(result.outcome.kind).toBe('promoted');
  expect(result.promotion).toBeUndefined();
  expect(inputs(mocks, 'deployCandidate').map((i) => i.environment)).toEqual(['production']);
  expect(result.releaseId).toMatch(/^promo-none-production-/);
}, 60_000);

const QUICK = manifest({ staging: staging({ approvals: 'low' }), production: production() }, ['staging', 'production']);

test('a commit that passed staging earlier (trigger --to staging, then promote-release --to production) goes straight to production', async () => {
  const mocks = mockActivities({ risk: 'low', promotion: { head: QUICK, anchor: QUICK } });
  await withWorker(h, mocks, 'promo-later', async (taskQueue) => {
    const first = input({ service: 'promo-later', environment: 'staging' });
    const toStaging = await (await startPipeline(h, taskQueue, first)).result();
    expect(toStaging.promotion!.environments.map((e) => [e.environment, e.status])).toEqual([['staging', 'passed']]);
    const later = await startPipeline(h, taskQueue, { ...first, environment: 'production' });
    const result = await later.result();
    expect(result.outcome.kind).toBe('promoted');
    expect(result.promotion!.environments.map((e) => [e.environment, e.status, e.skipped ?? false])).toEqual([
      ['staging', 'passed', true],
      ['production', 'passed', false],
    ]);
  });
  // one image; staging deployed once; production admitted on staging's record of the first pipeline
  expect(new Set(inputs(mocks, 'buildImage').map((i) => i.releaseId)).size).toBe(1);
  expect(inputs(mocks, 'deployCandidate').map((i) => i.environment)).toEqual(['staging', 'production']);
  expect(inputs(mocks, 'deployCandidate').at(-1)).toMatchObject({ environment: 'production', admit: { passedIn: 'staging' } });
  expect(inputs(mocks, 'verifyEvidence').filter((i) => i.check).map((i) => i.environment)).toEqual(['staging']); // asked before the target only
}, 90_000);

test('supersede per environment: a newer commit that reaches production supersedes the older one waiting for approval there', async () => {
  const mocks = mockActivities({ risk: 'medium', promotion: { head: QUICK, anchor: QUICK } });
  await withWorker(h, mocks, 'promo-supersede', async (taskQueue) => {
    const older = await startPipeline(h, taskQueue, input({ service: 'promo-supersede', environment: 'production' }));
    await waitForState(older, (s) => s.stage === 'approval' && s.environment === 'production', 'older waiting in production');
    const newer = await startPipeline(h, taskQueue, input({ service: 'promo-supersede', environment: 'production' }));
    const old = await older.result();
    expect(old.outcome).toEqual({ kind: 'superseded', by: newer.workflowId });
    expect(old.promotion!.environments.map((e) => [e.environment, e.status, e.outcome])).toEqual([
      ['staging', 'passed', undefined],
      ['production', 'failed', 'superseded'],
    ]);
    await waitForState(newer, (s) => s.stage === 'approval' && s.environment === 'production', 'newer waiting in production');
    await approve(newer, 'alice');
    expect((await newer.result()).outcome.kind).toBe('promoted');
  });
  // staging auto-approved both (anchor: low); production deployed only the newer one
  expect(inputs(mocks, 'deployCandidate').map((i) => i.environment)).toEqual(['staging', 'staging', 'production']);
}, 90_000);

// issue 13 (patch promotion-links-beside)
test('the evidence links are stored beside the next steps, and every link of an environment before its deploy', async () => {
  const run = await promotionScenarios['promotion-links-beside'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  const at = (e: string) => {
    const i = run.events.indexOf(e);
    expect([e, i]).not.toEqual([e, -1]);
    return i;
  };
  // the build link beside the scan, the scan link beside staging's verdict, the approvals link beside the policy link
  expect(at('start:scanImage')).toBeLessThan(at('end:build'));
  expect(at('start:evaluatePolicy:staging')).toBeLessThan(at('end:scan'));
  expect(at('start:approvals:staging')).toBeLessThan(at('end:policy:staging'));
  expect(at('start:approvals:production')).toBeLessThan(at('end:policy:production'));
  // each deploy's admission reads the chain: its environment's links (and the image's) are stored first
  for (const l of ['build', 'scan', 'policy:staging', 'approvals:staging']) expect(at(`end:${l}`)).toBeLessThan(at('start:deployCandidate:staging'));
  for (const l of ['policy:production', 'approvals:production', 'rollout:staging']) expect(at(`end:${l}`)).toBeLessThan(at('start:deployCandidate:production'));
}, 60_000);
