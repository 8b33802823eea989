import { policyVerdict, type LoadedPolicy } from '../../activities/policy/evaluate';
import { policySchema } from '../../model/policy';
import type { RiskAssessment } from '../../model/risk';
import { emptyCounts, type ScanSummary, type VulnerabilityFinding } from '../../model/scan';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NOW = new Date('2026-06-15T12:00:00Z');

function policy(doc: unknown = {}): LoadedPolicy {
  return { policy: policySchema.parse(doc), digest: `sha256:${'p'.repeat(0)}${'1'.repeat(64)}`, source: 'airlock.policy.yaml' };
}

function scan(parts: Partial<ScanSummary> = {}): ScanSummary {
  const findings = parts.vulnerabilities?.findings ?? [];
  const counts = emptyCounts();
  for (const f of findings) counts[f.severity]++;
  return {
    image: `127.0.0.1:5000/svc@${DIGEST}`,
    secrets: [],
    misconfigurations: [],
    licenses: [],
    reportDigest: DIGEST,
    sbomDigest: DIGEST,
    trivyVersion: '0.74.0',
    dbMode: 'fixture',
    baseImage: 'airlock/base:bookworm-1',
    imageUser: { user: 'app', uid: 10001, configDigest: DIGEST },
    ...parts,
    vulnerabilities: { counts, findings, ...parts.vulnerabilities },
  };
}

// as Trivy reports it: named by the CVE alias, the GHSA id in aliases (Trivy's VendorIDs)
const minimist: VulnerabilityFinding = {
  id: 'CVE-2021-44906',
  aliases: ['GHSA-xvch-5gv4-984h'],
  pkg: 'minimist',
  installed: '1.2.5',
  fixed: '1.2.6, 0.2.4',
  severity: 'CRITICAL',
  target: 'Node.js',
};
const medium: VulnerabilityFinding = { id: 'CVE-2026-0001', pkg: 'libfoo', installed: '1.0', severity: 'MEDIUM', target: 'debian 12' };
const exception = (expires: string, extra: object = {}) => ({
  exceptions: [{ id: 'GHSA-xvch-5gv4-984h', owner: 'alice@example.com', reason: 'flags are ours only', expires, ...extra }],
});
const rules = (v: { violations: { rule: string; blocking: boolean }[] }) => v.violations.map((x) => `${x.rule}${x.blocking ? '!' : ''}`);

