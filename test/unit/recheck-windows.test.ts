import { recheckWindows } from '../../activities/policy/recheck';
import type { LoadedPolicy } from '../../activities/policy/evaluate';
import { freezeWindowEndsAt, policySchema } from '../../model/policy';
import { emptyCounts, type ScanSummary } from '../../model/scan';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const policy = (doc: unknown): LoadedPolicy => ({ policy: policySchema.parse(doc), digest: DIGEST, source: 'airlock.policy.yaml' });
const scan: ScanSummary = {
  image: `127.0.0.1:5000/svc@${DIGEST}`,
  vulnerabilities: {
    counts: { ...emptyCounts(), CRITICAL: 1 },
    findings: [{ id: 'CVE-2021-44906', aliases: ['GHSA-xvch-5gv4-984h'], pkg: 'minimist', installed: '1.2.5', fixed: '1.2.6', severity: 'CRITICAL', target: 'Node.js' }],
  },
  secrets: [],
  misconfigurations: [],
  licenses: [],
  reportDigest: DIGEST,
  sbomDigest: DIGEST,
  trivyVersion: '0.74.0',
  dbMode: 'fixture',
  imageUser: { user: 'app', uid: 10001, configDigest: DIGEST },
};
const exception = { exceptions: [{ id: 'GHSA-xvch-5gv4-984h', owner: 'a@example.com', reason: 'ours only', expires: '2026-06-15T12:00:00Z' }] };
const freeze = { freezeWindows: [{ name: 'year-end', reason: 'staffing', environments: ['prod'], start: '2026-06-15T12:00:00Z', end: '2026-06-16T00:00:00Z' }] };

describe('recheckWindows (the gate again by the worker clock)', () => {
  it('passes before the freeze window and the exception expiry', () => {
    const r = recheckWindows(policy({ ...exception, ...freeze }), scan, undefined, new Date('2026-06-15T11:59:00Z'), 'prod');
    expect(r).toEqual({ checkedAt: '2026-06-15T11:59:00.000Z', allowed: true, violations: [], otherBlocking: 0 });
  });

  it('a window that has started blocks, with its end and what to do during a rollout (default hold)', () => {
    const r = recheckWindows(policy(freeze), { ...scan, vulnerabilities: { counts: emptyCounts(), findings: [] } }, undefined, new Date('2026-06-15T13:00:00Z'), 'prod');
    expect(r).toMatchObject({ allowed: false, otherBlocking: 0, freeze: { name: 'year-end', endsAt: '2026-06-16T00:00:00.000Z', duringRollout: 'hold' } });
    expect(r.violations).toEqual([expect.stringMatching(/^freeze-window: deploys to prod are frozen by window "year-end" \(staffing\)/)]);
    expect(recheckWindows(policy(freeze), scan, undefined, new Date('2026-06-15T13:00:00Z'), 'staging').freeze).toBeUndefined();
  });

  it('freeze.duringRollout: rollback is passed on', () => {
    const r = recheckWindows(policy({ ...freeze, freeze: { duringRollout: 'rollback' } }), scan, undefined, new Date('2026-06-15T13:00:00Z'), 'prod');
    expect(r.freeze?.duringRollout).toBe('rollback');
  });

  it('an exception that has expired makes its finding block again', () => {
    const r = recheckWindows(policy(exception), scan, undefined, new Date('2026-06-15T12:00:01Z'), 'prod');
    expect(r).toMatchObject({ allowed: false, otherBlocking: 1 });
    expect(r.violations).toEqual([expect.stringMatching(/^vulnerabilities\.(max-severity|fixable): CVE-2021-44906/)]);
  });

  it('freezeWindowEndsAt: a one-off end, the next end of a weekly slot', () => {
    const weekly = policySchema.parse({ freezeWindows: [{ name: 'fri', weekly: { days: ['fri'], start: '16:00', end: '24:00' } }] }).freezeWindows[0]!;
    expect(new Date(freezeWindowEndsAt(weekly, new Date('2026-06-19T17:00:00Z'))).toISOString()).toBe('2026-06-20T00:00:00.000Z');
    const night = policySchema.parse({ freezeWindows: [{ name: 'n', weekly: { days: ['fri'], start: '22:00', end: '06:00' } }] }).freezeWindows[0]!;
    expect(new Date(freezeWindowEndsAt(night, new Date('2026-06-19T23:00:00Z'))).toISOString()).toBe('2026-06-20T06:00:00.000Z');
  });
});
