import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { buildImage } from '../../activities/build/build-image';
import { lineLogger } from '../../activities/shared';
import { policyVerdict } from '../../activities/policy/evaluate';
import { parsePolicy } from '../../activities/policy/load-policy';
import { scanImage } from '../../activities/scan/scan-image';
import { trivyCacheDir } from '../../activities/scan/trivy-db';
import { pinned } from '../../model/build';
import type { ScanSummary } from '../../model/scan';
import { fixtureRepo, requireScanComponents, testConfig, uniqueService, useBuildComponents } from '../support/fixture-repo';

// Issue 11 item 11: every scan records which vulnerability DB it used and when that DB was built, and
// `gates.vulnerabilities.maxDbAge` blocks a scan made with an older DB. Online mode (the default) fails
// loudly, with what to do, when Trivy cannot get its DB.
const config = testConfig();
const docker = new Docker();
const logs: string[] = [];
const log = lineLogger((l) => logs.push(l), 'debug');
let trivy = '';
let image = '';
let summary: ScanSummary;

useBuildComponents(config, docker);

beforeAll(async () => {
  trivy = requireScanComponents(config);
  const f = fixtureRepo('clean', { service: uniqueService('scan-db') });
  const built = await buildImage({ docker, registry: config.registry, log }, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit });
  image = pinned(built.image, built.digest);
  summary = await scanImage({ config, trivy, log }, { image });
});

describe('the vulnerability DB a scan used', () => {
  it('is recorded in the summary: mode, build time and next update from metadata.json', () => {
    const meta = JSON.parse(readFileSync(join(trivyCacheDir(config), 'db', 'metadata.json'), 'utf8')) as { UpdatedAt: string; NextUpdate: string };
    expect(summary).toMatchObject({ dbMode: 'fixture', dbUpdatedAt: meta.UpdatedAt, dbNextUpdate: meta.NextUpdate });
    expect(logs.join('\n')).toMatch(/image scanned .*dbMode=fixture dbUpdatedAt=/);
  });

  it('is checked against maxDbAge at the time of the gate', () => {
    const built = Date.parse(summary.dbUpdatedAt!);
    const policy = parsePolicy(Buffer.from('gates: { vulnerabilities: { maxDbAge: 48h } }'), 'airlock.policy.yaml');
    expect(policyVerdict(policy, summary, undefined, new Date(built + 47 * 3_600_000)).allowed).toBe(true);
    const stale = policyVerdict(policy, summary, undefined, new Date(built + 50 * 3_600_000));
    expect(stale.allowed).toBe(false);
    expect(stale.violations).toEqual([expect.objectContaining({ rule: 'vulnerabilities.db-age', blocking: true, detail: expect.stringMatching(/older than maxDbAge 48h/) })]);
  });

  it('online mode without a reachable DB fails the scan loudly, saying how to mirror it or use the fixture for tests', async () => {
    const online = { ...config, trivy: { db: 'online' as const, dbRepository: '127.0.0.1:1/trivy-db', cacheDir: mkdtempSync(join(tmpdir(), 'airlock-trivy-online-')) } };
    const err = await scanImage({ config: online, trivy, log }, { image }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('ScannerError');
    expect(err?.message).toMatch(/could not get Trivy's vulnerability DB \(AIRLOCK_TRIVY_DB=online, the default, from 127\.0\.0\.1:1\/trivy-db\)/);
    expect(err?.message).toMatch(/AIRLOCK_TRIVY_DB_REPOSITORY=/);
    expect(err?.message).toMatch(/AIRLOCK_TRIVY_DB=fixture .* tests and the demo only/);
  });
});
