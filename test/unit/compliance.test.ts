import { assessCompliance } from '../../activities/compliance/assess';
import type { LoadedPolicy } from '../../activities/policy/evaluate';
import {
  complianceExitCode,
  complianceFindings,
  dbAgeDays,
  expiringExceptions,
  judgeEntry,
  rescanScheduleId,
  rescanSpec,
  violationActions,
  type ComplianceStatus,
  type RescanTarget,
} from '../../model/compliance';
import { exceptionExpiresAt, policySchema } from '../../model/policy';
import { emptyCounts, type ScanSummary } from '../../model/scan';

// The pure parts of scheduled rescans (docs/compliance.md): the policy section, the schedule's spec, the
// compliance decision, expiring exceptions, what `airlock compliance` reports.

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NOW = new Date('2026-06-15T12:00:00Z');
const loaded = (doc: unknown = {}): LoadedPolicy => ({ policy: policySchema.parse(doc), digest: `sha256:${'1'.repeat(64)}`, source: 'airlock.policy.yaml' });
const scan = (findings: ScanSummary['vulnerabilities']['findings'] = []): ScanSummary => ({
  image: `127.0.0.1:5000/svc@${DIGEST}`,
  vulnerabilities: { counts: { ...emptyCounts(), CRITICAL: findings.length }, findings },
  secrets: [],
  misconfigurations: [],
  licenses: [],
  reportDigest: DIGEST,
  sbomDigest: DIGEST,
  trivyVersion: '0.74.0',
  dbMode: 'fixture',
  dbUpdatedAt: '2026-06-13T00:00:00Z',
  imageUser: { user: 'app', uid: 10001, configDigest: DIGEST },
});
const target: RescanTarget = {
  service: 'svc',
  environment: 'prod',
  releaseId: 'svc-prod-abc',
  image: `127.0.0.1:5000/svc@${DIGEST}`,
  source: { repo: 'file:///r', commit: 'c'.repeat(40), serviceDir: '.' },
  pipelineId: 'airlock/svc/prod/abc',
};
const CVE = { id: 'CVE-2026-0001', pkg: 'zlib', installed: '1.0', severity: 'CRITICAL' as const, target: 'debian' };

describe('compliance: in the policy', () => {
  it('defaults to a daily rescan that alerts (next to the drift check: one section)', () => {
    expect(policySchema.parse({}).compliance).toEqual({ rescanEvery: '24h', onViolation: 'alert', driftEvery: '1h', onDrift: 'alert' });
    expect(policySchema.parse({ compliance: { rescanEvery: '1h', onDrift: 'reconcile' } }).compliance).toEqual({ rescanEvery: '1h', onViolation: 'alert', driftEvery: '1h', onDrift: 'reconcile' });
  });
  it('takes 10s..30d and the three actions, nothing else', () => {
    expect(policySchema.parse({ compliance: { rescanEvery: '10s', onViolation: 'rollback' } }).compliance).toMatchObject({ rescanEvery: '10s', onViolation: 'rollback' });
    expect(policySchema.safeParse({ compliance: { rescanEvery: '5s' } }).success).toBe(false);
    expect(policySchema.safeParse({ compliance: { rescanEvery: '31d' } }).success).toBe(false);
    expect(policySchema.safeParse({ compliance: { rescanEvery: 'daily' } }).success).toBe(false);
    expect(policySchema.safeParse({ compliance: { onViolation: 'ignore' } }).success).toBe(false);
    expect(policySchema.safeParse({ compliance: { rescanEvery: '1h', extra: 1 } }).success).toBe(false);
  });
});

describe('rescanSpec', () => {
  it('is one interval; short intervals start at once, long ones at an offset taken from the schedule id', () => {
    expect(rescanSpec('10s', rescanScheduleId('svc', 'prod'))).toEqual({ intervals: [{ every: 10_000, offset: 0 }] });
    const a = rescanSpec('24h', rescanScheduleId('svc', 'prod')).intervals[0]!;
    const b = rescanSpec('24h', rescanScheduleId('svc', 'staging')).intervals[0]!;
    expect(a.every).toBe(86_400_000);
    expect(a.offset % 60_000).toBe(0);
    expect(a.offset).toBeLessThan(a.every);
    expect(a.offset).not.toBe(b.offset);
    expect(rescanSpec('24h', rescanScheduleId('svc', 'prod'))).toEqual({ intervals: [a] }); // the same id, the same spec: idempotent
  });
  it('refuses what the schema refuses', () => {
    expect(() => rescanSpec('1s', 'x')).toThrow(RangeError);
    expect(() => rescanSpec('24x', 'x')).toThrow(RangeError);
  });
  it('names one schedule per environment', () => expect(rescanScheduleId('svc', 'prod')).toBe('airlock-rescan/svc/prod'));
});

