import type { Worker } from '@temporalio/worker';
import { publicKeyOf } from '../../../model/approval-rules';
import type { FlagActivities, FlagRolloutInput, SetFlagShareInput } from '../../../model/flag-activities';
import { signFlagApproval } from '../../../model/flag-approval';
import { flagKillWorkflowId, signFlagKill, type VariantVerdict } from '../../../model/flags';
import type { PolicySnapshot } from '../../../model/policy-snapshot';
import type { RecordedEvidence, EvidenceRequest } from '../../../model/evidence-record';

interface EvidenceActivities {
  recordEvidence(req: EvidenceRequest): Promise<RecordedEvidence>;
}
import { flagApproveUpdate, flagKill, flagRollout, flagRolloutStateQuery } from '../../../workflows';
import { createWorker, uniqueQueue, type Harness } from './harness';
import { oneQueueRouting } from '../../support/routing';

// flagRollout and flagKill paths with mocked flag activities, for record-histories.ts: their saved
// histories replay in replay.test.ts, so a later change to the flag workflows must keep them replaying.

const ALICE = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const SAM = 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7';
const anchor = {
  pipelineId: 'airlock/demo/prod/abc',
  repo: 'file:///repo',
  commit: 'a'.repeat(40),
  serviceDir: '.',
  policyPath: 'airlock.policy.yaml',
  image: `127.0.0.1:5000/demo@sha256:${'b'.repeat(64)}`,
  releaseId: 'demo-prod-aaaaaaaaaaaa',
};
const definition = { state: 'ENABLED' as const, variants: { on: true, off: false }, defaultVariant: 'off' };
const snapshot: PolicySnapshot = {
  source: 'git:file:///repo@aaaa:airlock.policy.yaml',
  policyDigest: 'sha256:policy',
  groups: { developers: [{ id: 'alice', publicKey: publicKeyOf(ALICE), aliases: [] }], security: [{ id: 'sam', publicKey: publicKeyOf(SAM), aliases: [] }] },
  levels: { low: { approvals: 0, groups: [], require: [] }, medium: { approvals: 1, groups: [], require: [] }, high: { approvals: 2, groups: [], require: ['security'] } },
  approvalTimeoutMs: 60_000,
};
const verdict = (fail: boolean): VariantVerdict =>
  fail
    ? { verdict: 'fail', on: { requests: 50, errors: 10, denied: 0 }, off: { requests: 150, errors: 0, denied: 0 }, reasons: ['on: 5xx 20.0% > 2.0% (10/50)'] }
    : { verdict: 'pass', on: { requests: 50, errors: 0, denied: 0 }, off: { requests: 150, errors: 0, denied: 0 }, reasons: [] };

function activities(opts: { failAt?: number; high?: boolean }): FlagActivities & Pick<EvidenceActivities, 'recordEvidence'> {
  let share = 0;
  return {
    loadFlagSource: async () => ({
      anchor,
      definition,
      routerPort: 18090,
      risk: opts.high ? { level: 'high', reasons: ['payments/checkout.js (payments)'] } : { level: 'low', reasons: [] },
      thresholds: { maxErrorRate: 0.01, maxDeniedRate: 0.05, maxDegradation: 0.02, minRequests: 40 },
    }),
    flagAnchor: async () => anchor,
    recordEvidence: async () => ({ links: ['flag'], added: 1, manifestDigest: `sha256:${'c'.repeat(64)}`, stored: [] }),
    setFlagShare: async (input: SetFlagShareInput) => ((share = input.share), { share: input.share, workflowId: 'x', at: 'now' }),
    killFlag: async (input) => ({ share: 0, killed: { by: input.by, reason: input.reason, at: 'now', workflowId: 'x' }, workflowId: 'x', at: 'now' }),
    analyzeFlag: async () => verdict(opts.failAt === share),
    readFlagPolicy: async () => snapshot,
    killApprovers: async () => snapshot.groups,
  };
}

export interface FlagRun {
  recorded: { name: string; workflowId: string }[];
}

async function rollout(h: Harness, name: string, opts: { failAt?: number; high?: boolean }, during?: (workflowId: string, worker: Worker) => Promise<void>): Promise<FlagRun> {
  const taskQueue = uniqueQueue(name);
  const worker = await createWorker(h, { activities: { ...activities(opts), ...oneQueueRouting() } } as never, taskQueue);
  const workflowId = `airlock-flag/demo/prod/${name}`;
  const input: FlagRolloutInput = { service: 'demo', environment: `rec-${name}`, flag: 'new-checkout', steps: [25, 50, 100], windowMs: 3000, requestedBy: 'dana' };
  await worker.runUntil(async () => {
    const handle = await h.env.client.workflow.start(flagRollout, { taskQueue, workflowId, args: [input] });
    await during?.(workflowId, worker);
    return handle.result();
  });
  return { recorded: [{ name, workflowId }] };
}

export const flagScenarios = {
  'flag-rollout-completed': (h: Harness) => rollout(h, 'flag-rollout-completed', {}),
  'flag-rollout-killed': (h: Harness) => rollout(h, 'flag-rollout-killed', { failAt: 50 }),
  'flag-rollout-high-approved': (h: Harness) =>
    rollout(h, 'flag-rollout-high-approved', { high: true }, async (workflowId) => {
      const handle = h.env.client.workflow.getHandle(workflowId);
      let state = await handle.query(flagRolloutStateQuery);
      for (let i = 0; i < 400 && state.stage !== 'approval'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        state = await handle.query(flagRolloutStateQuery);
      }
      const subject = { workflowId, runId: state.runId!, service: 'demo', environment: state.environment, flag: 'new-checkout', level: 'high' as const, commit: anchor.commit, steps: state.steps };
      for (const [who, key] of [['alice', ALICE], ['sam', SAM]] as const) await handle.executeUpdate(flagApproveUpdate, { args: [{ approver: who, signature: signFlagApproval(key, subject) }] });
    }),
  'flag-kill': async (h: Harness): Promise<FlagRun> => {
    const taskQueue = uniqueQueue('flag-kill');
    const worker = await createWorker(h, { activities: { ...activities({}), ...oneQueueRouting() } } as never, taskQueue);
    const workflowId = flagKillWorkflowId('demo', 'prod', 'new-checkout', 'recorded');
    const signature = signFlagKill(ALICE, { service: 'demo', environment: 'prod', flag: 'new-checkout', reason: 'recorded', workflowId });
    await worker.runUntil(h.env.client.workflow.execute(flagKill, { taskQueue, workflowId, args: [{ service: 'demo', environment: 'prod', flag: 'new-checkout', reason: 'recorded', by: 'alice', signature }] }));
    return { recorded: [{ name: 'flag-kill', workflowId }] };
  },
};
