import { deployExitCode, describeDeploy } from '../../cli/commands/deploy';
import { EXIT } from '../../cli/errors';
import { publicKeyOf, reviewBreakGlass, signApproval, signBreakGlass, verifyBreakGlass, type BreakGlassSubject } from '../../model/approval';
import { policySchema } from '../../model/policy';
import type { GatePass } from '../../model/deploy-gate';
import type { DeployReleaseOutcome } from '../../workflows/deploy-release';
import { forgedRelease, withoutSecrets, type LockQueue } from '../../workflows/lock-queue';

// Issue 11, item 6: the pure parts of the side-door fixes (break-glass rule, lock secret, exit codes).

const KEYS = { alice: 'a1'.repeat(32), olga: '0a'.repeat(32), bob: 'b1'.repeat(32) } as const;
const member = (id: keyof typeof KEYS) => ({ id, publicKey: publicKeyOf(KEYS[id]), aliases: [] });
const rule = { group: 'oncall', approvals: 2, members: [member('alice'), member('olga')] };
const subject: BreakGlassSubject = {
  service: 'shop', environment: 'prod', imageDigest: `sha256:${'0e'.repeat(32)}`, reason: 'INC-1', workflowId: 'airlock-break-glass/shop/prod/n1', expiresAt: '2030-01-01T00:00:00Z',
};
const NOW = Date.parse('2029-12-31T00:00:00Z');
const sig = (who: keyof typeof KEYS, s: BreakGlassSubject = subject) => ({ approver: who, signature: signBreakGlass(KEYS[who], s) });

describe('break-glass: N of M signatures of the policy group over the break-glass message', () => {
  test('2 of 2 members: ok, the signers named', () => {
    expect(reviewBreakGlass(rule, subject, [sig('alice'), sig('olga')], NOW)).toEqual({ ok: true, signers: ['alice', 'olga'] });
  });
  test('the message binds every field: another nonce, digest, env, reason or expiry does not verify', () => {
    for (const k of ['service', 'environment', 'imageDigest', 'reason', 'workflowId', 'expiresAt'] as const)
      expect([k, verifyBreakGlass(publicKeyOf(KEYS.alice), sig('alice').signature, { ...subject, [k]: `${subject[k]}x` })]).toEqual([k, false]);
  });
  test('an approval signature (other domain) is not a break-glass signature', () => {
    const approval = signApproval(KEYS.alice, { pipelineId: subject.workflowId, runId: 'r', environment: subject.environment, imageDigest: subject.imageDigest, baseCommit: 'a'.repeat(40), headCommit: 'b'.repeat(40), riskLevel: 'high', policyDigest: '', decision: 'approve' });
    expect(verifyBreakGlass(publicKeyOf(KEYS.alice), approval, subject)).toBe(false);
  });
  test('too few: duplicates, non-members and bad signatures count for nothing, and are named', () => {
    const r = reviewBreakGlass(rule, subject, [sig('alice'), sig('alice'), sig('bob'), sig('olga', { ...subject, reason: 'other' })], NOW);
    expect(r).toMatchObject({ ok: false, signers: ['alice'] });
    expect(r.ok || r.reason).toBe(
      'break-glass needs 2 valid signatures of group oncall, got 1 (refused: alice: signed twice; bob: not in group oncall; olga: signature does not verify over the break-glass message)',
    );
  });
  test('expired, or no breakGlass rule in the policy: refused', () => {
    expect(reviewBreakGlass(rule, subject, [sig('alice'), sig('olga')], Date.parse('2030-01-02T00:00:00Z'))).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
    expect(reviewBreakGlass(undefined, subject, [sig('alice'), sig('olga')], NOW)).toMatchObject({ ok: false, reason: expect.stringContaining('no breakGlass rule') });
  });
  test('policy: breakGlass names an existing group with enough members', () => {
    const groups = { approverGroups: { oncall: { members: [member('alice'), member('olga')] } } };
    expect(policySchema.parse({ ...groups, breakGlass: { group: 'oncall', approvals: 2 } }).breakGlass).toEqual({ group: 'oncall', approvals: 2 });
    expect(policySchema.safeParse({ ...groups, breakGlass: { group: 'ops', approvals: 1 } }).error?.issues[0]).toMatchObject({ path: ['breakGlass', 'group'], message: 'no approver group named ops' });
    expect(policySchema.safeParse({ ...groups, breakGlass: { group: 'oncall', approvals: 3 } }).error?.issues[0]).toMatchObject({ path: ['breakGlass', 'approvals'] });
  });
});

describe('lock secret', () => {
  const q: LockQueue = {
    holder: { pipelineId: 'p1', runId: 'r1', headCommit: 'a', leaseMs: 1, grantedAtMs: 0, secret: 's1' },
    queue: [{ pipelineId: 'p2', runId: 'r2', headCommit: 'b', leaseMs: 1 }],
  };
  test('a release of a run whose request carried a secret needs that secret; old runs (no secret) do not', () => {
    expect(forgedRelease(q, { pipelineId: 'p1', runId: 'r1' })).toBe(true);
    expect(forgedRelease(q, { pipelineId: 'p1', runId: 'r1', secret: 'guess' })).toBe(true);
    expect(forgedRelease(q, { pipelineId: 'p1', runId: 'r1', secret: 's1' })).toBe(false);
    expect(forgedRelease(q, { pipelineId: 'p2', runId: 'r2' })).toBe(false);
    expect(forgedRelease(q, { pipelineId: 'nobody', runId: 'x' })).toBe(false); // unknown: release is a no-op anyway
  });
  test('the lockState query shows no secrets', () => {
    expect(JSON.stringify(withoutSecrets(q))).not.toContain('s1');
  });
});

test('deploy refused by the gate or break-glass: exit 3; a break-glass outcome says so', () => {
  const failed = (type: string): DeployReleaseOutcome => ({ kind: 'failed', releaseId: 'r', stage: 'deploy', cause: { type, message: 'm' }, analysis: [] });
  expect(deployExitCode(failed('GateNotPassedError'))).toBe(EXIT.blockedByPolicy);
  expect(deployExitCode(failed('BreakGlassRefusedError'))).toBe(EXIT.blockedByPolicy);
  const glass: GatePass = { kind: 'break-glass', reason: 'INC-1', signers: ['alice', 'olga'], group: 'oncall', expiresAt: 'x', policyDigest: 'd', policySource: 's' };
  expect(describeDeploy({ kind: 'promoted', releaseId: 'r', image: 'i', analysis: [], gate: glass })).toBe('BREAK-GLASS (INC-1; signed by alice, olga): promoted r');
});
