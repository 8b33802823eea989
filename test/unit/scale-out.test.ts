import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { workerCommand } from '../../cli/commands/worker';
import { createChangeActivities } from '../../activities/change';
import { putEvidence } from '../../activities/evidence';
import { activitiesBeforeReadOnce } from '../../activities/pipeline-before-read-once';
import { loadConfig } from '../../infra/config';
import { InvalidInputError } from '../../model/parse';
import { ACTIVITY_ROLES, onPipelineQueue, queueFor, taskQueuesOf } from '../../model/roles';
import { activitiesOf, rolePlan } from '../../worker/roles';
import { TempRepo } from '../support/git-repo';

// Workers by role (issue 20, docs/scale-out.md): the configuration, the routing decision, the worker's plan,
// and the activities that must not read what another worker wrote to its own disk.

const lines = (f: () => unknown): string[] => {
  try {
    f();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.lines;
    throw err;
  }
  throw new Error('expected InvalidInputError');
};

describe('AIRLOCK_WORKER_ROLES and AIRLOCK_ENVIRONMENT_TARGETS', () => {
  test('unset: one process serves every role on the one queue', () => {
    const c = loadConfig({ HOME: '/h' });
    expect(c.roles).toEqual({ split: false, pipeline: true, build: true, deploy: ['local'] });
    expect(rolePlan(c)).toEqual([{ taskQueue: 'airlock', role: 'pipeline', workflows: true }]);
  });

  test('roles and targets: the queues a worker polls', () => {
    const c = loadConfig({ HOME: '/h', AIRLOCK_WORKER_ROLES: ' pipeline, deploy:prod-eu ,deploy:local,deploy:prod-eu', AIRLOCK_ENVIRONMENT_TARGETS: 'production=prod-eu, staging=local' });
    expect(c.roles).toEqual({ split: true, pipeline: true, build: false, deploy: ['prod-eu', 'local'] });
    expect(c.environmentTargets).toEqual({ production: 'prod-eu', staging: 'local' });
    expect(rolePlan(c).map((p) => `${p.role}:${p.taskQueue}:${p.workflows}`)).toEqual(['pipeline:airlock:true', 'deploy:airlock-deploy-prod-eu:false', 'deploy:airlock-deploy-local:false']);
    expect(rolePlan(loadConfig({ HOME: '/h', AIRLOCK_WORKER_ROLES: 'build', TEMPORAL_TASK_QUEUE: 'team-a' }))).toEqual([{ taskQueue: 'team-a-build', role: 'build', workflows: false }]);
  });

  test('bad values: path: message lines naming the variable', () => {
    expect(lines(() => loadConfig({ AIRLOCK_WORKER_ROLES: 'pipeline,deploy' }))).toEqual([expect.stringMatching(/^AIRLOCK_WORKER_ROLES\.1: .*deploy:<target>/)]);
    expect(lines(() => loadConfig({ AIRLOCK_WORKER_ROLES: 'deploy:Prod/1' }))).toEqual([expect.stringMatching(/^AIRLOCK_WORKER_ROLES\.0: /)]);
    expect(lines(() => loadConfig({ AIRLOCK_WORKER_ROLES: ' , ' }))).toEqual(['AIRLOCK_WORKER_ROLES: names at least one role']);
    expect(lines(() => loadConfig({ AIRLOCK_ENVIRONMENT_TARGETS: 'production' }))).toEqual([expect.stringMatching(/^AIRLOCK_ENVIRONMENT_TARGETS\.0: /)]);
    expect(lines(() => loadConfig({ AIRLOCK_ENVIRONMENT_TARGETS: 'production=../etc' }))).toEqual([expect.stringMatching(/^AIRLOCK_ENVIRONMENT_TARGETS\.0\.1: a target name is a lowercase slug/)]);
    expect(lines(() => loadConfig({ AIRLOCK_ENVIRONMENT_TARGETS: 'prod=a,prod=b' }))).toEqual(['AIRLOCK_ENVIRONMENT_TARGETS: names an environment twice']);
  });
});

