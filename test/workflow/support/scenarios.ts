import { canaryAnalysisSchema } from '../../../model/manifest';
import type { ApprovalReceipt } from '../../../model/approval';
import type { PipelineInput, PipelineResult, PipelineState } from '../../../model/pipeline';
import { abortSignedUpdate, approveUpdate, lockStateQuery, promoteUpdate, rejectUpdate, stateQuery } from '../../../workflows';
import { lockWorkflowId } from '../../../model/names';
import { input, signed, snapshot, type Person } from './fixtures';
import { startPipeline, waitForStage, waitForState, withWorker, type Harness, type PipelineHandle } from './harness';
import type { WindowsRecheck } from '../../../model/policy-verdict';
import { MANIFEST_ENVIRONMENT, mockActivities, nonRetryable, type MockOptions, type Mocks } from './mock-activities';

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

  // issue 13 (patch settle-after-promote): the outcome is known once the traffic is final; the stack update
  // that destroys the old release follows, still under the environment lock (its holder is recorded here)
  'settle-after-promote': async (h: Harness) => {
    const holders: (string | undefined)[] = [];
    const run = await single(
      h,
      'settle-after-promote',
      {
        risk: 'low',
        during: {
          settleRelease: async () => {
            holders.push((await h.env.client.workflow.getHandle(lockWorkflowId('settle-after-promote', 'prod')).query(lockStateQuery)).holder?.pipelineId);
            await new Promise((r) => setTimeout(r, 1500));
          },
        },
      },
      {},
      async (p, r) => void r.states.push(await waitForState(p, (s) => s.outcome !== undefined, 'the outcome')),
    );
    return Object.assign(run, { lockHolders: holders });
  },

  // issue 13 (patch evidence-beside-gate): the scan and policy links are stored beside the lock and an automatic
  // gate, the approvals link beside them; each start and end of a link is in `events` (scan and policy take 700 ms)
  'evidence-beside-gate': async (h: Harness) => {
    const events: string[] = [];
    const slow = async (i: Record<string, unknown>) => {
      if (i.link === 'scan' || i.link === 'policy') await new Promise((r) => setTimeout(r, 700));
      events.push(`end:${String(i.link)}`);
    };
    const run = await single(h, 'evidence-beside-gate', {
      risk: 'low',
      // (`fail` runs as an activity starts: used here to see the start, it fails nothing)
      fail: { recordEvidence: (i) => void events.push(`start:${String(i.link)}`), deployCandidate: () => void events.push('start:deployCandidate') },
      during: { recordEvidence: slow },
    });
    return Object.assign(run, { events });
  },
  // a medium-risk gate waits for people: the scan and policy links are stored before it opens
  'evidence-before-human-gate': async (h: Harness) => {
    const stored: string[] = [];
    const run = await single(
      h,
      'evidence-before-human-gate',
      {
        risk: 'medium',
        during: {
          recordEvidence: async (i) => {
            if (i.link === 'policy') await new Promise((r) => setTimeout(r, 700));
            stored.push(String(i.link));
          },
        },
      },
      {},
      async (p, r) => {
        await waitForStage(p, 'approval');
        r.refusals.storedAtGate = stored.join(',');
        r.receipts.push(await approve(p, 'alice'));
      },
    );
    return run;
  },
  // issue 13 (patch settle-beside-records): the stack update after the promote (700 ms here) runs beside the
  // rollout record and the schedules; each start and end is in `events`, with the time settleRelease ended
  'settle-beside-records': async (h: Harness) => {
    const events: string[] = [];
    let settledAt = 0;
    const run = await single(h, 'settle-beside-records', {
      risk: 'low',
      fail: {
        recordEvidence: (i) => void events.push(`start:${String(i.link)}`),
        settleRelease: () => void events.push('start:settleRelease'),
        readAnchorPolicy: () => void events.push('start:readAnchorPolicy'),
      },
      during: {
        recordEvidence: async (i) => void events.push(`end:${String(i.link)}`),
        settleRelease: async () => {
          await new Promise((r) => setTimeout(r, 700));
          events.push('end:settleRelease');
          settledAt = Date.now();
        },
      },
    });
    return Object.assign(run, { events, settledAt: () => settledAt });
  },
  // the policy link cannot be stored while the lock is taken: the pipeline fails before anything is deployed
  'evidence-link-fails-beside-gate': (h: Harness) =>
    single(h, 'evidence-link-fails-beside-gate', { risk: 'low', fail: { recordEvidence: (i) => (i.link === 'policy' ? nonRetryable('RegistryError', 'registry 127.0.0.1:5000: PUT manifest refused') : undefined) } }),

  // issue 11 items 1-2: the policy at the stable release's commit judges stable..head; a first release is a bootstrap
  'anchored-policy': (h: Harness) => single(h, 'anchored-policy', { risk: 'low' }),

  'bootstrap-first-release': (h: Harness) =>
    // the scorer says low, but there is no stable release: high, the worker's bootstrap approvers decide
    single(h, 'bootstrap-first-release', { risk: 'low', anchor: null }, {}, async (p, run) => {
      await waitForStage(p, 'approval');
      run.states.push(await p.query(stateQuery));
      run.receipts.push(await approve(p, 'sam'));
      run.receipts.push(await approve(p, 'alice'));
    }),

  'not-a-descendant': (h: Harness) =>
    single(h, 'not-a-descendant', {
      fail: { resolveAnchor: () => nonRetryable('AnchorError', 'head 0123456789ab does not descend from a0a0a0a0a0a0, the stable release x of y/prod') },
    }),

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

  // issue 12: the chain is verified right before the deploy; a link that does not hold stops it
  'evidence-broken': (h: Harness) => single(h, 'evidence-broken', { risk: 'low', evidenceBroken: 'the approvals link: signature of alice does not verify' }),

  'analysis-fails-rollback': (h: Harness) => single(h, 'analysis-fails-rollback', { risk: 'low', verdict: (step) => (step === 50 ? 'fail' : 'pass') }),

  // the runtime security stage (patch `runtime-security`): airlock.yaml declares the surface, the probes find a hole
  'runtime-security-rollback': (h: Harness) =>
    single(h, 'runtime-security-rollback', {
      risk: 'low',
      security: { endpoints: [{ path: '/api/entries', method: 'GET', auth: 'required' }, { path: '/healthz', method: 'GET', auth: 'public' }] },
      runtimeFindings: [
        { check: 'authentication', endpoint: 'GET /api/entries', probe: 'no-credentials (airlock-x-1-1)', detail: 'answered 200 to a request with no credentials: expected 401 or 403', blocking: true },
        { check: 'error_handling', endpoint: 'GET /healthz', probe: 'injection-query (airlock-x-2-4)', detail: 'header Server with a version: nginx/1.25 (answer 200 to injection-query)', blocking: false },
      ],
    }),

  'runtime-security-passes': (h: Harness) =>
    single(h, 'runtime-security-passes', { risk: 'low', security: { endpoints: [{ path: '/api/entries', method: 'GET', auth: 'required' }] } }),

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

  'blue-green': (h: Harness) => single(h, 'blue-green', { risk: 'low', manifest: { rollout: { strategy: 'blue-green' } } }),

  // Started by hand with the old input shape (anyone with Temporal access can): one step of 100, no
  // success-rate floor, another author. airlock.yaml at head says canary 10/50/100 and 0.995.
  'forged-input': (h: Harness) =>
    single(
      h,
      'forged-input',
      { risk: 'low', manifest: { analysis: { ...MANIFEST_ENVIRONMENT.analysis, minSuccessRate: 0.995 } } },
      {
        author: 'someone-else',
        rollout: { strategy: 'canary', steps: [100] },
        analysis: canaryAnalysisSchema.parse({ interval: '1s', checks: 1, failureLimit: 100, minSuccessRate: 0, maxLatencyP95Ms: 600_000, maxSuccessRateDrop: 1, loadRps: 0 }),
      },
    ),

  'deploy-fails': (h: Harness) =>
    single(h, 'deploy-fails', { risk: 'low', fail: { deployCandidate: () => nonRetryable('DeployProgramError', 'port 8080 already allocated') } }),

  // patch `recheck-windows`: freeze windows and exception expiry re-checked before the deploy and each traffic increase
  'freeze-during-approval': (h: Harness) =>
    single(h, 'freeze-during-approval', { risk: 'medium', recheck: () => FROZEN(60_000) }, {}, async (p, run) => {
      await waitForStage(p, 'approval');
      run.receipts.push(await approve(p, 'alice')); // approved after the window started
    }),

  'exception-expired-during-approval': (h: Harness) =>
    single(h, 'exception-expired-during-approval', { risk: 'medium', recheck: () => ({ allowed: false, otherBlocking: 1, violations: [EXPIRED] }) }, {}, async (p, run) => {
      await waitForStage(p, 'approval');
      run.receipts.push(await approve(p, 'alice'));
    }),

  'freeze-between-steps': (h: Harness) =>
    // checks: before the deploy, before 10%, before 50% (frozen: hold ~2 s), again (over), before 100%
    single(h, 'freeze-between-steps', { risk: 'low', recheck: (n) => (n === 2 ? FROZEN(2000) : {}) }, {}, async (p, run) => {
      run.states.push(await waitForState(p, (s) => s.hold !== undefined, 'held by the freeze'));
    }),

  'freeze-between-steps-rollback': (h: Harness) =>
    single(h, 'freeze-between-steps-rollback', { risk: 'low', recheck: (n) => (n === 2 ? FROZEN(60_000, 'rollback') : {}) }),
};

const EXPIRED = 'vulnerabilities.max-severity: CVE-2021-44906 in minimist@1.2.5: CRITICAL is above the allowed high';
/** recheckWindows' answer while a freeze window is on for `ms` more milliseconds. */
function FROZEN(ms: number, duringRollout: 'hold' | 'rollback' = 'hold'): Partial<WindowsRecheck> {
  return {
    allowed: false,
    otherBlocking: 0,
    violations: ['freeze-window: deploys to prod are frozen by window "year-end" (payments freeze); rollbacks stay allowed'],
    freeze: { name: 'year-end', endsAt: new Date(Date.now() + ms).toISOString(), duringRollout },
  };
}

export type ScenarioName = keyof typeof scenarios;
