import type { ChangeSummary } from '../../model/activities';
import type { ServiceSettings } from '../../model/deploy';
import { canaryAnalysisSchema, environmentSchema } from '../../model/manifest';
import type { RiskAssessment } from '../../model/risk';
import type { ScanSummary } from '../../model/scan';
import { rolloutSteps } from '../../model/rollout';
import { DEFAULT_ROLLOUT_SETTINGS, causeOf, findingsSummary, lockLeaseMs, policySummary, rolloutSettingsFor, routeRisk } from '../../workflows/decisions';

const change = (touchesGates: boolean): ChangeSummary => ({ files: 1, additions: 1, deletions: 0, authors: [], touchesGates, analysisDigest: 'd' });
const risk = (level: RiskAssessment['level']): RiskAssessment => ({
  score: 20,
  level,
  signals: [{ kind: 'paths', weight: 20, reason: 'src/app.ts changed', files: ['src/app.ts'] }],
  stats: { files: 1, additions: 1, deletions: 0 },
});

test('canary analyses at every weight; blue-green analyses the idle colour, then switches at once', () => {
  expect(rolloutSteps({ strategy: 'canary', steps: [10, 50, 100] })).toEqual([
    { weight: 10, analyze: true },
    { weight: 50, analyze: true },
    { weight: 100, analyze: true },
  ]);
  expect(rolloutSteps({ strategy: 'blue-green' })).toEqual([
    { weight: 0, analyze: true },
    { weight: 100, analyze: false },
  ]);
});

test('a change to the gates is always high risk, with the reason added; others keep the scorer level', () => {
  expect(routeRisk(risk('low'), change(false))).toEqual({ score: 20, level: 'low', reasons: ['paths (+20): src/app.ts changed'] });
  const raised = routeRisk(risk('medium'), change(true));
  expect(raised.level).toBe('high');
  expect(raised.reasons[1]).toMatch(/airlock\.policy\.yaml or airlock\.yaml/);
  expect(routeRisk(risk('high'), change(true)).reasons).toHaveLength(1);
});

test('summaries keep counts and digests, not findings', () => {
  const scan = {
    image: 'r@sha256:1',
    vulnerabilities: { counts: { CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 }, findings: [{ id: 'CVE-1' }] },
    secrets: [{ ruleId: 'aws', category: 'AWS', severity: 'CRITICAL', target: '/a', line: 1 }],
    misconfigurations: [],
    licenses: [],
    reportDigest: 'sha256:r',
    sbomDigest: 'sha256:s',
    trivyVersion: '0.74.0',
    dbMode: 'fixture',
  } as unknown as ScanSummary;
  expect(findingsSummary(scan)).toEqual({ vulnerabilities: scan.vulnerabilities.counts, secrets: 1, misconfigurations: 0, licenses: 0, reportDigest: 'sha256:r' });
  const verdict = policySummary({
    allowed: false,
    policyDigest: 'p',
    violations: [
      { rule: 'secrets.none', severity: 'critical', detail: 'aws in /a:1', blocking: true },
      { rule: 'license.review', severity: 'low', detail: 'MPL', blocking: false },
    ],
    exceptionsApplied: [],
    notVerifiable: [],
    evaluatedAt: '2026-01-01T00:00:00Z',
    action: 'deploy',
  });
  expect(verdict.violations).toEqual(['secrets.none (critical): aws in /a:1']);
});

test('the lock lease covers the approval window and every analysis step with margin', () => {
  const analysis = canaryAnalysisSchema.parse({ interval: '5s', checks: 3 });
  const lease = lockLeaseMs(3_600_000, { strategy: 'canary', steps: [10, 50, 100] }, analysis);
  expect(lease).toBe(3_600_000 + 3 * (15_000 + 600_000) + 1_800_000);
});

describe('rolloutSettingsFor: where the rollout settings come from', () => {
  const env = environmentSchema.parse({ routerPort: 18080, rollout: { strategy: 'canary', steps: [10, 50, 100] }, analysis: { minSuccessRate: 0.995 } });
  const manifest: ServiceSettings = {
    build: { context: '.', dockerfile: 'Dockerfile' },
    target: { service: 'shop', environment: 'prod', run: { port: 8080, health: '/health', replicas: 1 }, settings: env },
  };
  const forged = {
    headCommit: 'c'.repeat(40),
    serviceDir: 'services/shop',
    rollout: { strategy: 'canary' as const, steps: [100] },
    analysis: { ...DEFAULT_ROLLOUT_SETTINGS.analysis, minSuccessRate: 0, failureLimit: 100 },
  };

  test('from patch input-identifiers on: airlock.yaml at head, whatever the input says', () => {
    expect(rolloutSettingsFor(forged, manifest, true)).toEqual({ from: `services/shop/airlock.yaml at ${'c'.repeat(12)}`, rollout: env.rollout, analysis: env.analysis });
  });

  test('histories from before the patch: the input settings they ran with, else the defaults', () => {
    expect(rolloutSettingsFor(forged, manifest, false)).toEqual({ from: 'workflow input', rollout: forged.rollout, analysis: forged.analysis });
    expect(rolloutSettingsFor({ headCommit: 'c'.repeat(40), serviceDir: '.' }, undefined, false)).toEqual({ from: 'workflow input', ...DEFAULT_ROLLOUT_SETTINGS });
  });

  test("the defaults are airlock.yaml's defaults for an environment", () => {
    const defaults = environmentSchema.parse({ routerPort: 18080 });
    expect(DEFAULT_ROLLOUT_SETTINGS).toEqual({ rollout: defaults.rollout, analysis: defaults.analysis });
  });
});

describe('causeOf', () => {
  test('finds the ApplicationFailure type under an ActivityFailure', () => {
    const err = { name: 'ActivityFailure', message: 'Activity task failed', cause: { name: 'ApplicationFailure', type: 'ImageBuildError', message: 'step 3/7 failed' } };
    expect(causeOf(err)).toEqual({ type: 'ImageBuildError', message: 'step 3/7 failed' });
  });
  test('falls back to the innermost error name (timeouts, cancellation)', () => {
    expect(causeOf({ name: 'ActivityFailure', message: 'a', cause: { name: 'TimeoutFailure', message: 'heartbeat timeout' } })).toEqual({
      type: 'TimeoutFailure',
      message: 'heartbeat timeout',
    });
    expect(causeOf('boom')).toEqual({ type: 'Error', message: 'boom' });
  });
});

test("the workflow's default analysis settings are airlock.yaml's (the workflow bundle holds no zod to parse them)", () => {
  expect(DEFAULT_ROLLOUT_SETTINGS.analysis).toEqual(canaryAnalysisSchema.parse({}));
});