describe('the compliance decision', () => {
  it('a clean rescan is compliant', () => {
    const s = assessCompliance({ target, scan: scan(), policy: loaded() }, NOW);
    expect(s).toMatchObject({ compliant: true, findings: [], releaseId: 'svc-prod-abc', dbUpdatedAt: '2026-06-13T00:00:00Z', onViolation: 'alert', scannedAt: NOW.toISOString() });
  });
  it('a new blocking finding makes the release non-compliant, naming it', () => {
    const s = assessCompliance({ target, scan: scan([CVE]), policy: loaded({ compliance: { onViolation: 'rollback' } }) }, NOW);
    expect(s.compliant).toBe(false);
    expect(s.findings.join('\n')).toContain('CVE-2026-0001');
    expect(s.onViolation).toBe('rollback');
  });
  it('a valid exception covers it; an expired one does not (and is reported)', () => {
    const exception = (expires: string) => ({ exceptions: [{ id: 'CVE-2026-0001', owner: 'sec@x', reason: 'no fix yet', expires }] });
    const valid = assessCompliance({ target, scan: scan([CVE]), policy: loaded(exception('2026-06-18')) }, NOW);
    expect(valid).toMatchObject({ compliant: true, expiring: [{ id: 'CVE-2026-0001', owner: 'sec@x', daysLeft: 3 }] });
    const expired = assessCompliance({ target, scan: scan([CVE]), policy: loaded(exception('2026-06-01')) }, NOW);
    expect(expired.compliant).toBe(false);
    expect(expired.expiring[0]!.daysLeft).toBeLessThan(0);
  });
  it('freeze windows are about deploys, not about what runs', () => {
    expect(complianceFindings([{ rule: 'freeze-window', severity: 'high', blocking: true, detail: 'frozen' }])).toEqual([]);
    expect(complianceFindings([{ rule: 'secrets', severity: 'critical', blocking: false, detail: 'warning only' }])).toEqual([]);
  });
  it('each onViolation choice alerts; rollback and block-promotion add their action', () => {
    expect(violationActions(true, 'rollback')).toEqual({ alert: false, rollback: false, blockPromotion: false });
    expect(violationActions(false, 'alert')).toEqual({ alert: true, rollback: false, blockPromotion: false });
    expect(violationActions(false, 'rollback')).toEqual({ alert: true, rollback: true, blockPromotion: false });
    expect(violationActions(false, 'block-promotion')).toEqual({ alert: true, rollback: false, blockPromotion: true });
  });
});

describe('expiring exceptions', () => {
  const at = (e: { expires: string }) => exceptionExpiresAt(e as never);
  it('within 7 days (a date lasts through its day), not later', () => {
    const list = [
      { id: 'a', owner: 'o', expires: '2026-06-21' }, // ends 06-22T00:00Z: 6.5 days
      { id: 'b', owner: 'o', expires: '2026-06-23' }, // 8.5 days
      { id: 'c', owner: 'o', expires: '2026-06-15T13:00:00Z' },
    ];
    expect(expiringExceptions(list, at, NOW.getTime()).map((e) => [e.id, e.daysLeft])).toEqual([
      ['a', 6],
      ['c', 0],
    ]);
  });
});

describe('the report', () => {
  const status = (p: Partial<ComplianceStatus> = {}): ComplianceStatus => ({
    ...assessCompliance({ target, scan: scan(), policy: loaded() }, NOW),
    ...p,
  });
  const every = 60_000;
  const now = NOW.getTime();
  it('compliant: the newest rescan of this release found nothing', () => {
    expect(judgeEntry({ releaseId: target.releaseId, since: NOW.toISOString(), everyMs: every, last: status(), now })).toEqual({ compliant: true, reason: 'no blocking finding' });
  });
  it('not compliant: findings, named', () => {
    expect(judgeEntry({ releaseId: target.releaseId, since: NOW.toISOString(), everyMs: every, last: status({ compliant: false, findings: ['vulnerabilities CVE-1: x'] }), now })).toEqual({ compliant: false, reason: 'vulnerabilities CVE-1: x' });
  });
  it('a release not rescanned yet counts as compliant for two intervals (the gate passed it), then not', () => {
    const since = new Date(now - 90_000).toISOString();
    expect(judgeEntry({ releaseId: target.releaseId, since, everyMs: every, now }).compliant).toBe(true);
    expect(judgeEntry({ releaseId: target.releaseId, since, everyMs: 30_000, now }).compliant).toBe(false);
    // a rescan of the release before does not count for this one
    expect(judgeEntry({ releaseId: 'other', since, everyMs: 30_000, last: status(), now }).compliant).toBe(false);
  });
  it('a stale last rescan is not evidence of compliance', () => {
    expect(judgeEntry({ releaseId: target.releaseId, since: NOW.toISOString(), everyMs: every, last: status({ scannedAt: new Date(now - 3 * every).toISOString() }), now }).compliant).toBe(false);
  });
  it('DB age in whole days; exit 0 only when all are compliant', () => {
    expect(dbAgeDays('2026-06-13T00:00:00Z', now)).toBe(2);
    expect(dbAgeDays(undefined, now)).toBeUndefined();
    expect(complianceExitCode([{ compliant: true }, { compliant: true }])).toBe(0);
    expect(complianceExitCode([{ compliant: true }, { compliant: false }])).toBe(3);
    expect(complianceExitCode([])).toBe(0);
  });
});
