import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/utils';
import {
  approvalMessage,
  approvalProblems,
  approvalSchema,
  eligibleGroups,
  findApprover,
  isAuthor,
  publicKeyOf,
  reviewApproval,
  signApproval,
  tally,
  verifyApproval,
  approvalMessageV1,
  type ApprovalContext,
  type ApprovalSubject,
  type ApprovalRecord,
  type Decision,
} from '../../model/approval';
import { parseWith } from '../../model/parse';
import { policySnapshotSchema, type PolicySnapshot } from '../../model/policy-snapshot';

const KEYS = { dana: 'd1'.repeat(32), alice: 'a1'.repeat(32), bob: 'b1'.repeat(32), sam: '5a'.repeat(32), olga: '0a'.repeat(32) };
type Who = keyof typeof KEYS;
const member = (id: Who, aliases: string[] = []) => ({ id, publicKey: publicKeyOf(KEYS[id]), aliases });

const snapshot: PolicySnapshot = parseWith(
  policySnapshotSchema,
  {
    source: 'git:/repo@base:airlock.policy.yaml',
    policyDigest: 'sha256:00',
    groups: { dev: [member('dana', ['Dana@Example.com']), member('alice'), member('bob')], security: [member('sam'), member('alice')], ops: [member('olga')] },
    levels: { medium: { approvals: 1, groups: ['dev', 'security'] }, high: { approvals: 2, groups: ['dev', 'security'], require: ['security'] } },
    approvalTimeoutMs: 60_000,
  },
  'snapshot',
);

const subject = (decision: Decision): ApprovalSubject => ({
  pipelineId: 'airlock/shop/prod/' + 'c'.repeat(40),
  runId: 'run-1',
  environment: 'prod',
  imageDigest: 'sha256:' + 'e'.repeat(64),
  baseCommit: 'b'.repeat(40),
  headCommit: 'c'.repeat(40),
  riskLevel: 'medium',
  policyDigest: 'sha256:00',
  decision,
});
const payload = (who: Who, decision: Decision = 'approve', signer: Who = who) => ({ approver: who, signature: signApproval(KEYS[signer], subject(decision)) });
const ctx = (level: 'low' | 'medium' | 'high', decisions: ApprovalRecord[] = [], decision: Decision = 'approve'): ApprovalContext => ({
  snapshot,
  rule: snapshot.levels[level],
  level,
  authors: ['dana@example.com'],
  decisions,
  subject: subject(decision),
});
const approved = (approver: string, groups: string[]): ApprovalRecord => ({ approver, decision: 'approve', groups, at: '' });

describe('signed bytes', () => {
  test('are a domain tag and a JSON array of pipeline, run, env, image, commits, risk, policy, decision', () => {
    const text = new TextDecoder().decode(approvalMessage(subject('approve')));
    expect(text).toBe(
      `airlock-approval-v2\n["airlock/shop/prod/${'c'.repeat(40)}","run-1","prod","sha256:${'e'.repeat(64)}","${'b'.repeat(40)}","${'c'.repeat(40)}","medium","sha256:00","approve"]`,
    );
  });

  test('fields cannot run into each other', () => {
    const a = approvalMessage({ ...subject('approve'), pipelineId: 'a","b', imageDigest: 'c' });
    const b = approvalMessage({ ...subject('approve'), pipelineId: 'a', imageDigest: 'b","c' });
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
  });

  test('a signature verifies only for its own pipeline, digest, decision and key', () => {
    const sig = signApproval(KEYS.alice, subject('approve'));
    const pub = publicKeyOf(KEYS.alice);
    expect(verifyApproval(pub, sig, subject('approve'))).toBe(true);
    expect(verifyApproval(pub, sig, subject('reject'))).toBe(false);
    expect(verifyApproval(pub, sig, { ...subject('approve'), imageDigest: 'sha256:' + 'f'.repeat(64) })).toBe(false);
    expect(verifyApproval(pub, sig, { ...subject('approve'), pipelineId: 'airlock/shop/prod/other' })).toBe(false);
    for (const field of ['runId', 'environment', 'baseCommit', 'headCommit', 'riskLevel', 'policyDigest'] as const)
      expect({ field, ok: verifyApproval(pub, sig, { ...subject('approve'), [field]: 'other' }) }).toEqual({ field, ok: false });
    expect(verifyApproval(publicKeyOf(KEYS.bob), sig, subject('approve'))).toBe(false);
  });

  test('garbage never throws, it just does not verify', () => {
    expect(verifyApproval('zz', '00', subject('approve'))).toBe(false);
    const sig = hexToBytes(signApproval(KEYS.alice, subject('approve')));
    sig[63] = sig[63]! ^ 0x80; // S out of range
    expect(verifyApproval(publicKeyOf(KEYS.alice), bytesToHex(sig), subject('approve'))).toBe(false);
  });
});

