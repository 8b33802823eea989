import { roleOf } from '../../model/roles';
import { useHarness, withWorker, startPipeline, type Harness } from './support/harness';
import { input } from './support/fixtures';
import { mockActivities } from './support/mock-activities';
import { roleScenarios } from './support/role-scenarios';

// Workers by role (patch `queues-by-role`): each activity runs on its role's task queue, the deploy ones on
// the queue of the environment's target; a worker registers only its role's activities, so an activity on a
// wrong queue would fail (NotFoundError) instead of passing.

let h: Harness;
useHarness((x) => (h = x));

const expectedQueue = (base: string, name: string) => ({ pipeline: base, build: `${base}-build`, deploy: `${base}-deploy-prod-host` })[roleOf(name)];
const where = (run: { taskQueue: string; mocks: { calls: { name: string; taskQueue: string }[] } }) =>
  run.mocks.calls.map((c) => `${c.name}@${c.taskQueue.replace(run.taskQueue, 'Q')}`);

test('a pipeline on split workers: change analysis and evidence on the pipeline queue, build and scan on the build queue, the rollout on the target', async () => {
  const run = await roleScenarios['queues-by-role'](h);
  expect(run.result!.outcome.kind).toBe('promoted');
  for (const c of run.mocks.calls) expect([c.name, c.taskQueue]).toEqual([c.name, expectedQueue(run.taskQueue, c.name)]);
  expect(where(run)).toEqual(
    expect.arrayContaining(['resolveAnchor@Q-deploy-prod-host', 'readChange@Q', 'assessChange@Q', 'buildImage@Q-build', 'scanImage@Q-build', 'recordEvidence@Q', 'deployCandidate@Q-deploy-prod-host', 'promote@Q-deploy-prod-host', 'settleRelease@Q-deploy-prod-host']),
  );
  // the deploy host is not the pipeline's worker: the chain is verified on the pipeline queue first, and the
  // deploy carries no `admit` (patch verify-in-deploy applies on the workflow's own queue only)
  const names = where(run);
  expect(names.indexOf('verifyEvidence@Q')).toBe(names.indexOf('deployCandidate@Q-deploy-prod-host') - 1);
  expect(run.mocks.calls.find((c) => c.name === 'deployCandidate')!.input.admit).toBeUndefined();
});

test('the rollback saga runs on the target too', async () => {
  const run = await roleScenarios['queues-by-role-rollback'](h);
  expect(run.result!.outcome).toMatchObject({ kind: 'rolled_back', step: 50 });
  expect(where(run).slice(-3)).toEqual(['shiftTraffic@Q-deploy-prod-host', 'rollback@Q-deploy-prod-host', 'recordEvidence@Q']);
  for (const c of run.mocks.calls) expect([c.name, c.taskQueue]).toEqual([c.name, expectedQueue(run.taskQueue, c.name)]);
});

test('airlock deploy on split workers: the gate record and the evidence on the pipeline queue, the rollout on the target', async () => {
  const run = await roleScenarios['queues-by-role-deploy-release'](h);
  expect(run.deployed).toMatchObject({ kind: 'promoted' });
  expect(where(run)).toEqual([
    'findGateRecord@Q',
    'verifyEvidence@Q',
    'deployCandidate@Q-deploy-prod-host',
    'shiftTraffic@Q-deploy-prod-host',
    'analyze@Q-deploy-prod-host',
    'shiftTraffic@Q-deploy-prod-host',
    'analyze@Q-deploy-prod-host',
    'promote@Q-deploy-prod-host',
    'settleRelease@Q-deploy-prod-host',
    'recordEvidence@Q',
    'rescanTargetNow@Q-deploy-prod-host',
  ]);
});

test('flags on split workers: the anchor and approvers on the pipeline queue, the flag files and analysis on the target', async () => {
  const kill = await roleScenarios['queues-by-role-flag-kill'](h);
  expect(where(kill)).toEqual(['killApprovers@Q', 'killFlag@Q-deploy-prod-host', 'flagAnchor@Q']);
  const rollout = await roleScenarios['queues-by-role-flag-rollout'](h);
  // (how many analysis windows a step takes is the workflow's business: where each call ran is the point)
  expect(new Set(where(rollout))).toEqual(new Set(['loadFlagSource@Q', 'setFlagShare@Q-deploy-prod-host', 'analyzeFlag@Q-deploy-prod-host']));
});

test('one worker with every role (the default, roles unset): every activity on the one task queue', async () => {
  const mocks = mockActivities();
  const { taskQueue, result } = await withWorker(h, mocks, 'one-queue', async (taskQueue) => ({ taskQueue, result: await (await startPipeline(h, taskQueue, input({ service: 'one-queue' }))).result() }));
  expect(result.outcome.kind).toBe('promoted');
  expect(new Set(mocks.calls.map((c) => c.taskQueue))).toEqual(new Set([taskQueue]));
});

test('a worker without the taskQueues activity (an embedder\'s own activity set): the run keeps the one queue', async () => {
  const mocks = mockActivities();
  delete (mocks.activities as Partial<typeof mocks.activities>).taskQueues;
  const { taskQueue, result } = await withWorker(h, mocks, 'no-routing', async (taskQueue) => ({ taskQueue, result: await (await startPipeline(h, taskQueue, input({ service: 'no-routing' }))).result() }));
  expect(result.outcome.kind).toBe('promoted');
  expect(new Set(mocks.calls.map((c) => c.taskQueue))).toEqual(new Set([taskQueue]));
});
