import { commitPrefixOf } from '../../activities/deploy/anchor';
import { bootstrapAsPolicy } from '../../activities/policy/anchor-policy';
import { policySnapshot } from '../../activities/policy/snapshot';
import { bootstrapPolicySchema, branchesOf } from '../../model/anchor';
import { routeRisk } from '../../workflows/decisions';

const KEY_A = 'a'.repeat(64);
const KEY_S = 'b'.repeat(64);
const file = {
  approvers: [
    { name: 'alice', publicKey: KEY_A, groups: ['developers'] },
    { name: 'sam', publicKey: KEY_S, groups: ['security'] },
  ],
  rule: { approvals: 2, require: ['security'] },
};

test('the bootstrap file becomes a policy whose every level needs the worker approvers', () => {
  const b = bootstrapPolicySchema.parse(file);
  const loaded = bootstrapAsPolicy(b, Buffer.from('x'), 'bootstrap:/etc/airlock/bootstrap.policy.yaml');
  const snap = policySnapshot(loaded, loaded.source);
  for (const level of ['low', 'medium', 'high'] as const) expect(snap.levels[level]).toMatchObject({ approvals: 2, require: ['security'] });
  expect(Object.keys(snap.groups).sort()).toEqual(['developers', 'security']);
  expect(loaded.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
});

test('a bootstrap file that cannot be satisfied is refused, naming the field', () => {
  const r = bootstrapPolicySchema.safeParse({ ...file, rule: { approvals: 3, require: ['ops'] } });
  expect(r.success).toBe(false);
  expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['rule.approvals', 'rule.require.0']);
});

test('protected branches: the environment entry, else the default', () => {
  expect(branchesOf({ production: { branches: ['release'] } }, 'production')).toEqual(['release']);
  expect(branchesOf({}, 'staging')).toEqual(['main']);
  expect(branchesOf(undefined, 'staging', ['trunk'])).toEqual(['trunk']);
});

test('a release id names its commit prefix; an image-deployed release does too only by digest', () => {
  expect(commitPrefixOf('demo-production-0123456789ab')).toBe('0123456789ab');
  expect(commitPrefixOf('demo-production-latest')).toBeUndefined();
});

test('a first release is routed high whatever the score', () => {
  const risk = { score: 5, level: 'low' as const, signals: [], stats: { files: 1, additions: 1, deletions: 0 } };
  const change = { files: 1, additions: 1, deletions: 0, authors: [], touchesGates: false, analysisDigest: 'sha256:x' };
  expect(routeRisk(risk, change).level).toBe('low');
  expect(routeRisk(risk, change, true)).toMatchObject({ level: 'high', reasons: [expect.stringMatching(/first release \(bootstrap\)/)] });
});
