// Attack (issue 11, item 12): an image that runs as root passes `dockerfile.requireNonRoot: true`.
// Trivy's DS002 check flags a Dockerfile without USER, but not `USER root` or `USER 0`, nor a name that
// the image's own /etc/passwd maps to uid 0. Each variant goes through the CLI as a user runs it:
// `airlock build` -> `airlock scan --json` -> `airlock policy check` on the real Docker engine, registry and Trivy.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { ScanSummary } from '../../../model/scan';
import { commitChange, fixtureRepo, removeTestImages, requireBuildComponents, requireScanComponents, testConfig, uniqueService, FIXTURES } from '../../support/fixture-repo';
import { airlock } from '../../support/cli';

const config = testConfig();
const env = { AIRLOCK_HOME: config.home, AIRLOCK_CACHE: config.cache, AIRLOCK_REGISTRY: config.registry };
const policyFile = join(config.home, 'airlock.policy.yaml');

/** The clean fixture's Dockerfile (useradd app, uid 10001; `USER app`) with its USER line replaced. */
const clean = readFileSync(join(FIXTURES, 'clean', 'Dockerfile'), 'utf8');
const withUser = (lines: string): string => {
  expect(clean).toMatch(/^USER app$/m);
  return clean.replace(/^USER app$/m, lines);
};

beforeAll(async () => {
  await requireBuildComponents(config, new Docker());
  requireScanComponents(config);
  writeFileSync(policyFile, 'gates:\n  dockerfile: { requireNonRoot: true }\n');
}, 300_000);

afterAll(async () => {
  await removeTestImages(new Docker(), config.registry);
});

/** build -> scan --json -> policy check, through the CLI; returns the check and the summary. */
function buildScanCheck(name: string, dockerfile: string) {
  const f = fixtureRepo('clean', { service: uniqueService(`root-${name}`) });
  const commit = dockerfile === clean ? f.commit : commitChange(f, 'Dockerfile', dockerfile, `Dockerfile: ${name}`);
  const build = airlock(['build', '--service-dir', join(f.repo, f.serviceDir), '--commit', commit, '--json'], env);
  expect({ code: build.code, stderr: build.code === 0 ? '' : build.stderr }).toEqual({ code: 0, stderr: '' });
  const image = (JSON.parse(build.stdout) as { pinned: string }).pinned;
  const scan = airlock(['scan', image, '--json'], env);
  expect({ code: scan.code, stderr: scan.code === 0 ? '' : scan.stderr }).toEqual({ code: 0, stderr: '' });
  const summaryFile = join(config.home, `scan-${name}.json`);
  writeFileSync(summaryFile, scan.stdout);
  const check = airlock(['policy', 'check', '--policy', policyFile, '--scan', summaryFile], env);
  return { check, summary: JSON.parse(scan.stdout) as ScanSummary };
}

describe('requireNonRoot decides on the user in the image config, not only on Trivy', () => {
  it.each([
    ['user-root', 'USER root', 'the image config sets User "root": the container runs as root'],
    ['user-0', 'USER 0', 'the image config sets User "0": the container runs as root'],
    ['no-user', '', 'the image config sets no User (""): the container runs as root'],
    [
      'passwd-alias',
      'RUN useradd -o -u 0 -g 0 --no-create-home admin\nUSER admin',
      `the image config sets User "admin" (uid 0), which is uid 0 in the image's /etc/passwd: the container runs as root`,
    ],
  ])('%s: blocked (exit 3), naming the rule and the user', (name, userLines, detail) => {
    const { check, summary } = buildScanCheck(name, withUser(userLines));
    expect(check.code).toBe(3);
    expect(check.stdout).toMatch(/^BLOCKED by policy sha256:[0-9a-f]{64}/);
    expect(check.stdout).toContain(`block high     dockerfile.non-root: ${detail}`);
    expect(summary.imageUser).toMatchObject({ user: userLines.split('\n').pop()!.replace(/^USER /, ''), uid: 0, configDigest: expect.stringMatching(/^sha256:/) });
  });

  it('a non-root image still passes (exit 0), its user and uid recorded in the summary and the verdict', () => {
    const { check, summary } = buildScanCheck('non-root', clean);
    expect({ code: check.code, stdout: check.stdout }).toMatchObject({ code: 0, stdout: expect.stringMatching(/^allowed by policy /) });
    expect(check.stdout).toContain('image user: "app" (uid 10001)');
    expect(summary.imageUser).toMatchObject({ user: 'app', uid: 10001 });
  });
});
