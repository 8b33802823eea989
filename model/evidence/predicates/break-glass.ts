import { bytesToUtf8 } from '@noble/curves/utils';
import { z } from 'zod';
import { breakGlassMessage, type Approval, type BreakGlassSubject } from '../../approval';
import { sha256Digest } from '../statement';

// A break-glass deploy: the gates were bypassed on the signatures of N members of the policy's break-glass
// group. Recorded with the signed message and each signature, so the bypass is as checkable as an approval.

export const BREAK_GLASS_TYPE = 'https://airlock.dev/attestation/break-glass/v1';

export const breakGlassPredicateSchema = z.object({
  service: z.string().min(1),
  environment: z.string().min(1),
  reason: z.string().min(1),
  workflowId: z.string().min(1),
  expiresAt: z.iso.datetime({ offset: true }),
  group: z.string().min(1),
  policy: z.object({ digest: sha256Digest, source: z.string().min(1) }),
  /** breakGlassMessage(subject) as text: the exact signed bytes. */
  message: z.string().min(1),
  signers: z.array(z.object({ id: z.string().min(1), signature: z.string().regex(/^[0-9a-f]{128}$/) })).min(1),
});
export type BreakGlassPredicate = z.output<typeof breakGlassPredicateSchema>;

export interface BreakGlassInput {
  subject: BreakGlassSubject;
  group: string;
  policy: { digest: string; source: string };
  /** The signatures reviewBreakGlass accepted (its `signers`), in its order. */
  signatures: readonly Approval[];
  signers: readonly string[];
}

export function breakGlassPredicate(i: BreakGlassInput): BreakGlassPredicate {
  const s = i.subject;
  return {
    service: s.service,
    environment: s.environment,
    reason: s.reason,
    workflowId: s.workflowId,
    expiresAt: s.expiresAt,
    group: i.group,
    policy: i.policy,
    message: bytesToUtf8(breakGlassMessage(s)),
    signers: i.signers.map((id) => {
      const sig = i.signatures.find((a) => a.approver === id);
      if (!sig) throw new RangeError(`no signature of break-glass signer ${id}`);
      return { id, signature: sig.signature };
    }),
  };
}
