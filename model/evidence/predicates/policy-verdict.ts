import { z } from 'zod';
import type { PolicyOrigin } from '../../anchor';
import type { PolicyVerdict } from '../../policy-verdict';
import { policySnapshotSchema, type PolicySnapshot } from '../../policy-snapshot';
import { sha256Digest } from '../statement';

// The policy gate's verdict on the image, with the policy that judged it and where that policy came from
// (the anchor: the commit the environment ran, not one the change chose).

export const POLICY_VERDICT_TYPE = 'https://airlock.dev/attestation/policy-verdict/v1';

export const policyVerdictPredicateSchema = z.object({
  environment: z.string().min(1),
  policy: z.object({
    digest: sha256Digest,
    /** e.g. `git:<repo>@<commit>:airlock.policy.yaml` or `bootstrap:<path>` */
    source: z.string().min(1),
    /** The anchor commit, or `bootstrap` for an environment's first release. */
    anchorCommit: z.string().min(1),
    branch: z.string(),
  }),
  allowed: z.boolean(),
  violations: z.array(
    z.object({ rule: z.string(), severity: z.enum(['critical', 'high', 'medium', 'low', 'info']), detail: z.string(), blocking: z.boolean(), subject: z.string().optional() }),
  ),
  exceptionsApplied: z.array(z.object({ id: z.string(), owner: z.string(), reason: z.string(), expires: z.string(), covered: z.array(z.string()) })),
  notVerifiable: z.array(z.string()),
  /**
   * The approval part of that policy (approver groups with their ed25519 keys, level rules), as the worker
   * read it at the anchor: an offline verifier re-checks the approvals link with it (its digest must be the
   * verdict's policy digest). Signed with the rest of the link.
   */
  approvalPolicy: policySnapshotSchema.optional(),
  evaluatedAt: z.iso.datetime({ offset: true }),
});
export type PolicyVerdictPredicate = z.output<typeof policyVerdictPredicateSchema>;

export function policyVerdictPredicate(environment: string, verdict: PolicyVerdict, origin: PolicyOrigin, approvalPolicy?: PolicySnapshot): PolicyVerdictPredicate {
  if (verdict.policyDigest !== origin.policyDigest) throw new RangeError(`the verdict was reached under policy ${verdict.policyDigest}, the anchor names ${origin.policyDigest}`);
  if (approvalPolicy && approvalPolicy.policyDigest !== origin.policyDigest)
    throw new RangeError(`the approval policy is of ${approvalPolicy.policyDigest}, the anchor names ${origin.policyDigest}`);
  return {
    environment,
    policy: { digest: origin.policyDigest, source: origin.policySource, anchorCommit: origin.commit, branch: origin.branch },
    allowed: verdict.allowed,
    violations: verdict.violations.map((v) => ({ rule: v.rule, severity: v.severity, detail: v.detail, blocking: v.blocking, ...(v.subject ? { subject: v.subject } : {}) })),
    exceptionsApplied: verdict.exceptionsApplied.map((e) => ({ id: e.id, owner: e.owner, reason: e.reason, expires: e.expires, covered: e.covered })),
    notVerifiable: verdict.notVerifiable,
    ...(approvalPolicy ? { approvalPolicy } : {}),
    evaluatedAt: verdict.evaluatedAt,
  };
}
