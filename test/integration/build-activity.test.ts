import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import Docker from 'dockerode';
import { createBuildActivities } from '../../activities/build';
import { buildImage } from '../../activities/build/build-image';
import { silentLogger } from '../../activities/shared';
import { DockerUnavailableError, RegistryError } from '../../activities/errors';
import type { BuildResult } from '../../model/build';
import { InvalidInputError } from '../../model/parse';
import { commitChange, fixtureRepo, testConfig, uniqueService, useBuildComponents } from '../support/fixture-repo';

const config = testConfig();
const docker = new Docker();

useBuildComponents(config, docker);

describe('buildImage as an activity', () => {
  it('heartbeats every Dockerfile step and returns the pushed digest', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('act-clean') });
    const env = new MockActivityEnvironment();
    const beats: { phase?: string; step?: string }[] = [];
    env.on('heartbeat', (d: { phase?: string; step?: string }) => beats.push(d));
    const { buildImage: activity } = createBuildActivities({ docker, config, log: silentLogger });
    const result = (await env.run(activity, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit })) as BuildResult;
    expect(result.digest).toMatch(/^sha256:/);
    const steps = beats.filter((b) => b.phase === 'build' && b.step?.startsWith('Step ')).map((b) => b.step!.replace(/^Step (\d+)\/\d+ : .*/, '$1'));
    expect(steps.slice(0, 5)).toEqual(['1', '2', '3', '4', '5']);
    expect(beats.some((b) => b.phase === 'push')).toBe(true);
  });

  it('fails a broken Dockerfile as a non-retryable ImageBuildError failure', async () => {
    const f = fixtureRepo('broken-dockerfile', { service: uniqueService('act-broken') });
    const { buildImage: activity } = createBuildActivities({ docker, config, log: silentLogger });
    const err = (await new MockActivityEnvironment().run(activity, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'ImageBuildError', nonRetryable: true });
    expect(err.message).toMatch(/RUN npm ci/);
    expect((err.details?.[0] as { lastLines: string[] }).lastLines.join('\n')).toMatch(/npm: not found/);
  });

  it('turns a bad manifest into a non-retryable InvalidInputError failure with its lines', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('act-bad') });
    const { buildImage: activity } = createBuildActivities({ docker, config, log: silentLogger });
    const err = (await new MockActivityEnvironment().run(activity, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit, service: 'another-service' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect(err.message).toMatch(/service: is act-bad-[0-9a-f]+, but the pipeline deploys another-service/);
  });

  it('keeps heartbeating through a long step, and stops the build when the activity is cancelled', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('act-cancel') });
    const slow = 'FROM airlock/base:bookworm-1\nWORKDIR /app\nCOPY src/ ./src/\nRUN sleep 60\nCMD ["node", "src/server.js"]\n';
    const commit = commitChange(f, 'Dockerfile', slow);
    const env = new MockActivityEnvironment();
    let sleeping = 0;
    env.on('heartbeat', (d: { step?: string }) => {
      // the first beat announces the step; the second can only come from the periodic heartbeat
      if (d.step?.includes('RUN sleep 60') && ++sleeping === 2) env.cancel();
    });
    const { buildImage: activity } = createBuildActivities({ docker, config, log: silentLogger });
    const started = Date.now();
    const err = await env.run(activity, { repo: f.repo, serviceDir: f.serviceDir, commit }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(err).not.toHaveProperty('digest');
    expect(sleeping).toBe(2);
    expect(Date.now() - started).toBeLessThan(45_000);
  });
});

describe('build failures are classified', () => {
  it('an engine that does not answer is a retryable DockerUnavailableError', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('nodocker') });
    const down = new Docker({ socketPath: '/nonexistent/docker.sock' });
    const err = (await buildImage({ docker: down, registry: config.registry, log: silentLogger }, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit }).catch((e: unknown) => e)) as DockerUnavailableError;
    expect(err).toBeInstanceOf(DockerUnavailableError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/not reachable \(ENOENT\).*npx airlock dev up/);
  });

  it('a registry that does not answer is a retryable RegistryError', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('noregistry') });
    const err = (await buildImage({ docker, registry: '127.0.0.1:59999', log: silentLogger }, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit }).catch((e: unknown) => e)) as RegistryError;
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/registry 127\.0\.0\.1:59999 is not answering \(ECONNREFUSED\)/);
  });

  it('a directory without airlock.yaml at the commit is named', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('nomanifest') });
    const err = (await buildImage({ docker, registry: config.registry, log: silentLogger }, { repo: f.repo, serviceDir: 'services', commit: f.commit }).catch((e: unknown) => e)) as InvalidInputError;
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe(`service directory services at ${f.commit.slice(0, 12)} is invalid:\n  airlock.yaml: not found (every service directory needs one; see README "Service manifest")`);
  });

  it('applies .dockerignore to the committed tree', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('ignore') });
    writeFileSync(join(f.repo, f.serviceDir, 'notes.md'), 'internal notes');
    commitChange(f, '.dockerignore', 'notes.md\n');
    // the ignored file is gone, the rest is there, and so is .dockerignore (docker too drops it only when it lists itself)
    const dockerfile = 'FROM airlock/base:bookworm-1\nWORKDIR /app\nCOPY . .\nRUN test ! -e notes.md && test -e src/server.js && test -e .dockerignore\n';
    const commit = commitChange(f, 'Dockerfile', dockerfile);
    const r = await buildImage({ docker, registry: config.registry, log: silentLogger }, { repo: f.repo, serviceDir: f.serviceDir, commit });
    expect(r.digest).toMatch(/^sha256:/);
  });
});
