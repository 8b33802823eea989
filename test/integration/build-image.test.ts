import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { buildImage, LABELS } from '../../activities/build/build-image';
import { silentLogger } from '../../activities/shared';
import { ImageBuildError } from '../../activities/errors';
import { InvalidInputError } from '../../model/parse';
import { commitChange, fixtureRepo, testConfig, uniqueService, useBuildComponents } from '../support/fixture-repo';

const config = testConfig();
const docker = new Docker();
const deps = { docker, registry: config.registry, log: silentLogger };

/** Files under /app in an image, listed by running it. */
async function filesIn(image: string): Promise<string[]> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  const [res, container] = await docker.run(image, ['sh', '-c', 'cd /app && find . -type f | sort'], sink, { Tty: true, User: 'root' });
  await container.remove();
  expect(res.StatusCode).toBe(0);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/).filter(Boolean);
}

useBuildComponents(config, docker);

describe('buildImage against the real engine and registry', () => {
  it('builds exactly the committed tree, labels it, pushes it, and reuses it for the same release id', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('build-clean') });
    // work-tree changes that must not reach the image
    writeFileSync(join(f.repo, f.serviceDir, 'uncommitted.txt'), 'not committed');
    writeFileSync(join(f.repo, f.serviceDir, 'src', 'version.js'), "module.exports = { version: 'dirty' };");
    const steps: string[] = [];
    const result = await buildImage(deps, { repo: f.repo, serviceDir: f.serviceDir, commit: 'HEAD' }, { heartbeat: (d) => steps.push(String(d.step ?? d.phase)) });
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.image).toBe(`${config.registry}/${result.image.split('/')[1]!.split(':')[0]}:${result.releaseId}`);
    expect(result.releaseId).toMatch(new RegExp(`-staging-${f.commit.slice(0, 12)}$`));
    expect(result.reused).toBe(false);
    expect(result.sizeBytes).toBeGreaterThan(1000);
    expect(result.baseImage).toBe('airlock/base:bookworm-1');
    expect(steps.some((s) => /^Step \d+\/\d+ : COPY src/.test(s))).toBe(true);

    const files = await filesIn(result.image);
    expect(files).toContain('./src/server.js');
    expect(files).not.toContain('./uncommitted.txt');
    const inspect = await docker.getImage(result.image).inspect();
    expect(inspect.Config.Labels).toMatchObject({
      [LABELS.revision]: f.commit,
      [LABELS.createdBy]: 'airlock',
      [LABELS.releaseId]: result.releaseId,
      [LABELS.source]: expect.stringContaining('airlock-fixture-clean-'),
    });
    expect(inspect.RepoDigests).toContain(`${result.image.replace(/:[^:]+$/, '')}@${result.digest}`);

    const again = await buildImage(deps, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit });
    expect(again).toMatchObject({ reused: true, digest: result.digest, releaseId: result.releaseId });
  });

  it('fails a broken Dockerfile with the failing step and the last lines of output', async () => {
    const f = fixtureRepo('broken-dockerfile', { service: uniqueService('build-broken') });
    const err = await buildImage(deps, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageBuildError);
    const e = err as ImageBuildError;
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/Step 4\/\d+ : RUN npm ci --omit=dev/);
    expect(e.message).toMatch(/returned a non-zero code: 127/);
    expect((e.details.lastLines as string[]).join('\n')).toMatch(/npm: not found/);
  });

  it('rejects a bad manifest with path: message lines', async () => {
    const f = fixtureRepo('clean', { service: uniqueService('build-bad') });
    commitChange(f, 'airlock.yaml', 'service: Bad_Name\nbuild: {}\nrun: { port: "80", health: healthz }\nenvironments: {}\nextra: 1\n');
    const err = (await buildImage(deps, { repo: f.repo, serviceDir: f.serviceDir, commit: 'HEAD' }).catch((e: unknown) => e)) as InvalidInputError;
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^service: must be lowercase/),
        expect.stringMatching(/^run\.port: /),
        expect.stringMatching(/^run\.health: must be an HTTP path/),
        expect.stringMatching(/^environments: at least one environment/),
        expect.stringMatching(/^\(root\): .*extra/),
      ]),
    );
  });
});
