import { policyVerdict, type LoadedPolicy } from '../../activities/policy/evaluate';
import { loadConfig } from '../../infra/config';
import { policySchema } from '../../model/policy';
import { emptyCounts, type ScanSummary } from '../../model/scan';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NOW = new Date('2026-06-15T12:00:00Z');
const policy = (doc: unknown = {}): LoadedPolicy => ({ policy: policySchema.parse(doc), digest: `sha256:${'1'.repeat(64)}`, source: 'airlock.policy.yaml' });
const scan = (parts: Partial<ScanSummary> = {}): ScanSummary => ({
  image: `127.0.0.1:5000/svc@${DIGEST}`,
  vulnerabilities: { counts: emptyCounts(), findings: [] },
  secrets: [],
  misconfigurations: [],
  licenses: [],
  reportDigest: DIGEST,
  sbomDigest: DIGEST,
  trivyVersion: '0.74.0',
  dbMode: 'online',
  imageUser: { user: 'app', uid: 10001, configDigest: DIGEST },
  ...parts,
});
const maxDbAge = (d: string) => ({ gates: { vulnerabilities: { maxDbAge: d } } });

describe('AIRLOCK_TRIVY_DB', () => {
  it('defaults to Trivy\'s real DB (online); the fixture is opt-in', () => {
    expect(loadConfig({ HOME: '/h' }).trivy).toMatchObject({ db: 'online', dbRepository: undefined });
    expect(loadConfig({ HOME: '/h', AIRLOCK_TRIVY_DB: 'fixture' }).trivy.db).toBe('fixture');
    expect(loadConfig({ HOME: '/h', AIRLOCK_TRIVY_DB_REPOSITORY: '127.0.0.1:5000/trivy-db' }).trivy.dbRepository).toBe('127.0.0.1:5000/trivy-db');
  });
});

describe('gates.vulnerabilities.maxDbAge', () => {
  it('is unset by default: any DB age passes', () => {
    expect(policy().policy.gates.vulnerabilities.maxDbAge).toBeUndefined();
    expect(policyVerdict(policy(), scan({ dbUpdatedAt: '2020-01-01T00:00:00Z' }), undefined, NOW).allowed).toBe(true);
  });

  it('passes a DB built within the limit', () => {
    const v = policyVerdict(policy(maxDbAge('48h')), scan({ dbUpdatedAt: '2026-06-14T00:00:00Z' }), undefined, NOW);
    expect(v.allowed).toBe(true);
    expect(v.violations).toEqual([]);
  });

  it('blocks a scan made with an older DB, saying when it was built and the limit', () => {
    const v = policyVerdict(policy(maxDbAge('48h')), scan({ dbUpdatedAt: '2026-06-13T11:00:00Z' }), undefined, NOW);
    expect(v.allowed).toBe(false);
    expect(v.violations).toEqual([
      expect.objectContaining({ rule: 'vulnerabilities.db-age', blocking: true, subject: 'online', detail: expect.stringMatching(/built 2026-06-13T11:00:00Z, 49\.0h before this gate: older than maxDbAge 48h/) }),
    ]);
  });

  it('blocks when the scan does not say when its DB was built', () => {
    const v = policyVerdict(policy(maxDbAge('7d')), scan(), undefined, NOW);
    expect(v.allowed).toBe(false);
    expect(v.violations[0]).toMatchObject({ rule: 'vulnerabilities.db-age', detail: expect.stringMatching(/does not record when its vulnerability DB/) });
  });

  it('cannot be waived by an exception', () => {
    const doc = { ...maxDbAge('1h'), exceptions: [{ id: 'online', owner: 'a@example.com', reason: 'x', expires: '2027-01-01' }] };
    expect(policyVerdict(policy(doc), scan({ dbUpdatedAt: '2026-06-01T00:00:00Z' }), undefined, NOW).allowed).toBe(false);
  });

  it('rejects a duration that is not one', () => {
    expect(() => policySchema.parse(maxDbAge('two days'))).toThrow(/maxDbAge/);
  });
});
