import { MockActivityEnvironment } from '@temporalio/testing';
import { queryLockHolder } from '../../activities/deploy/lease';
import { lockWorkflowId } from '../../model/names';
import { environmentLock, lockRenewSignal, lockStateQuery, stateQuery, type LockState } from '../../workflows';
import { input } from './support/fixtures';
import { Worker } from '@temporalio/worker';
import { bundle, startPipeline, uniqueQueue, useHarness, waitForStage, withWorker, type Harness } from './support/harness';
import { mockActivities } from './support/mock-activities';
import { approve } from './support/scenarios';

// Issue 19: the environment lock's lease is renewed by a live holder and fenced for a gone one.

let h: Harness;
useHarness((x) => (h = x));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function holderOf(service: string): Promise<LockState['holder']> {
  return (await h.env.client.workflow.getHandle(lockWorkflowId(service, 'prod')).query(lockStateQuery)).holder;
}

test('a renewed lease outlives its length; without renewals it runs out and the fencing query sees nobody', async () => {
  const service = 'lease-renewal';
  const holder = { pipelineId: `airlock/${service}/prod/aaa`, runId: 'run-a', headCommit: 'aaa', leaseMs: 5000, secret: 's3cret', grantedAtMs: Date.now() };
  await withWorker(h, mockActivities(), service, async (taskQueue) => {
    const lock = await h.env.client.workflow.start(environmentLock, {
      taskQueue,
      workflowId: lockWorkflowId(service, 'prod'),
      args: [{ service, environment: 'prod', holder, requests: [] }],
    });
    const fence = new MockActivityEnvironment(undefined, { client: h.env.client });
    const asked = () => fence.run(queryLockHolder, service, 'prod');
    expect(await holderOf(service)).toMatchObject({ runId: holder.runId }); // the lock runs (the worker is up)
    // renewed every second for 8 s (more than the lease): still the holder; a renewal without the secret does nothing
    for (let i = 0; i < 8; i++) {
      await sleep(1000);
      await lock.signal(lockRenewSignal, { pipelineId: holder.pipelineId, runId: holder.runId, secret: holder.secret });
      await lock.signal(lockRenewSignal, { pipelineId: holder.pipelineId, runId: holder.runId, secret: 'forged' });
    }
    expect(await holderOf(service)).toMatchObject({ pipelineId: holder.pipelineId, runId: holder.runId });
    expect(await asked()).toEqual({ pipelineId: holder.pipelineId, runId: holder.runId });
    // only forged renewals from now on: the lease runs out, the lock ends idle, and the fence finds no holder
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      await lock.signal(lockRenewSignal, { pipelineId: holder.pipelineId, runId: holder.runId }).catch(() => undefined);
      if ((await asked()) === undefined) break;
      await sleep(300);
    }
    expect(await asked()).toBeUndefined();
    await lock.result();
  });
}, 60_000);

test('a live holder renews a short lease and keeps the lock for three times its length', async () => {
  const service = 'lease-holder';
  const code = await bundle(require.resolve('../fixtures/workflows/lease-holder'));
  const taskQueue = uniqueQueue(service);
  const worker = await Worker.create({ connection: h.env.nativeConnection, taskQueue, workflowBundle: code });
  await worker.runUntil(async () => {
    const held = await h.env.client.workflow.start('leaseHolder', { taskQueue, workflowId: `lease-holder-${taskQueue}`, args: [service, 2000, 6000] });
    await sleep(4500); // more than twice the lease
    const holder = await holderOf(service);
    expect(holder).toMatchObject({ pipelineId: held.workflowId, leaseMs: 2000 });
    expect(holder!.renewedAtMs).toBeGreaterThan(holder!.grantedAtMs + 2000);
    const lock = (await held.result()) as { granted: boolean; released: boolean; lease: unknown };
    expect(lock).toMatchObject({ granted: true, released: true, lease: { pipelineId: held.workflowId, runId: held.firstExecutionRunId } });
  });
}, 60_000);

test('the rollout activities of a pipeline carry its lease; the analysis does not', async () => {
  const service = 'lease-pipeline';
  const mocks = mockActivities({ risk: 'medium' });
  await withWorker(h, mocks, service, async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service }));
    await waitForStage(handle, 'approval');
    await approve(handle, 'alice');
    const result = await handle.result();
    expect(result.outcome.kind).toBe('promoted');
    const lease = { pipelineId: handle.workflowId, runId: handle.firstExecutionRunId };
    const changing = mocks.calls.filter((c) => ['deployCandidate', 'shiftTraffic', 'promote', 'settleRelease'].includes(c.name));
    expect(changing.length).toBeGreaterThanOrEqual(4);
    for (const c of changing) expect([c.name, c.input.lease]).toEqual([c.name, lease]);
    expect(mocks.calls.filter((c) => c.name === 'analyze').every((c) => c.input.lease === undefined)).toBe(true);
    expect((await handle.query(stateQuery)).stage).toBe('done');
  });
}, 90_000);
