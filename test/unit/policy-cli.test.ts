import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../activities/evidence/store';
import { parsePolicy, policySnapshot } from '../../activities/policy';
import { emptyCounts, type ScanSummary } from '../../model/scan';
import { runMain } from '../support/cli-main';

const dir = mkdtempSync(join(tmpdir(), 'airlock-policy-cli-'));
const D = `sha256:${'b'.repeat(64)}`;
const summary = (parts: Partial<ScanSummary> = {}): ScanSummary => ({
  image: `127.0.0.1:5000/svc@${D}`,
  vulnerabilities: { counts: emptyCounts(), findings: [] },
  secrets: [],
  misconfigurations: [],
  licenses: [],
  reportDigest: D,
  sbomDigest: D,
  trivyVersion: '0.74.0',
  dbMode: 'fixture',
  imageUser: { user: 'app', uid: 10001, configDigest: D },
  ...parts,
});
const file = (name: string, content: string): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

const policyText = 'gates:\n  dockerfile: { requireHealthcheck: true }\nfreezeWindows:\n  - { name: launch, start: "2026-06-14T00:00:00Z", end: "2026-06-21T00:00:00Z", environments: [production] }\n';
const policy = file('airlock.policy.yaml', policyText);
const clean = file('clean.json', JSON.stringify(summary()));
const secret = file('secret.json', JSON.stringify(summary({ secrets: [{ ruleId: 'github-pat', category: 'GitHub', severity: 'CRITICAL', target: 'app/config/deploy.env', line: 3 }] })));

describe('airlock policy check', () => {
  it('exits 0 with the verdict and the policy file digest when allowed', async () => {
    const r = await runMain(['policy', 'check', '--policy', policy, '--scan', clean, '--json', '--now', '2026-06-01T00:00:00Z']);
    expect(r.code).toBe(0);
    const verdict = JSON.parse(r.stdout) as { allowed: boolean; policyDigest: string };
    expect(verdict.allowed).toBe(true);
    expect(verdict.policyDigest).toBe(sha256(Buffer.from(policyText)));
  });

  it('exits 3 when blocked, naming the rule and the file', async () => {
    const r = await runMain(['policy', 'check', '--policy', policy, '--scan', secret]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^BLOCKED by policy sha256:/);
    expect(r.stdout).toContain('block critical secrets: secret found by rule github-pat in app/config/deploy.env:3');
    expect(r.stderr).toBe('blocked: 1 blocking violation(s)\n');
  });

  it('blocks deploys in a freeze window but not rollbacks', async () => {
    const at = ['--now', '2026-06-15T12:00:00Z', '--env', 'production'];
    expect((await runMain(['policy', 'check', '--policy', policy, '--scan', clean, ...at])).code).toBe(3);
    expect((await runMain(['policy', 'check', '--policy', policy, '--scan', clean, ...at, '--rollback'])).code).toBe(0);
  });

  it('states the approvals a risk level needs', async () => {
    const risk = file('risk.json', JSON.stringify({ score: 50, level: 'medium', signals: [], stats: { files: 1, additions: 1, deletions: 1 } }));
    const r = await runMain(['policy', 'check', '--policy', policy, '--scan', clean, '--risk', risk, '--now', '2026-06-01T00:00:00Z']);
    expect(r.stdout).toContain('approvals for medium risk: 1 from (no groups)');
  });

  it('rejects bad input with exit 2 and path: message lines', async () => {
    const bad = file('bad.yaml', 'gates:\n  secrets: { allowed: maybe }\nexceptions: [{ id: X }]\n');
    const r = await runMain(['policy', 'check', '--policy', bad, '--scan', clean]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad} is invalid:`);
    expect(r.stderr).toContain('  gates.secrets.allowed: Invalid input: expected boolean, received string');
    expect(r.stderr).toContain('  exceptions.0.owner: Invalid input: expected string, received undefined');
    const badScan = file('badscan.json', JSON.stringify({ ...summary(), image: 'web:latest', reportDigest: 'abc' }));
    const s = await runMain(['policy', 'check', '--policy', policy, '--scan', badScan]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('  image: must be pinned by digest (repo@sha256:...)');
    expect(s.stderr).toContain('  reportDigest: must be sha256:<64 hex digits>');
    expect(await runMain(['policy', 'check', '--policy', join(dir, 'missing.yaml'), '--scan', clean])).toMatchObject({ code: 2, stderr: expect.stringContaining('(file): cannot read the policy file (ENOENT)') });
    expect(await runMain(['policy', 'check', '--scan', clean])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--policy: is required/) });
    expect(await runMain(['policy', 'verify', '--policy', policy, '--scan', clean])).toMatchObject({ code: 2, stderr: expect.stringMatching(/check/) });
  });
});

describe('the approval snapshot the pipeline carries', () => {
  it('projects groups, keys (as lowercase hex), levels and the timeout', () => {
    const key = Buffer.alloc(32, 7);
    const loaded = parsePolicy(
      Buffer.from(`approverGroups:
  security: { members: [{ id: sam, publicKey: "${key.toString('base64')}", aliases: [sam@example.com] }] }
  developers: { members: [{ id: ann, publicKey: "${key.toString('hex').toUpperCase().replace(/^07/, '08')}" }] }
approvals:
  timeout: 2h
  high: { required: 2, require: [security] }
`),
      'airlock.policy.yaml',
    );
    expect(policySnapshot(loaded, 'git:/repo@abc:airlock.policy.yaml')).toEqual({
      source: 'git:/repo@abc:airlock.policy.yaml',
      policyDigest: loaded.digest,
      groups: {
        security: [{ id: 'sam', publicKey: key.toString('hex'), aliases: ['sam@example.com'] }],
        developers: [{ id: 'ann', publicKey: `08${key.toString('hex').slice(2)}`, aliases: [] }],
      },
      levels: {
        low: { approvals: 0, groups: [], require: [] },
        medium: { approvals: 1, groups: [], require: [] },
        high: { approvals: 2, groups: [], require: ['security'] },
      },
      approvalTimeoutMs: 7_200_000,
    });
  });
});