describe('reviewApproval', () => {
  test('a v1 signature is refused with how to re-sign', () => {
    const v1 = bytesToHex(ed25519.sign(approvalMessageV1(subject('approve')), hexToBytes(KEYS.alice)));
    const r = reviewApproval(ctx('medium'), { approver: 'alice', signature: v1 });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('retired format airlock-approval-v1') });
    expect(r.ok || r.reason).toContain(`re-sign with this airlock: \`airlock approve ${subject('approve').pipelineId} --as <identity>\``);
  });

  test('abort: the author may abort, an outsider group may not', () => {
    const abortCtx = ctx('medium', [], 'abort');
    expect(reviewApproval(abortCtx, payload('dana', 'abort'))).toMatchObject({ ok: true });
    expect(reviewApproval(abortCtx, payload('olga', 'abort'))).toMatchObject({ ok: false, reason: expect.stringContaining('is not in a group that may abort') });
  });

  test('a key listed under two approver ids is a policy error', () => {
    const twoIds = { ...snapshot, groups: { dev: [member('alice')], security: [{ ...member('sam'), publicKey: publicKeyOf(KEYS.alice) }] } };
    expect(() => parseWith(policySnapshotSchema, twoIds, 'policy snapshot')).toThrow(/groups\.security\.0\.publicKey: the same key is listed for alice/);
  });

  test('accepts an eligible, signed approver and resolves all their groups', () => {
    const r = reviewApproval(ctx('medium'), payload('alice'));
    expect(r).toMatchObject({ ok: true, approver: { id: 'alice', groups: ['dev', 'security'] } });
  });

  test.each([
    ['a malformed payload', ctx('medium'), { approver: 'alice', signature: 'xyz' }, /invalid approval: signature: must be a 64-byte ed25519 signature/],
    ['an unknown approver', ctx('medium'), { ...payload('alice'), approver: 'mallory' }, /unknown approver "mallory": not in any group of the policy at git:/],
    ['the author (by alias, any case)', ctx('medium'), payload('dana'), /"dana" is an author of this change and cannot approve it/],
    ['an approver outside the level groups', ctx('medium'), payload('olga'), /"olga" \(groups: ops\) is not in a group that may approve a medium-risk change \(needs: dev, security\)/],
    ['an approver who already decided', ctx('high', [approved('bob', ['dev'])]), payload('bob'), /"bob" already decided on this pipeline/],
    ['a signature by someone else', ctx('medium'), payload('alice', 'approve', 'bob'), /signature of "alice" does not verify over airlock-approval-v2 \{pipeline airlock\/shop\/prod\/c+, run run-1, env prod, image sha256:e+, .*decision approve\}/],
    ['a signature for another decision', ctx('medium'), { approver: 'alice', signature: payload('alice', 'reject').signature }, /does not verify/],
  ])('refuses %s', (_what, c, p, message) => {
    const r = reviewApproval(c, p);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(message);
  });

  test('high risk: a second dev-only approver cannot take the last slot while security is missing', () => {
    const withoutSecurity = { ...snapshot, groups: { ...snapshot.groups, security: [member('sam')] } };
    const c = { ...ctx('high', [approved('bob', ['dev'])]), snapshot: withoutSecurity };
    const r = reviewApproval(c, payload('alice'));
    expect(!r.ok && r.reason).toMatch(/a high-risk change needs an approval from security; "alice" \(dev\) cannot fill the remaining slot/);
    expect(reviewApproval(c, payload('sam')).ok).toBe(true);
  });

  test('the first approval of a high-risk change may come from dev (a slot is left for security)', () => {
    expect(reviewApproval(ctx('high'), payload('bob')).ok).toBe(true);
  });

  test('reject and promote follow the same identity rules, without the required-group rule', () => {
    expect(reviewApproval(ctx('high', [], 'reject'), payload('bob', 'reject')).ok).toBe(true);
    expect(reviewApproval(ctx('low', [], 'promote'), payload('olga', 'promote')).ok).toBe(true); // low: any group
    expect(reviewApproval(ctx('low', [], 'promote'), payload('dana', 'promote')).ok).toBe(false);
  });
});

