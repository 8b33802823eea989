import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { buildImage } from '../../activities/build/build-image';
import { lineLogger } from '../../activities/shared';
import { readEvidence, sha256 } from '../../activities/evidence/store';
import { policyVerdict, type LoadedPolicy } from '../../activities/policy/evaluate';
import { parsePolicy } from '../../activities/policy/load-policy';
import { scanImage } from '../../activities/scan/scan-image';
import { trivyCacheDir } from '../../activities/scan/trivy-db';
import { pinned } from '../../model/build';
import type { ScanSummary } from '../../model/scan';
import { airlock } from '../support/cli';
import { fixtureRepo, requireScanComponents, testConfig, uniqueService, useBuildComponents, type FixtureName } from '../support/fixture-repo';

const config = testConfig();
const docker = new Docker();
const logs: string[] = [];
const log = lineLogger((l) => logs.push(l), 'debug');
let trivy = '';
let token = '';
const scans: Partial<Record<FixtureName, ScanSummary>> = {};
const NOW = new Date('2026-06-15T12:00:00Z');

const policy = (yaml = ''): LoadedPolicy => parsePolicy(Buffer.from(yaml), 'airlock.policy.yaml');

async function buildAndScan(name: FixtureName): Promise<ScanSummary> {
  const f = fixtureRepo(name, { service: uniqueService(`scan-${name}`) });
  if (f.token) token = f.token;
  const built = await buildImage({ docker, registry: config.registry, log }, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit });
  const beats: unknown[] = [];
  const summary = await scanImage({ config, trivy, log }, { image: pinned(built.image, built.digest) }, { heartbeat: (d) => beats.push(d) });
  expect(beats.length).toBeGreaterThan(0);
  scans[name] = summary;
  return summary;
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

useBuildComponents(config, docker);

beforeAll(async () => {
  trivy = requireScanComponents(config);
  for (const name of ['clean', 'planted-secret', 'vulnerable-package', 'runs-as-root'] as const) await buildAndScan(name);
});

