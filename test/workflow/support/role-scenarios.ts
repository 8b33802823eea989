import { Context } from '@temporalio/activity';
import type { Worker } from '@temporalio/worker';
import { createRoutingActivities } from '../../../activities/routing';
import { publicKeyOf } from '../../../model/approval-rules';
import type { FlagActivities } from '../../../model/flag-activities';
import { flagKillWorkflowId, signFlagKill } from '../../../model/flags';
import { flagKill, flagRollout } from '../../../workflows';
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
  // a role without mocked activities (the flag scenarios' build role) has no worker
  const wanted = plan.filter((p) => p.workflows || Object.keys(activitiesOf(mocks.activities, p.role)).length);
  const created = await Promise.allSettled(
    wanted.map((p) => createWorker(h, { ...mocks, activities: activitiesOf(mocks.activities, p.role) } as Mocks, p.taskQueue, p.workflows ? {} : { workflowBundle: undefined })),
  );
  const workers: Worker[] = created.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
  const failed = created.find((c) => c.status === 'rejected');
  if (failed) {
    // created workers hold native resources until they ran and shut down
    await Promise.all(
      workers.map(async (w) => {
        const running = w.run();
        w.shutdown();
        await running.catch(() => undefined);
      }),
    );
    throw (failed as PromiseRejectedResult).reason;
  }
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

const ALICE = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

/** Flag activities that record where they ran, with the real taskQueues of a split configuration. */
function flagMocks(): Mocks {
  const calls: Mocks['calls'] = [];
  const at = <T>(name: string, result: T) => {
    calls.push({ name: name as never, input: {}, attempt: 1, taskQueue: Context.current().info.taskQueue });
    return result;
  };
  const anchor = { pipelineId: 'airlock/demo/prod/abc', repo: 'file:///repo', commit: 'a'.repeat(40), serviceDir: '.', policyPath: 'airlock.policy.yaml' };
  const flags: FlagActivities = {
    loadFlagSource: async () => at('loadFlagSource', { anchor, definition: { state: 'ENABLED' as const, variants: { on: true, off: false }, defaultVariant: 'off' }, routerPort: 18090, risk: { level: 'low' as const, reasons: [] } }),
    setFlagShare: async (input) => at('setFlagShare', { share: input.share, workflowId: 'x', at: 'now' }),
    killFlag: async (input) => at('killFlag', { share: 0, killed: { by: input.by, reason: input.reason, at: 'now', workflowId: 'x' }, workflowId: 'x', at: 'now' }),
    analyzeFlag: async () => at('analyzeFlag', { verdict: 'pass' as const, on: { requests: 50, errors: 0, denied: 0 }, off: { requests: 150, errors: 0, denied: 0 }, reasons: [] }),
    flagAnchor: async () => at('flagAnchor', anchor),
    readFlagPolicy: async () => {
      throw new Error('not used');
    },
    killApprovers: async () => at('killApprovers', { developers: [{ id: 'alice', publicKey: publicKeyOf(ALICE) }] }),
  };
  const routing = createRoutingActivities({ roles: { split: true, pipeline: true, build: true, deploy: [] }, environmentTargets: ROLE_TARGETS });
  return { activities: { ...flags, ...routing }, calls } as unknown as Mocks;
}

async function flagKillRun(h: Harness, name: string): Promise<RoleRun> {
  const mocks = flagMocks();
  return withRoleWorkers(h, mocks, name, async (taskQueue) => {
    const workflowId = flagKillWorkflowId('demo', 'prod', 'new-checkout', name);
    const signature = signFlagKill(ALICE, { service: 'demo', environment: 'prod', flag: 'new-checkout', reason: name, workflowId });
    await h.env.client.workflow.execute(flagKill, { taskQueue, workflowId, args: [{ service: 'demo', environment: 'prod', flag: 'new-checkout', reason: name, by: 'alice', signature }] });
    return { taskQueue, mocks, recorded: [{ name, workflowId }] };
  });
}

async function flagRolloutRun(h: Harness, name: string): Promise<RoleRun> {
  const mocks = flagMocks();
  return withRoleWorkers(h, mocks, name, async (taskQueue) => {
    const workflowId = `airlock-flag/demo/prod/${name}`;
    await h.env.client.workflow.execute(flagRollout, { taskQueue, workflowId, args: [{ service: 'demo', environment: 'prod', flag: 'new-checkout', steps: [25, 50, 75, 100], windowMs: 3000, requestedBy: 'dana' }] });
    return { taskQueue, mocks, recorded: [{ name, workflowId }] };
  });
}

export const roleScenarios = {
  'queues-by-role-flag-kill': (h: Harness) => flagKillRun(h, 'queues-by-role-flag-kill'),
  'queues-by-role-flag-rollout': (h: Harness) => flagRolloutRun(h, 'queues-by-role-flag-rollout'),
  'queues-by-role': (h: Harness) => pipeline(h, 'queues-by-role'),
  'queues-by-role-rollback': (h: Harness) => pipeline(h, 'queues-by-role-rollback', { verdict: (step) => (step === 50 ? 'fail' : 'pass') }),
  'queues-by-role-deploy-release': (h: Harness) => deploy(h, 'queues-by-role-deploy-release'),
};