describe('queueFor: where one activity call goes', () => {
  const routes = taskQueuesOf('airlock', { production: 'prod-eu' });

  test('by role; deploy by the environment its input names', () => {
    expect(queueFor(routes, 'assessChange', { environment: 'production' })).toBeUndefined();
    expect(queueFor(routes, 'readChange', { environment: 'production' })).toBeUndefined(); // names an environment, still the pipeline's
    expect(queueFor(routes, 'buildImage', {})).toBe('airlock-build');
    expect(queueFor(routes, 'deployCandidate', { environment: 'production' })).toBe('airlock-deploy-prod-eu');
    expect(queueFor(routes, 'rollback', { environment: 'staging' })).toBe('airlock-deploy-local');
    expect(queueFor(routes, 'shiftTraffic', undefined)).toBe('airlock-deploy-local');
  });

  test('no routes (runs before the patch, one-process workers): the workflow queue for everything', () => {
    for (const name of Object.keys(ACTIVITY_ROLES)) expect(queueFor(undefined, name, { environment: 'production' })).toBeUndefined();
  });

  test('the pipeline role\'s queue (patch verify-in-deploy): only with the answer\'s `pipeline`, never guessed', () => {
    expect(onPipelineQueue(routes, 'verifyEvidence', { environment: 'production' })).toBe(true);
    expect(onPipelineQueue(routes, 'deployCandidate', { environment: 'production' })).toBe(false);
    expect(onPipelineQueue(routes, 'deployCandidate', { environment: 'staging' })).toBe(false);
    expect(onPipelineQueue(undefined, 'deployCandidate', { environment: 'production' })).toBe(true);
    // one process serving every role answers its own queue for everything
    const one = { pipeline: 'airlock', build: 'airlock', deploy: {}, deployDefault: 'airlock' };
    expect(onPipelineQueue(one, 'deployCandidate', { environment: 'production' })).toBe(true);
    // an answer recorded before the field existed: a routed call is never taken for the pipeline's
    const { pipeline: _, ...older } = one;
    expect(onPipelineQueue(older, 'deployCandidate', { environment: 'production' })).toBe(false);
  });

  test('an environment named like an Object property is not a route', () => {
    expect(queueFor(routes, 'promote', { environment: 'constructor' })).toBe('airlock-deploy-local');
    expect(queueFor(routes, 'promote', { environment: '__proto__' })).toBe('airlock-deploy-local');
  });
});

test('every activity the worker has goes to exactly one role worker of a split process', () => {
  const config = loadConfig({ HOME: mkdtempSync(join(tmpdir(), 'airlock-roles-')), AIRLOCK_WORKER_ROLES: 'pipeline,build,deploy:local' });
  const all = createActivities(config);
  const plan = rolePlan(config);
  const registered = plan.flatMap((p) => Object.keys(activitiesOf(all, p.role)));
  expect(registered.sort()).toEqual(Object.keys(all).sort());
  expect(Object.keys(activitiesOf(all, 'build')).sort()).toEqual(['buildImage', 'scanImage']);
  expect(Object.keys(activitiesOf(all, 'pipeline'))).not.toContain('deployCandidate');
});

describe('no shared disk: scoreRisk of a pipeline started before `read-once`', () => {
  const repo = TempRepo.create('airlock-scaleout-');
  const base = repo.commit('base', { 'airlock.policy.yaml': 'version: 1\n', 'src/app.ts': 'export const a = 1;\n' });
  const head = repo.commit('head', { 'src/app.ts': 'export const a = 2;\n' });
  afterAll(() => repo.remove());
  const change = createChangeActivities();
  /** A worker's legacy activities over its own evidence store. */
  const worker = (evidence: string) =>
    activitiesBeforeReadOnce({
      evidence,
      readBasePolicy: async () => {
        throw new Error('not used');
      },
      analyze: async (input) => {
        const analysis = await change.analyzeChange({ repo: repo.dir, base: input.baseCommit, head: input.headCommit, policyPath: input.policyPath! });
        const analysisDigest = await putEvidence(evidence, JSON.stringify(analysis));
        return { analysis, summary: { ...analysis.stats, authors: analysis.authors, touchesGates: analysis.touchesGates, analysisDigest } };
      },
      scoreRisk: change.scoreRisk,
      fetched: async () => repo.dir,
    });
  const input = { releaseId: 'shop-prod-x', repo: repo.dir, baseCommit: base, headCommit: head, serviceDir: '.', policyPath: 'airlock.policy.yaml' };

  test('analyzed on one worker, scored on another: made again there from the repository, same digest, same score', async () => {
    const a = mkdtempSync(join(tmpdir(), 'airlock-worker-a-'));
    const b = mkdtempSync(join(tmpdir(), 'airlock-worker-b-'));
    const summary = await worker(a).analyzeChange(input);
    const onA = await worker(a).scoreRisk({ ...input, analysisDigest: summary.analysisDigest });
    const onB = await worker(b).scoreRisk({ ...input, analysisDigest: summary.analysisDigest });
    expect(onB).toEqual(onA);
    expect(readdirSync(join(b, 'sha256'))).toEqual([summary.analysisDigest.slice('sha256:'.length)]);
  });

  test('a digest the analysis does not reproduce is refused (GitError), not scored', async () => {
    const b = mkdtempSync(join(tmpdir(), 'airlock-worker-b-'));
    await expect(worker(b).scoreRisk({ ...input, analysisDigest: `sha256:${'0'.repeat(64)}` })).rejects.toMatchObject({ name: 'GitError' });
  });
});

test('airlock worker --roles: a bad role is named as the flag (exit 2), before anything connects', async () => {
  await expect(workerCommand.run(['--roles', 'pipeline,deploy'])).rejects.toMatchObject({ code: 2, message: expect.stringMatching(/^airlock worker: --roles\.1: a role is pipeline, build or deploy:<target>/) });
  await expect(workerCommand.run(['--roles'])).rejects.toMatchObject({ code: 2 });
});
