import { execFileSync } from 'node:child_process';
import { silentLogger } from '../../activities/shared';
import { ScannerError } from '../../activities/errors';
import { readEvidence } from '../../activities/evidence/store';
import { parseTrivyReport, redactReport } from '../../activities/scan/trivy-report';
import { scanImage } from '../../activities/scan/scan-image';
import { summarize } from '../../activities/scan/summarize';
import { InvalidInputError } from '../../model/parse';
import type { ScanSummary } from '../../model/scan';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import Docker from 'dockerode';
import { createScanActivities } from '../../activities/scan';
import { buildImage } from '../../activities/build/build-image';
import { pinned } from '../../model/build';
import { commitChange, fixtureRepo, requireScanComponents, testConfig, uniqueService, useBuildComponents } from '../support/fixture-repo';

const config = testConfig();
const docker = new Docker();
let trivy = '';
let realReport = '';
let image = '';
let unscanned = '';

useBuildComponents(config, docker);

beforeAll(async () => {
  trivy = requireScanComponents(config);
  const f = fixtureRepo('vulnerable-package', { service: uniqueService('scanfail') });
  const built = await buildImage({ docker, registry: config.registry, log: silentLogger }, { repo: f.repo, serviceDir: f.serviceDir, commit: f.commit });
  image = pinned(built.image, built.digest);
  const s = await scanImage({ config, trivy, log: silentLogger }, { image });
  realReport = (await readEvidence(config.dirs.evidence, s.reportDigest)).toString('utf8');
  const next = commitChange(f, 'src/version.js', "module.exports = { version: 'not scanned yet' };\n");
  const rebuilt = await buildImage({ docker, registry: config.registry, log: silentLogger }, { repo: f.repo, serviceDir: f.serviceDir, commit: next });
  unscanned = pinned(rebuilt.image, rebuilt.digest);
});

const mutate = (fn: (r: Record<string, unknown> & { Results: Record<string, unknown>[] }) => void): string => {
  const r = JSON.parse(realReport) as Record<string, unknown> & { Results: Record<string, unknown>[] };
  fn(r);
  return JSON.stringify(r);
};

describe('Trivy output that is not a report is an error, never a clean scan', () => {
  it('accepts the real report', () => {
    const parsed = parseTrivyReport(realReport);
    expect(summarize(parsed, { image, reportDigest: `sha256:${'0'.repeat(64)}`, sbomDigest: `sha256:${'0'.repeat(64)}`, trivyVersion: '0.74.0', dbMode: 'fixture' }).vulnerabilities.counts.CRITICAL).toBe(1);
  });

  it.each([
    ['truncated JSON', () => realReport.slice(0, realReport.length / 2), /not JSON/],
    ['an empty file', () => '', /not JSON/],
    ['another schema version', () => mutate((r) => (r.SchemaVersion = 3)), /SchemaVersion: expected Trivy report schema version 2/],
    ['no artifact', () => mutate((r) => delete r.ArtifactName), /ArtifactName: /],
    ['results not a list', () => mutate((r) => ((r as Record<string, unknown>).Results = { a: 1 })), /Results: /],
    [
      'a vulnerability without id',
      () => mutate((r) => r.Results.forEach((x) => (x.Vulnerabilities as Record<string, unknown>[] | undefined)?.forEach((v) => delete v.VulnerabilityID))),
      /Results\.\d+\.Vulnerabilities\.0\.VulnerabilityID: /,
    ],
    [
      'an unknown severity',
      () => mutate((r) => r.Results.forEach((x) => (x.Vulnerabilities as Record<string, unknown>[] | undefined)?.forEach((v) => (v.Severity = 'SEVERE')))),
      /Severity: /,
    ],
    ['JSON that is not an object', () => '[]', /\(root\): /],
  ])('%s', (_name, text, message) => {
    let err: unknown;
    try {
      parseTrivyReport(text());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScannerError);
    expect((err as ScannerError).message).toMatch(message);
    expect((err as ScannerError).details.malformed).toBe(true);
  });

  it('redacts matches, code, layer commands and environment values wherever they are', () => {
    const r = redactReport({
      Metadata: { ImageConfig: { config: { Env: ['PATH=/bin', 'TOKEN=ghp_x'] }, history: [{ created_by: 'ENV TOKEN=ghp_x' }] } },
      Results: [{ Secrets: [{ RuleID: 'github-pat', Match: 'TOKEN=****', Code: { Lines: [] }, Layer: { DiffID: 'sha256:1', CreatedBy: 'COPY x' } }] }],
    });
    expect(JSON.stringify(r)).toBe(
      JSON.stringify({
        Metadata: { ImageConfig: { config: { Env: ['PATH=<redacted>', 'TOKEN=<redacted>'] }, history: [{}] } },
        Results: [{ Secrets: [{ RuleID: 'github-pat', Layer: { DiffID: 'sha256:1' } }] }],
      }),
    );
  });
});

