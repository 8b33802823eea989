import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { ensureDriftSchedule } from '../../activities/drift/schedule';
import { loadConfig } from '../../infra/config';
import { resolveTool } from '../../infra/local/tools';
import { driftScheduleId, type DriftReport } from '../../model/drift';
import { bundleWorkflows } from '../../worker/workflow-source';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { oneQueueRouting } from '../support/routing';

// The drift check's Temporal Schedule on a real dev server: created once, left alone when the interval is
// the same, updated when the policy's driftEvery changes, and it really starts driftCheck runs.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* installed already */
  }
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: resolveTool(loadConfig(), 'temporal') }, searchAttributes: searchAttributeKeys() } });
}, 180_000);
afterAll(async () => env?.teardown());

test('ensureDriftSchedule is idempotent, follows the interval, and the schedule runs driftCheck', async () => {
  const taskQueue = 'drift-schedule-test';
  const ref = { service: 'shop', environment: 'prod' };
  expect(await ensureDriftSchedule(env.client, taskQueue, { ...ref, every: '1h' })).toBe('created');
  expect(await ensureDriftSchedule(env.client, taskQueue, { ...ref, every: '1h' })).toBe('unchanged');
  expect(await ensureDriftSchedule(env.client, taskQueue, { ...ref, every: '2s' })).toBe('updated');
  const desc = await env.client.schedule.getHandle(driftScheduleId('shop', 'prod')).describe();
  expect(desc.spec.intervals?.[0]?.every).toBe(2000);
  expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'driftCheck', taskQueue });

  const checked: string[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: {
      // as a one-process worker answers: the drift check's routing finds every queue to be this one
      ...oneQueueRouting(),
      detectDrift: async (i: { service: string; environment: string }): Promise<DriftReport> => (checked.push(`${i.service}/${i.environment}`), { ...i, deployed: true, checkedAt: new Date().toISOString(), drift: [] }),
    },
  });
  await worker.runUntil(async () => {
    const deadline = Date.now() + 30_000;
    while (checked.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  });
  expect(checked[0]).toBe('shop/prod');
  await env.client.schedule.getHandle(driftScheduleId('shop', 'prod')).delete();
}, 120_000);
