import type { Worker } from '@temporalio/worker';
import { rolePlan, activitiesOf } from '../../../worker/roles';
import { deployRelease, deployWorkflowId, type DeployReleaseOutcome } from '../../../workflows/deploy-release';
import { canaryAnalysisSchema } from '../../../model/manifest';
import type { PipelineResult } from '../../../model/pipeline';
import { commit, input } from './fixtures';
import { createWorker, startPipeline, uniqueQueue, type Harness } from './harness';
import { mockActivities, type MockOptions, type Mocks } from './mock-activities';

// Workers by role (issue 20, patch `queues-by-role`): the worker's real role plan (worker/roles.ts) on the
// dev server, one Temporal worker per role queue, each registering only its role's mocked activities, as
// `airlock worker --roles` does. The environment `prod` runs on the target `prod-host`.

export const ROLE_TARGETS = { prod: 'prod-host' };

export interface RoleRun {
  taskQueue: string;
  mocks: Mocks;
  result?: PipelineResult;
  deployed?: DeployReleaseOutcome;
  recorded: { name: string; workflowId: string }[];
}

/** Runs `fn` while the role workers of a split configuration (pipeline, build, deploy:prod-host) serve a fresh queue. */
export async function withRoleWorkers<T>(h: Harness, mocks: Mocks, name: string, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueQueue(name);
  const plan = rolePlan({ roles: { split: true, pipeline: true, build: true, deploy: ['prod-host'] }, temporal: { taskQueue } as never });
  const workers: Worker[] = await Promise.all(
    plan.map((p) => createWorker(h, { ...mocks, activities: activitiesOf(mocks.activities, p.role) } as Mocks, p.taskQueue, p.workflows ? {} : { workflowBundle: undefined })),
  );
  const [first, ...rest] = workers;
  const running = rest.map((w) => w.run());
  try {
    return await first!.runUntil(fn(taskQueue));
  } finally {
    rest.forEach((w) => w.shutdown());
    await Promise.all(running);
  }
}

const split = (o: MockOptions = {}): Mocks => mockActivities({ ...o, roles: { split: true, environmentTargets: ROLE_TARGETS } });

async function pipeline(h: Harness, name: string, o: MockOptions = {}): Promise<RoleRun> {
  const mocks = split(o);
  return withRoleWorkers(h, mocks, name, async (taskQueue) => {
    const handle = await startPipeline(h, taskQueue, input({ service: name }));
    const result = await handle.result();
    return { taskQueue, mocks, result, recorded: [{ name, workflowId: handle.workflowId }] };
  });
}

async function deploy(h: Harness, name: string): Promise<RoleRun> {
  const mocks = split();
  const releaseId = `${name}-prod-${commit().slice(0, 12)}`;
  const image = `127.0.0.1:5000/${name}@sha256:${'0d'.repeat(32)}`;
  const target = {
    service: name,
    environment: 'prod',
    run: { port: 8080, health: '/healthz', replicas: 1 },
    settings: {
      routerPort: 18080,
      rollout: { strategy: 'canary' as const, steps: [50, 100] },
      analysis: canaryAnalysisSchema.parse({ interval: '1s', checks: 1, failureLimit: 1, loadRps: 0 }),
      env: {},
    },
  };
  return withRoleWorkers(h, mocks, name, async (taskQueue) => {
    const workflowId = deployWorkflowId(name, 'prod', releaseId);
    const deployed = await h.env.client.workflow.execute(deployRelease, { workflowId, taskQueue, args: [{ target, releaseId, image }] });
    return { taskQueue, mocks, deployed, recorded: [{ name, workflowId }] };
  });
}

export const roleScenarios = {
  'queues-by-role': (h: Harness) => pipeline(h, 'queues-by-role'),
  'queues-by-role-rollback': (h: Harness) => pipeline(h, 'queues-by-role-rollback', { verdict: (step) => (step === 50 ? 'fail' : 'pass') }),
  'queues-by-role-deploy-release': (h: Harness) => deploy(h, 'queues-by-role-deploy-release'),
};