describe('scanner failures', () => {
  it('a digest the registry does not have makes Trivy fail: a retryable ScannerError with its stderr', async () => {
    const missing = image.replace(/@sha256:.*/, `@sha256:${'e'.repeat(64)}`);
    const err = (await scanImage({ config, trivy, log: silentLogger }, { image: missing }).catch((e: unknown) => e)) as ScannerError;
    expect(err).toBeInstanceOf(ScannerError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^trivy image failed \(exit 1\):\n/);
    expect(err.message).toMatch(/MANIFEST_UNKNOWN|manifest unknown|not found/i);
  });

  it('a binary that is not Trivy is a scanner failure, not a result', async () => {
    const err = await scanImage({ config, trivy: '/bin/false', log: silentLogger }, { image }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScannerError);
  });

  it('refuses images not pinned by digest', async () => {
    const err = (await scanImage({ config, trivy, log: silentLogger }, { image: `${config.registry}/x:latest` }).catch((e: unknown) => e)) as InvalidInputError;
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.lines[0]).toMatch(/must be pinned by digest/);
  });

  it('a missing fixture DB says how to build it', async () => {
    const err = (await scanImage({ config: { ...config, trivy: { ...config.trivy, cacheDir: '/nonexistent/trivy' } }, trivy, log: silentLogger }, { image }).catch((e: unknown) => e)) as ScannerError;
    expect(err).toBeInstanceOf(ScannerError);
    expect(err.message).toMatch(/scripts\/build-trivy-fixture-db\.sh/);
  });

});

describe('scanImage as an activity', () => {
  const { scanImage: activity } = createScanActivities({ config, log: silentLogger });

  it('serves a scanned digest from the cache', async () => {
    const s = (await new MockActivityEnvironment().run(activity, { image })) as ScanSummary;
    expect(s.cached).toBe(true);
  });

  it('leaves as typed failures: bad input non-retryable, a scanner failure retryable', async () => {
    const bad = (await new MockActivityEnvironment().run(activity, { image: 'web:latest' }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(bad).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    const missing = image.replace(/@sha256:.*/, `@sha256:${'d'.repeat(64)}`);
    const failed = (await new MockActivityEnvironment().run(activity, { image: missing }).catch((e: unknown) => e)) as ApplicationFailure;
    expect(failed).toMatchObject({ type: 'ScannerError', nonRetryable: false });
  });

  it('heartbeats while Trivy runs and kills it when cancelled', async () => {
    const env = new MockActivityEnvironment();
    const beats: { phase?: string }[] = [];
    const digest = unscanned.split('@')[1]!;
    const trivyRuns = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(digest));
    // cancelled once Trivy's process for the image is seen running (a fixed delay lost the race on a fast
    // machine: the whole scan took under a second), at the latest after 5 s
    let sawTrivy = false;
    const cancelWhileTrivyRuns = async () => {
      for (let i = 0; i < 250 && !sawTrivy; i++) {
        sawTrivy = trivyRuns().some((l) => /trivy/.test(l));
        if (!sawTrivy) await new Promise((r) => setTimeout(r, 20));
      }
      env.cancel();
    };
    env.on('heartbeat', (d: { phase?: string }) => {
      beats.push(d);
      if (beats.length === 1) void cancelWhileTrivyRuns();
    });
    const err = await env.run(activity, { image: unscanned }).catch((e: unknown) => e);
    expect(beats[0]).toMatchObject({ phase: 'scan', image: unscanned });
    expect(sawTrivy).toBe(true);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(err).not.toHaveProperty('reportDigest');
    expect(trivyRuns()).toEqual([]);
    // nothing was cached: a later scan runs Trivy for real
    const s = await scanImage({ config, trivy, log: silentLogger }, { image: unscanned });
    expect(s.cached).toBe(false);
    expect(s.vulnerabilities.counts.CRITICAL).toBe(1);
  });
});
