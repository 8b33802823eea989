import Docker from 'dockerode';
import { airlock } from '../support/cli';
import { fixtureRepo, testConfig, uniqueService, useBuildComponents } from '../support/fixture-repo';
import { join } from 'node:path';

// The built command (dist/, `npm run build`), as a user runs it.
const config = testConfig();
const env = { AIRLOCK_HOME: config.home, AIRLOCK_REGISTRY: config.registry };

useBuildComponents(config, new Docker());

describe('airlock build', () => {
  it('prints the pushed image@digest as JSON, and reuses it on a second run', () => {
    const f = fixtureRepo('clean', { service: uniqueService('cli-build') });
    const dir = join(f.repo, f.serviceDir);
    const first = airlock(['build', '--service-dir', dir, '--json'], env);
    expect(first.stderr).toMatch(/Step 1\/\d+ : FROM airlock\/base:bookworm-1/);
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout) as { pinned: string; digest: string; releaseId: string; reused: boolean; revision: string };
    expect(result).toMatchObject({ reused: false, revision: f.commit, releaseId: expect.stringMatching(/-staging-[0-9a-f]{12}$/) });
    expect(result.pinned).toBe(`${config.registry}/${result.releaseId.replace(/-staging-[0-9a-f]{12}$/, '')}@${result.digest}`);
    const again = airlock(['build', '--service-dir', dir, '--commit', f.commit], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${result.pinned}\n`);
  });

  it('exits 1 with the failing step and the last lines of output for a broken Dockerfile', () => {
    const f = fixtureRepo('broken-dockerfile', { service: uniqueService('cli-broken') });
    const r = airlock(['build', '--service-dir', join(f.repo, f.serviceDir)], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/airlock build: docker build failed at Step 4\/\d+ : RUN npm ci --omit=dev: The command .* returned a non-zero code: 127/);
    expect(r.stderr).toMatch(/last lines of output:\n(.|\n)*npm: not found/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on bad input: missing flag, bad manifest, missing manifest', () => {
    expect(airlock(['build'], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/--service-dir: is required/) });
    const f = fixtureRepo('clean', { service: 'Bad_Name' });
    const bad = airlock(['build', '--service-dir', join(f.repo, f.serviceDir)], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('  service: must be lowercase letters, digits and dashes (max 41)');
    const none = airlock(['build', '--service-dir', f.repo], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/service directory \. at [0-9a-f]{12} is invalid:\n {2}airlock\.yaml: not found/);
  });
});