describe('policyVerdict', () => {
  it('allows a clean scan and records the policy digest and time', () => {
    const v = policyVerdict(policy(), scan(), undefined, NOW);
    expect(v).toEqual({
      allowed: true,
      violations: [],
      exceptionsApplied: [],
      policyDigest: policy().digest,
      notVerifiable: [],
      evaluatedAt: '2026-06-15T12:00:00.000Z',
      action: 'deploy',
      imageUser: { user: 'app', uid: 10001 },
    });
  });

  it('blocks a planted secret with the rule id and file path, never the value', () => {
    const v = policyVerdict(
      policy(),
      scan({ secrets: [{ ruleId: 'github-pat', category: 'GitHub', title: 'GitHub Personal Access Token', severity: 'CRITICAL', target: '/app/config/deploy.env', line: 3 }] }),
      undefined,
      NOW,
    );
    expect(v.allowed).toBe(false);
    expect(v.violations).toEqual([
      {
        rule: 'secrets',
        severity: 'critical',
        blocking: true,
        subject: 'github-pat',
        detail: 'secret found by rule github-pat (GitHub Personal Access Token) in /app/config/deploy.env:3',
      },
    ]);
  });

  it('keeps credentials blocking under authentication: mandatory even when secrets are allowed', () => {
    const secrets: ScanSummary['secrets'] = [
      { ruleId: 'github-pat', category: 'GitHub', severity: 'CRITICAL', target: 'a', line: 1 },
      { ruleId: 'private-key', category: 'AsymmetricPrivateKey', severity: 'HIGH', target: 'b', line: 1 },
    ];
    const lax = { gates: { secrets: { allowed: true } } };
    expect(rules(policyVerdict(policy(lax), scan({ secrets }), undefined, NOW))).toEqual(['secrets', 'secrets']);
    const strict = { ...lax, security_requirements: { authentication: 'mandatory', encryption_in_transit: 'required' } };
    const v = policyVerdict(policy(strict), scan({ secrets }), undefined, NOW);
    expect(rules(v)).toEqual(['security.authentication!', 'security.encryption_in_transit!']);
    expect(v.notVerifiable).toEqual([
      expect.stringMatching(/^authentication: mandatory: not verifiable here: .*; checked here: no credentials baked into the image$/),
      expect.stringMatching(/^encryption_in_transit: required: not verifiable here/),
    ]);
  });

  it('reports the security requirements it cannot check', () => {
    const req = { authentication: 'mandatory', encryption_at_rest: 'required', encryption_in_transit: 'required', input_validation: 'strict', error_handling: 'secure', logging: 'comprehensive' };
    const v = policyVerdict(policy({ security_requirements: req }), scan(), undefined, NOW);
    expect(v.allowed).toBe(true);
    expect(v.notVerifiable.map((l) => l.split(':')[0])).toEqual(Object.keys(req));
  });

  it('blocks a known-vulnerable package by advisory id, above max severity or fixable', () => {
    const v = policyVerdict(policy(), scan({ vulnerabilities: { counts: emptyCounts(), findings: [minimist, medium] } }), undefined, NOW);
    expect(v.allowed).toBe(false);
    expect(v.violations).toEqual([
      expect.objectContaining({ rule: 'vulnerabilities.max-severity', severity: 'critical', blocking: true, subject: 'CVE-2021-44906' }),
    ]);
    expect(v.violations[0]!.detail).toBe('CVE-2021-44906 (GHSA-xvch-5gv4-984h) in minimist@1.2.5 (Node.js), fixed in 1.2.6, 0.2.4: CRITICAL is above the allowed high');
    const fixable = policyVerdict(policy({ gates: { vulnerabilities: { maxSeverity: 'critical' } } }), scan({ vulnerabilities: { counts: emptyCounts(), findings: [minimist] } }), undefined, NOW);
    expect(rules(fixable)).toEqual(['vulnerabilities.fixable!']);
    const strict = policyVerdict(policy({ gates: { vulnerabilities: { maxSeverity: 'low', failOnFixable: [] } } }), scan({ vulnerabilities: { counts: emptyCounts(), findings: [medium] } }), undefined, NOW);
    expect(rules(strict)).toEqual(['vulnerabilities.max-severity!']);
    const unfixedIgnored = policyVerdict(
      policy({ gates: { vulnerabilities: { maxSeverity: 'low', ignoreUnfixed: true } } }),
      scan({ vulnerabilities: { counts: emptyCounts(), findings: [medium] } }),
      undefined,
      NOW,
    );
    expect(unfixedIgnored.allowed).toBe(true);
  });

  it('lets a finding pass under an unexpired exception, and not once it has expired', () => {
    const vulns = scan({ vulnerabilities: { counts: emptyCounts(), findings: [minimist] } });
    const future = policyVerdict(policy(exception('2026-12-31')), vulns, undefined, NOW);
    expect(future.allowed).toBe(true);
    expect(future.violations).toEqual([]);
    expect(future.exceptionsApplied).toEqual([
      { id: 'GHSA-xvch-5gv4-984h', owner: 'alice@example.com', reason: 'flags are ours only', expires: '2026-12-31', covered: ['CVE-2021-44906 (GHSA-xvch-5gv4-984h) in minimist@1.2.5'] },
    ]);
    const expired = policyVerdict(policy(exception('2026-06-14')), vulns, undefined, NOW);
    expect(expired.allowed).toBe(false);
    expect(rules(expired)).toEqual(['vulnerabilities.max-severity!', 'exception.expired']);
    expect(expired.violations[1]!.detail).toBe('exception for GHSA-xvch-5gv4-984h (owner alice@example.com) expired 2026-06-14: it no longer applies');
    expect(expired.exceptionsApplied).toEqual([]);
    // a date-only expiry lasts through that day
    expect(policyVerdict(policy(exception('2026-06-15')), vulns, undefined, NOW).allowed).toBe(true);
    // named by the CVE instead of the GHSA id: the same finding
    expect(policyVerdict(policy({ exceptions: [{ ...exception('2026-12-31').exceptions[0]!, id: 'CVE-2021-44906' }] }), vulns, undefined, NOW).allowed).toBe(true);
    // scoped to other packages: does not apply
    expect(policyVerdict(policy(exception('2026-12-31', { packages: ['lodash'] })), vulns, undefined, NOW).allowed).toBe(false);
  });

  it('flags an image running as root (DS002) and, when required, a missing HEALTHCHECK (DS026)', () => {
    const misconfigurations = [
      { id: 'DS002', severity: 'HIGH' as const, title: "Image user should not be 'root'", target: 'Dockerfile' },
      { id: 'DS026', severity: 'LOW' as const, title: 'No HEALTHCHECK defined', target: 'Dockerfile' },
      { id: 'DS001', severity: 'MEDIUM' as const, title: "':latest' tag used", target: 'Dockerfile' },
    ];
    const v = policyVerdict(policy(), scan({ misconfigurations }), undefined, NOW);
    expect(rules(v)).toEqual(['dockerfile.non-root!', 'dockerfile.advisory', 'dockerfile.advisory']);
    expect(v.violations[0]!.detail).toBe("DS002 Image user should not be 'root' (Dockerfile)");
    const strict = policyVerdict(policy({ gates: { dockerfile: { requireHealthcheck: true, deny: ['DS-0001'], maxSeverity: 'medium' } } }), scan({ misconfigurations }), undefined, NOW);
    expect(rules(strict).sort()).toEqual(['dockerfile.deny!', 'dockerfile.healthcheck!', 'dockerfile.non-root!']);
    const excepted = policyVerdict(policy({ exceptions: [{ id: 'AVD-DS-0002', owner: 'o', reason: 'r', expires: '2026-07-01' }] }), scan({ misconfigurations }), undefined, NOW);
    expect(excepted.allowed).toBe(true);
  });

  it('blocks an image whose config runs it as root, naming the user, even without a DS002 finding', () => {
    const as = (user: string, uid?: number, unresolved?: string) =>
      scan({ imageUser: { user, configDigest: DIGEST, ...(uid !== undefined ? { uid } : {}), ...(unresolved ? { unresolved } : {}) } });
    for (const [user, uid] of [['root', 0], ['0', 0], ['', 0], ['0:1000', 0], ['root:root', 0], ['app', 0]] as const) {
      const v = policyVerdict(policy(), as(user, uid), undefined, NOW);
      expect(v.allowed).toBe(false);
      expect(v.violations).toEqual([expect.objectContaining({ rule: 'dockerfile.non-root', severity: 'high', blocking: true, subject: 'DS002' })]);
      expect(v.violations[0]!.detail).toContain(JSON.stringify(user));
      expect(v.imageUser).toEqual({ user, uid });
    }
    const unknown = policyVerdict(policy(), as('ghost', undefined, "ghost is not in the image's /etc/passwd"), undefined, NOW);
    expect(unknown.violations[0]!.detail).toBe(`the image config sets User "ghost", whose uid cannot be told (ghost is not in the image's /etc/passwd): use a numeric USER, e.g. USER 10001`);
    // a summary that does not record the user (made before airlock read it) cannot pass
    const { imageUser: _, ...old } = scan();
    expect(policyVerdict(policy(), old, undefined, NOW).violations[0]!.detail).toMatch(/does not record the user the image runs as .*: scan the image again/);
    // requireNonRoot: false, or a DS002 exception, lets it pass
    expect(policyVerdict(policy({ gates: { dockerfile: { requireNonRoot: false } } }), as('root', 0), undefined, NOW).allowed).toBe(true);
    const excepted = policyVerdict(policy({ exceptions: [{ id: 'DS002', owner: 'o', reason: 'r', expires: '2026-07-01' }] }), as('root', 0), undefined, NOW);
    expect(excepted).toMatchObject({ allowed: true, exceptionsApplied: [{ id: 'DS002', covered: ['image user "root"'] }] });
  });

  it('denies licenses on the denylist and base images outside the allowlist', () => {
    const licenses = [
      { name: 'AGPL-3.0-only', pkg: 'copyleft-lib', severity: 'HIGH' as const },
      { name: 'MIT', pkg: 'minimist', severity: 'LOW' as const },
    ];
    const v = policyVerdict(policy({ gates: { licenses: { deny: ['agpl-3.0-only'] }, baseImages: { allow: ['debian:*'] } } }), scan({ licenses }), undefined, NOW);
    expect(v.violations.map((x) => x.detail)).toEqual([
      'copyleft-lib is licensed AGPL-3.0-only, which the policy denies',
      'base image airlock/base:bookworm-1 is not in the allowlist (debian:*)',
    ]);
    const { baseImage: _omit, ...foreign } = scan();
    expect(policyVerdict(policy({ gates: { baseImages: { allow: ['airlock/base:*'] } } }), foreign, undefined, NOW).violations[0]!.detail).toMatch(
      /does not record its base image/,
    );
    expect(policyVerdict(policy({ gates: { baseImages: { allow: ['airlock/base:*'] } } }), scan(), undefined, NOW).allowed).toBe(true);
  });

  it('counts findings left out of the summary against the gate', () => {
    const counts = { ...emptyCounts(), CRITICAL: 3 };
    const v = policyVerdict(policy(), scan({ vulnerabilities: { counts, findings: [minimist], omitted: 2 } }), undefined, NOW);
    expect(v.violations.map((x) => x.detail)).toContain('2 more CRITICAL findings are not listed in the summary (see the full report): above the allowed high');
  });

  it('blocks forward deploys in a freeze window, never rollbacks', () => {
    const frozen = policy({ freezeWindows: [{ name: 'launch', reason: 'launch week', start: '2026-06-14T00:00:00Z', end: '2026-06-21T00:00:00Z', environments: ['production'] }] });
    const deploy = policyVerdict(frozen, scan(), undefined, NOW, { environment: 'production' });
    expect(deploy.allowed).toBe(false);
    expect(deploy.violations[0]).toEqual({
      rule: 'freeze-window',
      severity: 'high',
      blocking: true,
      subject: 'launch',
      detail: 'deploys to production are frozen by window "launch" (launch week); rollbacks stay allowed',
    });
    expect(policyVerdict(frozen, scan(), undefined, NOW, { environment: 'production', action: 'rollback' })).toMatchObject({ allowed: true, action: 'rollback' });
    expect(policyVerdict(frozen, scan(), undefined, NOW, { environment: 'staging' }).allowed).toBe(true);
    // a freeze is not something an exception can lift
    expect(policyVerdict(policy({ ...frozen.policy, exceptions: [{ id: 'launch', owner: 'o', reason: 'r', expires: '2027-01-01' }] }), scan(), undefined, NOW, { environment: 'production' }).allowed).toBe(false);
  });

  it('states the approvals the risk level needs', () => {
    const risk: RiskAssessment = { score: 80, level: 'high', signals: [], stats: { files: 1, additions: 1, deletions: 0 } };
    const keyA = Buffer.alloc(32, 1).toString('base64');
    const keyB = Buffer.alloc(32, 2).toString('hex');
    const p = policy({
      approverGroups: { developers: { members: [{ id: 'ann', publicKey: keyA }] }, security: { members: [{ id: 'sam', publicKey: keyB }] } },
      approvals: { timeout: '2h', high: { required: 2, require: ['security'] } },
    });
    expect(policyVerdict(p, scan(), risk, NOW).approvals).toEqual({ level: 'high', required: 2, from: ['developers', 'security'], require: ['security'], timeoutMs: 7_200_000 });
    expect(policyVerdict(p, scan(), { ...risk, level: 'low' }, NOW).approvals).toMatchObject({ level: 'low', required: 0 });
  });

  it('orders blocking violations first, most severe first', () => {
    const v = policyVerdict(
      policy(),
      scan({
        vulnerabilities: { counts: emptyCounts(), findings: [{ ...medium, severity: 'HIGH', fixed: '2' }, minimist] },
        misconfigurations: [{ id: 'DS026', severity: 'LOW', title: 'No HEALTHCHECK defined', target: 'Dockerfile' }],
        secrets: [{ ruleId: 'github-pat', category: 'GitHub', severity: 'CRITICAL', target: 'x', line: 1 }],
      }),
      undefined,
      NOW,
    );
    expect(v.violations.map((x) => `${x.severity}${x.blocking ? '!' : ''}`)).toEqual(['critical!', 'critical!', 'high!', 'low']);
  });
});
