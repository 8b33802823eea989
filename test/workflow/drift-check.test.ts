import { Worker } from '@temporalio/worker';
import type { DeliverEventInput } from '../../activities/notify';
import type { DriftCheckResult, DriftItem, DriftReport } from '../../model/drift';
import { policySchema } from '../../model/policy';
import { driftCheck } from '../../workflows/drift-check';
import { snapshot } from './support/fixtures';
import { uniqueQueue, useHarness, type Harness } from './support/harness';
import { oneQueueRouting } from '../support/routing';

// driftCheck on the real dev server with mocked activities: the policy comes from the environment's anchor
// (findGateRecord + readBasePolicy), reconcile happens under the environment lock, drift.detected is sent.

let h: Harness;
useHarness((x) => (h = x));

const STABLE = `127.0.0.1:5000/shop@sha256:${'ab'.repeat(32)}`;
const DRIFT: DriftItem[] = [{ kind: 'container-stopped', resource: 'shop-prod-1', expected: 'running', actual: 'exited', detail: 'release container shop-prod-1 is exited' }];

function mocks(o: { drift: DriftItem[]; compliance?: unknown; anchored?: boolean }) {
  const calls: string[] = [];
  const delivered: DeliverEventInput[] = [];
  const report = (service: string, environment: string, drift: DriftItem[]): DriftReport => ({ service, environment, deployed: true, checkedAt: new Date(0).toISOString(), drift, stableImage: STABLE });
  const policy = policySchema.parse({
    ...(o.compliance ? { compliance: o.compliance } : {}),
    notifications: { webhooks: [{ name: 'ops', url: 'http://127.0.0.1:1/x', events: ['drift.detected'] }] },
  });
  const activities = {
    detectDrift: async (i: { service: string; environment: string }) => (calls.push('detectDrift'), report(i.service, i.environment, o.drift)),
    reconcileDrift: async (i: { service: string; environment: string }): Promise<DriftCheckResult> => (calls.push('reconcileDrift'), { ...report(i.service, i.environment, o.drift), reconciled: true, remaining: [] }),
    findGateRecord: async () => (calls.push('findGateRecord'), o.anchored === false ? { priorRuns: 0 } : { priorRuns: 0, anchor: { pipelineId: 'airlock/shop/prod/a', repo: '/repos/shop', commit: 'a'.repeat(40), path: 'airlock.policy.yaml' } }),
    readBasePolicy: async () => (calls.push('readBasePolicy'), { snapshot: snapshot(), policy: { policy, digest: 'sha256:' + 'cd'.repeat(32), source: 'git:/repos/shop@aaaa:airlock.policy.yaml' } }),
    ensureDriftSchedule: async (i: { every: string }) => (calls.push(`ensureDriftSchedule(${i.every})`), 'unchanged' as const),
    deliverEvent: async (i: DeliverEventInput) => (delivered.push(i), { status: 200, webhook: i.webhook.name, eventId: i.event.id }),
  };
  return { activities, calls, delivered };
}

async function run(name: string, m: ReturnType<typeof mocks>, reconcile = false) {
  const taskQueue = uniqueQueue(name);
  const worker = await Worker.create({ connection: h.env.nativeConnection, taskQueue, workflowBundle: h.bundle, activities: { ...m.activities, ...oneQueueRouting() } });
  return worker.runUntil(async () => {
    const result = await h.env.client.workflow.execute(driftCheck, { workflowId: `airlock-drift/${name}/prod/${Date.now()}`, taskQueue, args: [{ service: name, environment: 'prod', ...(reconcile ? { reconcile } : {}) }] });
    const deadline = Date.now() + 10_000;
    while (result.drift.length && !m.delivered.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return result;
  });
}

test('drift with onDrift alert: alerted, not reconciled; the schedule takes the policy interval', async () => {
  const m = mocks({ drift: DRIFT });
  const result = await run('drift-alert', m);
  expect(result).toMatchObject({ reconciled: false, drift: DRIFT });
  expect(m.calls).toEqual(['detectDrift', 'findGateRecord', 'readBasePolicy', 'ensureDriftSchedule(1h)']);
  expect(m.delivered).toHaveLength(1);
  expect(m.delivered[0]!.event).toMatchObject({ type: 'drift.detected', subject: 'drift-alert/prod', data: { drift: ['release container shop-prod-1 is exited'], reconciled: false } });
});

test('onDrift reconcile: reconciled under the environment lock, then alerted', async () => {
  const m = mocks({ drift: DRIFT, compliance: { onDrift: 'reconcile', driftEvery: '15m' } });
  const result = await run('drift-reconcile', m);
  expect(result).toMatchObject({ reconciled: true, remaining: [] });
  expect(m.calls).toEqual(['detectDrift', 'findGateRecord', 'readBasePolicy', 'ensureDriftSchedule(15m)', 'reconcileDrift']);
  expect(m.delivered[0]!.event.data).toMatchObject({ reconciled: true, remaining: [] });
  const lock = await h.env.client.workflow.getHandle('airlock-lock/drift-reconcile/prod').describe();
  expect(lock.type).toBe('environmentLock');
});

test('no drift: nothing reconciled, nothing sent; --reconcile without an anchor still reconciles', async () => {
  const clean = mocks({ drift: [] });
  expect(await run('drift-clean', clean)).toMatchObject({ reconciled: false, drift: [] });
  expect(clean.delivered).toEqual([]);
  const forced = mocks({ drift: DRIFT, anchored: false });
  expect(await run('drift-forced', forced, true)).toMatchObject({ reconciled: true });
  expect(forced.calls).toEqual(['detectDrift', 'findGateRecord', 'reconcileDrift']);
  expect(forced.delivered).toEqual([]); // no protected policy: no webhooks
});