describe('scanImage with the real Trivy on real images', () => {
  it('finds nothing in the clean service, which passes a strict policy', () => {
    const s = scans.clean!;
    expect(s).toMatchObject({ secrets: [], misconfigurations: [], dbMode: 'fixture', trivyVersion: '0.74.0', cached: false, baseImage: 'airlock/base:bookworm-1' });
    expect(s.vulnerabilities.counts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
    const v = policyVerdict(policy('gates: { dockerfile: { requireHealthcheck: true }, baseImages: { allow: ["airlock/base:*"] } }'), s, undefined, NOW);
    expect(v).toMatchObject({ allowed: true, violations: [] });
  });

  it('blocks the planted credential by rule id and file path, and its value appears nowhere', async () => {
    const s = scans['planted-secret']!;
    expect(s.secrets).toEqual([expect.objectContaining({ ruleId: 'github-pat', category: 'GitHub', severity: 'CRITICAL', line: 3 })]);
    expect(s.secrets[0]!.target).toMatch(/app\/config\/deploy\.env$/);
    const v = policyVerdict(policy(), s, undefined, NOW);
    expect(v.allowed).toBe(false);
    expect(v.violations[0]).toMatchObject({ rule: 'secrets', blocking: true, subject: 'github-pat' });
    expect(v.violations[0]!.detail).toMatch(/rule github-pat .* in .*app\/config\/deploy\.env:3$/);

    expect(token).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
    const secretPart = token.slice(4);
    const haystacks: [string, string][] = [
      ['summary', JSON.stringify(s)],
      ['verdict', JSON.stringify(v)],
      ['logs', logs.join('\n')],
      ...filesUnder(config.dirs.evidence).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
      ...filesUnder(join(trivyCacheDir(config), 'airlock-scans')).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
    ];
    expect(haystacks.length).toBeGreaterThan(6);
    for (const [where, text] of haystacks) {
      expect(`${where}: ${text.includes(secretPart)}`).toBe(`${where}: false`);
    }
    // the stored report still says where the secret is
    const report = JSON.parse((await readEvidence(config.dirs.evidence, s.reportDigest)).toString('utf8')) as { Results: { Secrets?: unknown[] }[] };
    const stored = report.Results.flatMap((r) => r.Secrets ?? []);
    expect(stored).toEqual([expect.objectContaining({ RuleID: 'github-pat', StartLine: 3 })]);
    expect(stored[0]).not.toHaveProperty('Match');
    expect(stored[0]).not.toHaveProperty('Code');
  });

  it('reports the known-vulnerable package with its advisory id; an exception lets it pass until it expires', () => {
    const s = scans['vulnerable-package']!;
    expect(s.vulnerabilities.findings).toEqual([
      // Trivy names it by its CVE alias and keeps the GHSA id of the advisory it came from
      expect.objectContaining({ id: 'CVE-2021-44906', aliases: ['GHSA-xvch-5gv4-984h'], pkg: 'minimist', installed: '1.2.5', severity: 'CRITICAL', fixed: '1.2.6, 0.2.4' }),
    ]);
    expect(s.vulnerabilities.counts.CRITICAL).toBe(1);
    expect(s.licenses).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'MIT', pkg: 'minimist' })]));
    expect(policyVerdict(policy(), s, undefined, NOW).violations[0]).toMatchObject({ rule: 'vulnerabilities.max-severity', subject: 'CVE-2021-44906', blocking: true });
    const withException = (expires: string) =>
      policy(`exceptions:\n  - { id: GHSA-xvch-5gv4-984h, owner: alice@example.com, reason: flags are ours only, expires: "${expires}", packages: [minimist] }\n`);
    const future = policyVerdict(withException('2026-07-01'), s, undefined, NOW);
    expect(future).toMatchObject({ allowed: true, exceptionsApplied: [expect.objectContaining({ id: 'GHSA-xvch-5gv4-984h', covered: ['CVE-2021-44906 (GHSA-xvch-5gv4-984h) in minimist@1.2.5'] })] });
    const expired = policyVerdict(withException('2026-06-01'), s, undefined, NOW);
    expect(expired.allowed).toBe(false);
    expect(expired.violations.map((x) => x.rule)).toEqual(['vulnerabilities.max-severity', 'exception.expired']);
  });

  it('flags the image that runs as root (and has no HEALTHCHECK)', () => {
    const s = scans['runs-as-root']!;
    const ids = s.misconfigurations.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['DS-0002', 'DS-0026'])); // Trivy 0.74's ids for DS002 and DS026
    const v = policyVerdict(policy(), s, undefined, NOW);
    expect(v.allowed).toBe(false);
    expect(v.violations[0]).toMatchObject({ rule: 'dockerfile.non-root', blocking: true });
    expect(v.violations.find((x) => x.subject === 'DS-0026')).toMatchObject({ rule: 'dockerfile.advisory', blocking: false });
  });

  it('stores the redacted report and a CycloneDX SBOM content-addressed, and serves a rescan from the cache', async () => {
    const s = scans['vulnerable-package']!;
    const report = await readEvidence(config.dirs.evidence, s.reportDigest);
    expect(sha256(report)).toBe(s.reportDigest);
    const sbom = JSON.parse((await readEvidence(config.dirs.evidence, s.sbomDigest)).toString('utf8')) as { bomFormat: string; components: { name: string; version: string }[] };
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.components).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'minimist', version: '1.2.5' })]));
    const again = await scanImage({ config, trivy, log }, { image: s.image });
    expect(again).toEqual({ ...s, cached: true });
  });

  it('airlock scan and airlock policy check, as a user runs them: the secret stays out of every output', () => {
    const s = scans['planted-secret']!;
    const env = { AIRLOCK_HOME: config.home, AIRLOCK_CACHE: config.cache, AIRLOCK_REGISTRY: config.registry };
    const sbom = join(config.home, 'sbom.cdx.json');
    const json = airlock(['scan', s.image, '--json', '--sbom', sbom], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ...s, cached: true });
    expect((JSON.parse(readFileSync(sbom, 'utf8')) as { bomFormat: string }).bomFormat).toBe('CycloneDX');
    const human = airlock(['scan', s.image], env);
    expect(human.stdout).toMatch(/secrets: 1\n {2}CRITICAL github-pat in \/app\/config\/deploy\.env:3/);
    const summaryFile = join(config.home, 'scan.json');
    writeFileSync(summaryFile, json.stdout);
    const policyFile = join(config.home, 'airlock.policy.yaml');
    writeFileSync(policyFile, 'gates: { secrets: { allowed: false } }\n');
    const check = airlock(['policy', 'check', '--policy', policyFile, '--scan', summaryFile], env);
    expect(check.code).toBe(3);
    expect(check.stdout).toContain('block critical secrets: secret found by rule github-pat (GitHub Personal Access Token) in /app/config/deploy.env:3');
    for (const out of [json, human, check]) expect(`${out.stdout}${out.stderr}`).not.toContain(token.slice(4));
  });
});