describe('rules', () => {
  test('tally counts distinct approvers and the required groups still missing', () => {
    const high = snapshot.levels.high;
    expect(tally(high, [])).toEqual({ approvals: 0, needed: 2, missingGroups: ['security'], satisfied: false });
    expect(tally(high, [approved('bob', ['dev']), approved('bob', ['dev'])])).toMatchObject({ approvals: 1, satisfied: false });
    expect(tally(high, [approved('bob', ['dev']), approved('sam', ['security'])])).toMatchObject({ approvals: 2, missingGroups: [], satisfied: true });
    expect(tally(high, [approved('bob', ['dev']), { ...approved('sam', ['security']), decision: 'reject' }]).satisfied).toBe(false);
    expect(tally(snapshot.levels.low, []).satisfied).toBe(true);
  });

  test('eligible groups: the rule groups plus required ones, or every group when the rule names none', () => {
    expect(eligibleGroups(snapshot, snapshot.levels.high)).toEqual(['dev', 'security']);
    expect(eligibleGroups(snapshot, snapshot.levels.low)).toEqual(['dev', 'security', 'ops']);
  });

  test('authors match by id or alias, ignoring case and spaces', () => {
    const dana = findApprover(snapshot, 'dana')!;
    expect(isAuthor(dana, [' dana@EXAMPLE.com'])).toBe(true);
    expect(isAuthor(dana, ['DANA'])).toBe(true);
    expect(isAuthor(findApprover(snapshot, 'bob')!, ['dana@example.com'])).toBe(false);
  });
});

describe('policy snapshot schema', () => {
  const base = { source: 's', policyDigest: 'd', groups: { dev: [member('bob')] }, levels: {}, approvalTimeoutMs: 60_000 };

  test('defaults: low automatic, medium one approval, high two with security', () => {
    const s = parseWith(policySnapshotSchema, { ...base, groups: { dev: [member('bob')], security: [member('sam')] } }, 'snapshot');
    expect(s.levels).toEqual({
      low: { approvals: 0, groups: [], require: [] },
      medium: { approvals: 1, groups: [], require: [] },
      high: { approvals: 2, groups: [], require: ['security'] },
    });
  });

  test('bad snapshots fail with path: message lines', () => {
    const bad = {
      ...base,
      groups: { dev: [member('bob'), { ...member('alice'), publicKey: 'nope' }], ops: [{ ...member('bob'), publicKey: publicKeyOf(KEYS.sam) }] },
      levels: { medium: { approvals: 1, require: ['security', 'dev'] } },
    };
    expect(() => parseWith(policySnapshotSchema, bad, 'policy snapshot')).toThrow(
      /groups\.dev\.1\.publicKey: must be a 32-byte ed25519 public key[\s\S]*levels\.medium\.require: cannot require more groups than approvals/,
    );
    const twoKeys = { ...base, groups: { dev: [member('bob')], ops: [{ ...member('bob'), publicKey: publicKeyOf(KEYS.sam) }] }, levels: { high: { approvals: 2, require: ['dev'] } } };
    expect(() => parseWith(policySnapshotSchema, twoKeys, 'policy snapshot')).toThrow(/groups\.ops\.0\.publicKey: bob has a different key in another group/);
    expect(() => parseWith(policySnapshotSchema, { ...base, levels: { medium: { approvals: 1, groups: ['qa'] } } }, 'policy snapshot')).toThrow(/levels\.medium: unknown group qa/);
  });
});

describe('payload rules', () => {
  test('the workflow-side check (approvalProblems) and the CLI schema (approvalSchema) agree', () => {
    const good = payload('alice');
    const samples: unknown[] = [
      good,
      { ...good, comment: 'ship it' },
      { ...good, comment: 'x'.repeat(501) },
      { ...good, approver: '' },
      { ...good, approver: 'a'.repeat(101) },
      { ...good, signature: good.signature.toUpperCase() },
      { ...good, signature: good.signature.slice(2) },
      { ...good, extra: true },
      { approver: 'alice' },
      null,
      [],
      'alice',
    ];
    for (const s of samples) expect([s, approvalProblems(s).length === 0]).toEqual([s, approvalSchema.safeParse(s).success]);
  });
});
