import type { DeliverEventInput } from '../../activities/notify';
import type { EventType } from '../../model/notifications';
import { stateQuery } from '../../workflows';
import { input, snapshot } from './support/fixtures';
import { startPipeline, waitForStage, withWorker, useHarness, type Harness } from './support/harness';
import { mockActivities, type MockOptions, type Mocks } from './support/mock-activities';
import { approve } from './support/scenarios';
import { breakGlass, REASON } from './support/side-door-scenarios';

// Alerts from the pipeline (issue 16): each outcome and the approval request reach the webhooks of the
// protected policy that subscribed, through deliverNotification children, with deterministic ids.

let h: Harness;
useHarness((x) => (h = x));

const ALL: EventType[] = ['approval.requested', 'pipeline.blocked', 'pipeline.rolled_back', 'pipeline.expired', 'breakglass.used'];
const notifications = {
  webhooks: [
    { name: 'ops', url: 'http://127.0.0.1:1/ops', events: ALL, secretEnv: 'OPS_SECRET' },
    { name: 'chat', url: 'http://127.0.0.1:1/chat', events: ['approval.requested'], format: 'slack' },
  ],
};

/** Polls until `n` deliveries were made (the children run after the parent may have finished). */
async function deliveries(mocks: Mocks, n: number): Promise<DeliverEventInput[]> {
  const deadline = Date.now() + 20_000;
  while (mocks.delivered.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300)); // and no more than n
  return [...mocks.delivered];
}

async function pipeline(name: string, opts: MockOptions, expected: number, drive?: (handle: Awaited<ReturnType<typeof startPipeline>>) => Promise<void>) {
  const mocks = mockActivities({ notifications, ...opts });
  return withWorker(h, mocks, name, async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service: name }));
    await drive?.(handle);
    const result = await handle.result();
    return { result, sent: await deliveries(mocks, expected) };
  });
}

test('a policy block alerts the subscribed webhook once, with the violations', async () => {
  const { result, sent } = await pipeline('notify-blocked', { policyAllowed: false }, 1);
  expect(result.outcome.kind).toBe('blocked_by_policy');
  expect(sent).toHaveLength(1);
  const [{ webhook, event }] = sent as [DeliverEventInput];
  expect(webhook).toMatchObject({ name: 'ops', secretEnv: 'OPS_SECRET' });
  expect(event).toMatchObject({ type: 'pipeline.blocked', subject: result.pipelineId, id: `${result.pipelineId}/pipeline.blocked/0` });
  expect(event.data.violations).toEqual(result.outcome.kind === 'blocked_by_policy' ? result.outcome.violations : []);
});

test('medium risk: approval.requested to both webhooks (who may approve, the command), then promoted without another alert', async () => {
  const { result, sent } = await pipeline('notify-approval', { risk: 'medium' }, 2, async (handle) => {
    await waitForStage(handle, 'approval');
    // the alert goes out when the gate opens; approving does not wait for it
    await approve(handle, 'alice');
  });
  expect(result.outcome.kind).toBe('promoted');
  expect(sent.map((s) => s.webhook.name).sort()).toEqual(['chat', 'ops']);
  for (const { event } of sent) {
    expect(event).toMatchObject({ type: 'approval.requested', id: `${result.pipelineId}/approval.requested/0` });
    expect(event.data).toMatchObject({
      riskLevel: 'medium',
      approvalsNeeded: 1,
      groups: ['dev', 'security'],
      approvers: ['alice', 'bob', 'sam'], // not dana, the author
      command: `airlock approve ${result.pipelineId} --as <your-id>`,
    });
  }
});

test('a failed analysis alerts pipeline.rolled_back; an approval timeout alerts pipeline.expired', async () => {
  const rolled = await pipeline('notify-rolled-back', { verdict: (step) => (step === 50 ? 'fail' : 'pass') }, 1);
  expect(rolled.result.outcome.kind).toBe('rolled_back');
  expect(rolled.sent.map((s) => s.event.type)).toEqual(['pipeline.rolled_back']);
  expect(rolled.sent[0]!.event.data).toMatchObject({ step: 50, releaseId: rolled.result.releaseId });

  const expired = await pipeline('notify-expired', { risk: 'medium', snapshot: snapshot({ approvalTimeoutMs: 1500 }) }, 3);
  expect(expired.result.outcome.kind).toBe('expired');
  expect(expired.sent.map((s) => `${s.webhook.name}:${s.event.type}`).sort()).toEqual(['chat:approval.requested', 'ops:approval.requested', 'ops:pipeline.expired']);
});

test('without notifications in the policy nothing is sent (and no child workflow started)', async () => {
  const mocks = mockActivities({ policyAllowed: false });
  const result = await withWorker(h, mocks, 'notify-none', async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service: 'notify-none' }));
    const r = await handle.result();
    expect((await handle.query(stateQuery)).stage).toBe('done');
    return r;
  });
  expect(result.outcome.kind).toBe('blocked_by_policy');
  const children = h.env.client.workflow.list({ query: `WorkflowType = 'deliverNotification' AND WorkflowId STARTS_WITH 'airlock-notify/${result.pipelineId}'` });
  const found: string[] = [];
  for await (const wf of children) found.push(wf.workflowId);
  expect(found).toEqual([]);
  expect(mocks.delivered).toEqual([]);
});

test('a break-glass deploy alerts breakglass.used with its reason and signers', async () => {
  let sent: DeliverEventInput[] = [];
  const run = await breakGlass(h, 'notify-break-glass', ['alice', 'olga'], { notifications }, async (mocks) => void (sent = await deliveries(mocks, 1)));
  expect(run.outcome?.kind).toBe('promoted');
  expect(sent).toHaveLength(1);
  expect(sent[0]!.event).toMatchObject({ type: 'breakglass.used', subject: 'notify-break-glass/prod', data: { reason: REASON, signers: ['alice', 'olga'], group: 'oncall' } });
});
