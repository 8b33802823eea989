import fc from 'fast-check';
import { approvalProblems, approvalSchema, publicKeyOf, reviewApproval, signApproval, type ApprovalContext, type ApprovalSubject } from '../../model/approval';
import { issueLines, parseWith } from '../../model/parse';
import { policySnapshotSchema } from '../../model/policy-snapshot';

// Approval payloads come from anyone who can reach Temporal. The zod-free rules the workflow validator
// applies (approvalProblems) must agree with the CLI's schema, say `path: message`, and reviewApproval
// must refuse, without throwing, anything but a member's signature over this very subject.

const KEYS = { alice: 'a1'.repeat(32), sam: '5a'.repeat(32) };
const snapshot = parseWith(
  policySnapshotSchema,
  {
    source: 'git:/repo@base:airlock.policy.yaml',
    policyDigest: 'sha256:00',
    groups: { dev: [{ id: 'alice', publicKey: publicKeyOf(KEYS.alice), aliases: [] }], security: [{ id: 'sam', publicKey: publicKeyOf(KEYS.sam), aliases: [] }] },
    levels: { medium: { approvals: 1, groups: ['dev', 'security'] }, high: { approvals: 2, groups: ['dev', 'security'], require: ['security'] } },
    approvalTimeoutMs: 60_000,
  },
  'snapshot',
);
const subject: ApprovalSubject = {
  pipelineId: `airlock/shop/prod/${'c'.repeat(40)}`,
  runId: 'run-1',
  environment: 'prod',
  imageDigest: `sha256:${'e'.repeat(64)}`,
  baseCommit: 'b'.repeat(40),
  headCommit: 'c'.repeat(40),
  riskLevel: 'medium',
  policyDigest: 'sha256:00',
  decision: 'approve',
};
const ctx = (s: ApprovalSubject = subject): ApprovalContext => ({ snapshot, rule: snapshot.levels.medium, level: 'medium', authors: ['dana@example.com'], decisions: [], subject: s });

const hex128 = fc.stringMatching(/^[0-9a-f]{128}$/);
const payload = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      approver: fc.oneof(fc.constantFrom('alice', 'sam', 'dana@example.com', '', 'x'.repeat(101)), fc.string({ maxLength: 110 }), fc.integer()),
      signature: fc.oneof(hex128, fc.string({ maxLength: 130 }), hex128.map((h) => h.toUpperCase()), fc.constant(null)),
      comment: fc.oneof(fc.string({ maxLength: 510 }), fc.integer()),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);

describe('fuzz: approval payloads', () => {
  it("the workflow's rules and the CLI's schema agree on every payload, both as `path: message`", () => {
    fc.assert(
      fc.property(payload, (p) => {
        const problems = approvalProblems(p);
        const parsed = approvalSchema.safeParse(p);
        expect(problems.length === 0).toBe(parsed.success);
        for (const line of problems) expect(line).toMatch(/^(\(root\)|approver|signature|comment): \S/);
        if (!parsed.success) for (const line of issueLines(parsed.error)) expect(line).toMatch(/^[^:]+: \S/);
      }),
      { numRuns: 500 },
    );
  });

  it('reviewApproval never throws and accepts only a member signing this subject', () => {
    fc.assert(
      fc.property(payload, (p) => {
        const review = reviewApproval(ctx(), p);
        expect(review.ok).toBe(false); // random signatures never verify
        if (!review.ok) expect(review.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('a signature over any other subject (one field changed) is refused', () => {
    const field = fc.constantFrom<keyof ApprovalSubject>('pipelineId', 'runId', 'environment', 'imageDigest', 'baseCommit', 'headCommit', 'riskLevel', 'policyDigest');
    fc.assert(
      fc.property(field, fc.string({ minLength: 1, maxLength: 20 }), (key, value) => {
        fc.pre(value !== subject[key]);
        const signature = signApproval(KEYS.alice, { ...subject, [key]: value });
        expect(reviewApproval(ctx(), { approver: 'alice', signature }).ok).toBe(false);
        expect(reviewApproval(ctx(), { approver: 'alice', signature: signApproval(KEYS.alice, subject) }).ok).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
