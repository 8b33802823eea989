import { canaryAnalysisSchema } from '../../../model/manifest';
import { publicKeyOf, signApproval, signBreakGlass, type Approval } from '../../../model/approval';
import type { DeployTarget } from '../../../model/deploy';
import { breakGlassWorkflowId, type GateRecord } from '../../../model/deploy-gate';
import { lockWorkflowId } from '../../../model/names';
import { deployRelease, deployWorkflowId, rollbackRelease, rollbackWorkflowId, type DeployReleaseOutcome } from '../../../workflows/deploy-release';
import { lockGrantedSignal, lockReleaseSignal, lockStateQuery, supersededSignal, type LockState } from '../../../workflows';
import { commit, input, PEOPLE, snapshot, type Person } from './fixtures';
import { startPipeline, waitForStage, withWorker, type Harness } from './harness';
import { mockActivities, type Call, type MockOptions, type Mocks } from './mock-activities';

// Side doors (issue 11, item 6) on the dev server with mocked activities: `airlock deploy` needs a
// promoted pipeline or break-glass signatures and holds the lock; `airlock rollback` holds the lock; lock
// messages without the run's secret do nothing.

export interface SideDoorRun {
  outcome?: DeployReleaseOutcome;
  mocks: Mocks;
  recorded: { name: string; workflowId: string; runId?: string }[];
  /** what the test saw while the deploy or rollback waited behind the held lock */
  whileHeld?: { holder: string; holderOutcome: string; lock: LockState; callsBefore: string[]; callsAfterForgery: string[]; lockAfterForgedRelease: LockState };
}

export const target = (service: string): DeployTarget => ({
  service,
  environment: 'prod',
  run: { port: 8080, health: '/healthz', replicas: 1 },
  settings: {
    routerPort: 18080,
    rollout: { strategy: 'canary', steps: [50, 100] },
    analysis: canaryAnalysisSchema.parse({ interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 }),
    env: {},
  },
});

