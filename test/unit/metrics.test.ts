import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { defaultPayloadConverter } from '@temporalio/common';
import { recordFromHistory } from '../../cli/metrics/record';
import { parseSince } from '../../cli/commands/metrics';
import { bandAtLeast, bandAtMost, bandBelow, computeMetrics, DORA_BANDS, median, ruleOf, type Band, type PipelineRecord } from '../../model/metrics';
import { OUTCOMES } from '../../model/pipeline';
import { runMain } from '../support/cli-main';
import { historyFromJson } from '../workflow/support/history-json';

// The metrics are computed from records the CLI reads out of workflow histories: the saved histories
// (real runs on the test server) give the records, hand-made records give the arithmetic.

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const ids = JSON.parse(readFileSync(join(DIR, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
const record = (file: string, commitTime?: string) => recordFromHistory(ids[file]!, historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? [], commitTime);
const t = (iso: string) => Date.parse(iso);

describe('records from saved histories', () => {
  test('promoted automatically: traffic then promotion, approval automatic, scan summary kept', () => {
    const r = record('low-auto-promote-evidence-chain.json', '2026-12-03T01:00:00.000Z');
    expect(r).toMatchObject({ outcome: 'promoted', riskLevel: 'low', approval: { automatic: true }, commitTime: '2026-12-03T01:00:00.000Z' });
    expect(t(r.startedAt)).toBeLessThan(t(r.trafficAt!));
    expect(t(r.trafficAt!)).toBeLessThanOrEqual(t(r.promotedAt!));
    expect(t(r.promotedAt!)).toBeLessThanOrEqual(t(r.closedAt!));
    expect(r.scan).toMatchObject({ vulnerabilities: { CRITICAL: 0, MEDIUM: 1, LOW: 2 }, secrets: 0 });
  });

  test('patch shift-in-analysis: the first traffic is when the first analysis moved it (its verdict\'s traffic.at)', () => {
    const file = 'low-auto-promote-shift-in-analysis.json';
    const events = historyFromJson(readFileSync(join(DIR, file), 'utf8')).events ?? [];
    const firstAnalysis = events.find((e) => e.activityTaskCompletedEventAttributes && events.find((s) => String(s.eventId) === String(e.activityTaskCompletedEventAttributes!.scheduledEventId))?.activityTaskScheduledEventAttributes?.activityType?.name === 'analyze');
    const verdict = defaultPayloadConverter.fromPayload(firstAnalysis!.activityTaskCompletedEventAttributes!.result!.payloads![0]!) as { step: number; traffic: { at: string; weight: number } };
    expect(verdict.traffic.weight).toBe(10);
    const r = record(file);
    expect(r).toMatchObject({ outcome: 'promoted', trafficAt: verdict.traffic.at });
    expect(t(r.trafficAt!)).toBeLessThanOrEqual(t(r.promotedAt!));
  });

  test.each([
    'analysis-fails-rollback-evidence-chain.json',
    'analysis-fails-rollback.json',
    'error-after-traffic-rollback.json',
    'analysis-fails-rollback-shift-in-analysis.json',
    'error-after-traffic-rollback-shift-in-analysis.json',
  ])('%s: traffic -> detected -> restored, in order', (file) => {
    const r = record(file);
    expect(r.outcome).toBe('rolled_back');
    expect(r.promotedAt).toBeUndefined();
    expect(t(r.trafficAt!)).toBeLessThan(t(r.detectedAt!));
    expect(t(r.detectedAt!)).toBeLessThanOrEqual(t(r.restoredAt!));
    expect(t(r.restoredAt!)).toBeLessThanOrEqual(t(r.closedAt!));
  });

  test('a rollback before any traffic (runtime security) has no restore time', () => {
    const r = record('runtime-security-rollback-runtime-security.json');
    expect(r.outcome).toBe('rolled_back');
    expect(r.trafficAt).toBeUndefined();
    expect(r.restoredAt).toBeUndefined();
  });

  test('blocked by policy: the rule names of the blocking violations', () => {
    expect(record('blocked-by-policy-evidence-chain.json')).toMatchObject({ outcome: 'blocked_by_policy', blockedRules: ['secrets.none'] });
  });

  test.each(['high-two-approvals-evidence-chain.json', 'medium-one-approval-bound-approvals.json'])('%s: the human wait runs from the gate timer to the last decision', (file) => {
    const r = record(file);
    expect(r.approval?.automatic).toBe(false);
    expect(t(r.approval!.requestedAt!)).toBeLessThan(t(r.approval!.decidedAt!));
    expect(t(r.approval!.decidedAt!)).toBeLessThan(t(r.trafficAt!));
  });

  test('expired: waited for a human, nobody decided', () => {
    const r = record('expired.json');
    expect(r).toMatchObject({ outcome: 'expired', approval: { automatic: false } });
    expect(r.approval?.requestedAt).toBeDefined();
    expect(r.approval?.decidedAt).toBeUndefined();
  });
});

const NOW = new Date('2026-12-03T12:00:00.000Z');
const SINCE = new Date('2026-11-03T12:00:00.000Z');
const at = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const base = (id: string, over: Partial<PipelineRecord>): PipelineRecord => ({ pipelineId: id, service: 'demo', environment: 'prod', headCommit: 'a'.repeat(40), startedAt: at(600), ...over });

test('a hand-computed window: frequency, lead time, failure rate, restore, detection, approvals, blocks', () => {
  const records: PipelineRecord[] = [
    base('p1', { outcome: 'promoted', commitTime: at(700), riskLevel: 'low', approval: { automatic: true }, trafficAt: at(590), promotedAt: at(580), closedAt: at(580) }),
    base('p2', { outcome: 'promoted', commitTime: at(600), riskLevel: 'medium', approval: { automatic: false, requestedAt: at(500), decidedAt: at(480) }, trafficAt: at(470), promotedAt: at(460), closedAt: at(460), scan: { scannedAt: at(490), image: 'img@sha256:2', vulnerabilities: { HIGH: 2 }, secrets: 0, misconfigurations: 1 } }),
    base('r1', { outcome: 'rolled_back', riskLevel: 'low', approval: { automatic: true }, trafficAt: at(300), detectedAt: at(298), restoredAt: at(297), closedAt: at(296) }),
    base('b1', { outcome: 'blocked_by_policy', riskLevel: 'low', blockedRules: ['secrets.none', 'vulnerabilities.max'], closedAt: at(200) }),
    base('b2', { outcome: 'blocked_by_policy', blockedRules: ['secrets.none'], closedAt: at(100) }),
    base('x1', { outcome: 'expired', riskLevel: 'high', approval: { automatic: false, requestedAt: at(100) }, closedAt: at(50) }),
    base('t1', { status: 'terminated', closedAt: at(40) }),
    base('w1', { status: 'running' }),
    // before the window: not counted, but still the running release of staging
    base('old', { environment: 'staging', startedAt: '2026-10-01T00:00:00.000Z', outcome: 'promoted', promotedAt: '2026-10-01T00:10:00.000Z', closedAt: '2026-10-01T00:10:00.000Z' }),
  ];
  const m = computeMetrics(records, NOW, { since: SINCE });
  expect(m.pipelines).toEqual({ total: 8, byOutcome: { promoted: 2, rolled_back: 1, blocked_by_policy: 2, expired: 1, terminated: 1, running: 1 } });
  expect(m.dora.deploymentFrequency).toEqual({ promoted: 2, perDay: 2 / 30, perWeek: 14 / 30, band: 'medium' });
  // lead times 120 and 140 minutes
  expect(m.dora.leadTime).toMatchObject({ medianMs: 130 * 60_000, samples: 2, missingCommitTime: 0, band: 'elite' });
  expect(m.dora.changeFailureRate).toEqual({ promoted: 2, rolledBack: 1, rate: 1 / 3, band: 'low' });
  expect(m.dora.timeToRestore).toEqual({ medianMs: 3 * 60_000, samples: 1, band: 'elite' });
  expect(m.security.blockedByPolicy).toEqual({ total: 2, byRule: { 'secrets.none': 2, 'vulnerabilities.max': 1 } });
  expect(m.security.approvalWait).toEqual({ medianMs: 20 * 60_000, samples: 1 });
  expect(m.security.autoApproved).toEqual({ low: { changes: 2, automatic: 2, share: 1 }, medium: { changes: 1, automatic: 0, share: 0 }, high: { changes: 1, automatic: 0, share: 0 } });
  expect(m.security.timeToDetect).toEqual({ meanMs: 2 * 60_000, samples: 1 });
  const running = m.security.runningReleases;
  expect(running.releases.map((r) => [r.environment, r.pipelineId, r.scannedWithinInterval])).toEqual([
    ['prod', 'p2', true],
    ['staging', 'old', false],
  ]);
  expect(running.scanCoverage).toBe(0.5);
  expect(running.openFindings).toEqual({ vulnerabilities: { CRITICAL: 0, HIGH: 2, MEDIUM: 0, LOW: 0, UNKNOWN: 0 }, secrets: 0, misconfigurations: 1 });
  // the filter keeps one environment
  expect(computeMetrics(records, NOW, { since: SINCE, filter: { env: 'staging' } }).pipelines.total).toBe(0);
});

test('scheduled rescans: a running release rescanned since its pipeline scan counts by the rescan; one of another digest does not', () => {
  const old = { scannedAt: '2026-10-01T00:05:00.000Z', image: 'img@sha256:old', vulnerabilities: {}, secrets: 0, misconfigurations: 0 };
  const records = [
    base('prod', { outcome: 'promoted', promotedAt: '2026-10-01T00:10:00.000Z', closedAt: '2026-10-01T00:10:00.000Z', scan: old }),
    base('staging', { environment: 'staging', outcome: 'promoted', promotedAt: '2026-10-01T00:10:00.000Z', closedAt: '2026-10-01T00:10:00.000Z', scan: { ...old, image: 'img@sha256:stg' } }),
  ];
  const rescans = [
    { service: 'demo', environment: 'prod', image: 'img@sha256:old', scannedAt: at(60), compliant: false, findings: 2 },
    // staging runs something else now (put in place by hand): its rescan says nothing about the pipeline's release
    { service: 'demo', environment: 'staging', image: 'img@sha256:other', scannedAt: at(60), compliant: true, findings: 0 },
  ];
  const without = computeMetrics(records, NOW, { since: SINCE }).security.runningReleases;
  expect(without).toMatchObject({ scanSource: 'pipeline scans', scanCoverage: 0 });
  const running = computeMetrics(records, NOW, { since: SINCE, rescans }).security.runningReleases;
  expect(running.scanSource).toBe('pipeline scans and scheduled rescans');
  expect(running.releases.map((r) => [r.environment, r.scannedAt, r.scannedWithinInterval, r.rescan])).toEqual([
    ['prod', at(60), true, { scannedAt: at(60), compliant: false, findings: 2 }],
    ['staging', old.scannedAt, false, undefined],
  ]);
  expect(running.scanCoverage).toBe(0.5);
});

test('no data: null values and no band, not zeros that look like results', () => {
  const m = computeMetrics([], NOW, { since: SINCE });
  expect(m.dora.leadTime).toMatchObject({ medianMs: null, band: null });
  expect(m.dora.changeFailureRate).toMatchObject({ rate: null, band: null });
  expect(m.dora.timeToRestore).toMatchObject({ medianMs: null, band: null });
  expect(m.dora.deploymentFrequency.band).toBe('low');
  expect(m.security.runningReleases.scanCoverage).toBeNull();
});

test('median, rule names, --since', () => {
  expect([median([]), median([3]), median([4, 1, 3]), median([1, 2, 3, 10])]).toEqual([null, 3, 3, 2.5]);
  expect(['secrets.none (critical): AWS key in app.py:3', 'freeze: window x', 'vulnerabilities.max'].map(ruleOf)).toEqual(['secrets.none', 'freeze', 'vulnerabilities.max']);
  expect(parseSince('30d', NOW)).toEqual(SINCE);
  expect(parseSince('12h', NOW)?.toISOString()).toBe('2026-12-03T00:00:00.000Z');
  expect(parseSince('2026-11-01', NOW)?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  for (const bad of ['30', 'd', '-1d', '2027-01-01', 'yesterday', '1y']) expect(parseSince(bad, NOW)).toBeUndefined();
});

test('airlock metrics refuses bad flags with exit 2 before contacting Temporal', async () => {
  for (const argv of [['--since', 'yesterday'], ['--since', '1y'], ['--service', ''], ['extra'], ['--bogus']]) {
    const r = await runMain(['metrics', ...argv]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^airlock metrics: /);
  }
  expect((await runMain(['metrics', '--help'])).stdout).toMatch(/^usage: airlock metrics \[--service <s>\]/);
});

describe('properties', () => {
  const RANK: Record<Band, number> = { elite: 3, high: 2, medium: 1, low: 0 };
  const minutes = fc.integer({ min: 0, max: 60 * 24 * 60 });
  const iso = minutes.map(at);
  const arbRecord = fc.record({
    pipelineId: fc.string({ minLength: 1, maxLength: 8 }),
    service: fc.constantFrom('a', 'b'),
    environment: fc.constantFrom('staging', 'prod'),
    headCommit: fc.constant('c'.repeat(40)),
    startedAt: iso,
    closedAt: iso,
    outcome: fc.constantFrom(...OUTCOMES),
    commitTime: fc.option(iso, { nil: undefined }),
    riskLevel: fc.constantFrom('low' as const, 'medium' as const, 'high' as const),
    approval: fc.option(fc.record({ automatic: fc.boolean(), requestedAt: iso, decidedAt: iso }), { nil: undefined }),
    blockedRules: fc.array(fc.constantFrom('secrets.none', 'freeze', 'licenses.deny')),
    trafficAt: fc.option(iso, { nil: undefined }),
    detectedAt: fc.option(iso, { nil: undefined }),
    restoredAt: fc.option(iso, { nil: undefined }),
    promotedAt: fc.option(iso, { nil: undefined }),
  });
  const unit = (x: number | null) => x === null || (x >= 0 && x <= 1);
  const nonNegative = (x: number | null) => x === null || x >= 0;

  test('rates and shares are in [0, 1], durations never negative, counts add up', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 40 }), minutes, (records, back) => {
        const m = computeMetrics(records, NOW, { since: new Date(NOW.getTime() - (back + 1) * 60_000) });
        const cfr = m.dora.changeFailureRate;
        expect(unit(cfr.rate)).toBe(true);
        expect(cfr.rate === null).toBe(cfr.promoted + cfr.rolledBack === 0);
        for (const a of Object.values(m.security.autoApproved)) expect(unit(a.share) && a.automatic <= a.changes).toBe(true);
        expect(unit(m.security.runningReleases.scanCoverage)).toBe(true);
        for (const d of [m.dora.leadTime.medianMs, m.dora.timeToRestore.medianMs, m.security.approvalWait.medianMs, m.security.timeToDetect.meanMs]) expect(nonNegative(d)).toBe(true);
        expect(Object.values(m.pipelines.byOutcome).reduce((a, b) => a + b, 0)).toBe(m.pipelines.total);
        expect(m.dora.deploymentFrequency.perDay).toBeGreaterThanOrEqual(0);
        expect(m.security.runningReleases.releases.length).toBeLessThanOrEqual(4);
      }),
    );
  });

  test('bands are monotone: a better value never gets a worse band', () => {
    const pair = fc.tuple(fc.double({ min: 0, max: 1e10, noNaN: true }), fc.double({ min: 0, max: 1e10, noNaN: true })).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));
    fc.assert(
      fc.property(pair, ([lo, hi]) => {
        expect(RANK[bandAtLeast(hi, DORA_BANDS.deploymentsPerDay)]).toBeGreaterThanOrEqual(RANK[bandAtLeast(lo, DORA_BANDS.deploymentsPerDay)]);
        expect(RANK[bandBelow(lo, DORA_BANDS.leadTimeMs)]).toBeGreaterThanOrEqual(RANK[bandBelow(hi, DORA_BANDS.leadTimeMs)]);
        expect(RANK[bandBelow(lo, DORA_BANDS.timeToRestoreMs)]).toBeGreaterThanOrEqual(RANK[bandBelow(hi, DORA_BANDS.timeToRestoreMs)]);
        expect(RANK[bandAtMost(lo / 1e10, DORA_BANDS.changeFailureRate)]).toBeGreaterThanOrEqual(RANK[bandAtMost(hi / 1e10, DORA_BANDS.changeFailureRate)]);
      }),
    );
  });

  test('one more rollback never lowers the change failure rate', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 30 }), (records) => {
        const window = { since: new Date(NOW.getTime() - 61 * 86_400_000) };
        const before = computeMetrics(records, NOW, window).dora.changeFailureRate.rate ?? 0;
        const after = computeMetrics([...records, base('extra', { outcome: 'rolled_back', closedAt: at(1) })], NOW, window).dora.changeFailureRate.rate!;
        expect(after).toBeGreaterThanOrEqual(before);
      }),
    );
  });
});