const IMAGE_DIGEST = `sha256:${'0e'.repeat(32)}`;
const image = (service: string) => `127.0.0.1:5000/${service}@${IMAGE_DIGEST}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lockState(h: Harness, service: string, until: (l: LockState) => boolean): Promise<LockState> {
  const lock = h.env.client.workflow.getHandle(lockWorkflowId(service, 'prod'));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await lock.query(lockStateQuery);
    if (until(state)) return state;
    if (Date.now() > deadline) throw new Error(`lock of ${service}: condition not met; last ${JSON.stringify(state)}`);
    await sleep(25);
  }
}

/** The holder: a low-risk pipeline whose analysis takes 4 s a step (it holds the lock while deploying). */
export const HOLDER_OPTIONS: MockOptions = { risk: 'low', analyzeMs: () => 4000 };

/**
 * A pipeline holds the lock (deploying); `start` begins a deploy, rollback or pipeline, which must queue
 * and do nothing; forged lockGranted / superseded to it and a forged lockRelease of the holder change
 * nothing; once the holder is done, it runs. `mine` picks the waiting run's activity calls.
 */
async function behindHeldLock(
  h: Harness,
  name: string,
  start: (taskQueue: string) => Promise<{ workflowId: string; runId: string; result: () => Promise<unknown>; mine: (c: Call) => boolean }>,
): Promise<SideDoorRun> {
  const mocks = mockActivities(HOLDER_OPTIONS);
  return withWorker(h, mocks, name, async (taskQueue) => {
    const holder = await startPipeline(h, taskQueue, input({ service: name, rollout: { strategy: 'canary', steps: [10, 50, 100] } }));
    await waitForStage(holder, 'analysis');
    const run = await start(taskQueue);
    const queued = await lockState(h, name, (l) => l.queue.some((q) => q.pipelineId === run.workflowId));
    await sleep(500);
    const mineNow = () => mocks.calls.filter(run.mine).map((c) => c.name as string);
    const callsBefore = mineNow();
    const waiting = h.env.client.workflow.getHandle(run.workflowId, run.runId);
    const lock = h.env.client.workflow.getHandle(lockWorkflowId(name, 'prod'));
    await waiting.signal(lockGrantedSignal);
    await waiting.signal(lockGrantedSignal, { secret: 'guessed' });
    await waiting.signal(supersededSignal, { by: 'attacker' });
    await lock.signal(lockReleaseSignal, { pipelineId: holder.workflowId, runId: holder.firstExecutionRunId });
    await lock.signal(lockReleaseSignal, { pipelineId: holder.workflowId, runId: holder.firstExecutionRunId, secret: 'guessed' });
    await sleep(1500);
    const lockAfterForgedRelease = await lock.query(lockStateQuery);
    const callsAfterForgery = mineNow();
    const held = (await holder.result()).outcome.kind;
    const outcome = (await run.result()) as DeployReleaseOutcome;
    return {
      outcome,
      mocks,
      recorded: [{ name, workflowId: run.workflowId }],
      whileHeld: { holder: holder.workflowId, holderOutcome: held, lock: queued, callsBefore, callsAfterForgery, lockAfterForgedRelease },
    };
  });
}

async function deploy(
  h: Harness,
  name: string,
  opts: MockOptions,
  extra: { workflowId?: string; breakGlass?: { reason: string; expiresAt: string; signatures: Approval[] }; after?: (mocks: Mocks) => Promise<void> } = {},
): Promise<SideDoorRun> {
  const mocks = mockActivities(opts);
  const releaseId = `${name}-prod-${commit().slice(0, 12)}`;
  return withWorker(h, mocks, name, async (taskQueue) => {
    const workflowId = extra.workflowId ?? deployWorkflowId(name, 'prod', releaseId);
    const args = [{ target: target(name), releaseId, image: image(name), ...(extra.breakGlass ? { breakGlass: extra.breakGlass } : {}) }] as const;
    const outcome = await h.env.client.workflow.execute(deployRelease, { workflowId, taskQueue, args: [...args] });
    await extra.after?.(mocks);
    return { outcome, mocks, recorded: [{ name, workflowId }] };
  });
}

// --- break-glass ------------------------------------------------------------------------------------------
const ONCALL: Person[] = ['alice', 'olga', 'sam'];
const member = (p: Person) => ({ id: p, publicKey: publicKeyOf(PEOPLE[p].key), aliases: [] });
const breakGlassPolicy = {
  approverGroups: { oncall: { members: ONCALL.map(member) }, dev: { members: [member('bob')] } },
  breakGlass: { group: 'oncall', approvals: 2 },
};
const anchored = (): GateRecord => ({ anchor: { pipelineId: 'airlock/x/prod/a', repo: '/repos/shop', commit: 'a'.repeat(40), path: 'airlock.policy.yaml' }, priorRuns: 0 });
export const EXPIRES = '2099-01-01T00:00:00Z';
export const REASON = 'INC-42: checkout down, hotfix';

/** Break-glass deploy signed by `signers`: each signs the break-glass message (or `approval`: an approval instead). */
export function breakGlass(h: Harness, name: string, signers: (Person | { who: Person; as: 'approval' | 'wrong-reason' })[], more: MockOptions = {}, after?: (mocks: Mocks) => Promise<void>) {
  const nonce = `n-${commit().slice(0, 10)}`;
  const workflowId = breakGlassWorkflowId(name, 'prod', nonce);
  const subject = { service: name, environment: 'prod', imageDigest: IMAGE_DIGEST, reason: REASON, workflowId, expiresAt: EXPIRES };
  const signatures = signers.map((s): Approval => {
    if (typeof s === 'string') return { approver: s, signature: signBreakGlass(PEOPLE[s].key, subject) };
    if (s.as === 'approval') return { approver: s.who, signature: signApproval(PEOPLE[s.who].key, { pipelineId: workflowId, runId: 'r', environment: 'prod', imageDigest: IMAGE_DIGEST, baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40), riskLevel: 'high', policyDigest: '', decision: 'approve' }) };
    return { approver: s.who, signature: signBreakGlass(PEOPLE[s.who].key, { ...subject, reason: 'something else' }) };
  });
  const snap = snapshot({ groups: { oncall: ONCALL.map(member), dev: [member('bob')] } });
  return deploy(h, name, { gateRecord: anchored, policy: breakGlassPolicy, snapshot: snap, ...more }, { workflowId, breakGlass: { reason: REASON, expiresAt: EXPIRES, signatures }, ...(after ? { after } : {}) });
}

export const sideDoorScenarios = {
  'deploy-release-gate-refused': (h: Harness) => deploy(h, 'deploy-release-gate-refused', { gateRecord: () => ({ priorRuns: 0 }) }),
  'deploy-release-waits-for-lock': (h: Harness) => {
    const name = 'deploy-release-waits-for-lock';
    const releaseId = `${name}-prod-${commit().slice(0, 12)}`;
    return behindHeldLock(h, name, async (taskQueue) => {
      const handle = await h.env.client.workflow.start(deployRelease, { workflowId: deployWorkflowId(name, 'prod', releaseId), taskQueue, args: [{ target: target(name), releaseId, image: image(name) }] });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, result: () => handle.result(), mine: (c) => c.name === ('findGateRecord' as never) || c.input.releaseId === releaseId };
    });
  },
  'rollback-release-waits-for-lock': (h: Harness) => {
    const name = 'rollback-release-waits-for-lock';
    return behindHeldLock(h, name, async (taskQueue) => {
      const handle = await h.env.client.workflow.start(rollbackRelease, {
        workflowId: rollbackWorkflowId(name, 'prod', `${name}-prod-aaaaaaaaaaaa`),
        taskQueue,
        args: [{ service: name, environment: 'prod', toReleaseId: `${name}-prod-aaaaaaaaaaaa`, reason: 'test' }],
      });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, result: () => handle.result(), mine: (c) => c.name === ('restoreRelease' as never) };
    });
  },
  'pipeline-ignores-forged-lock-messages': (h: Harness) => {
    const name = 'pipeline-ignores-forged-lock-messages';
    const waiting = input({ service: name, rollout: { strategy: 'canary', steps: [100] } });
    const releaseId = `${name}-prod-${waiting.headCommit.slice(0, 12)}`;
    return behindHeldLock(h, name, async (taskQueue) => {
      const handle = await startPipeline(h, taskQueue, waiting);
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, result: () => handle.result(), mine: (c) => c.input.releaseId === releaseId && ['deployCandidate', 'promote'].includes(c.name) };
    });
  },
  'deploy-release-break-glass-too-few': (h: Harness) => breakGlass(h, 'deploy-release-break-glass-too-few', ['alice', 'bob', { who: 'olga', as: 'approval' }, { who: 'sam', as: 'wrong-reason' }, 'alice']),
  'deploy-release-break-glass': (h: Harness) => breakGlass(h, 'deploy-release-break-glass', ['alice', 'olga']),
};
