import { z } from 'zod';
import { SIGNATURE_MESSAGE, type Approval } from './approval-rules';

// The approval payload schema (CLI side, zod) and, re-exported, the signed bytes and the approval rules
// (approval-rules.ts: zod-free, because workflow code imports it).
export * from './approval-rules';

/** The update payload the CLI sends (the workflow's validator applies approvalProblems, the same rules). */
export const approvalSchema = z
  .object({
    approver: z.string().min(1).max(100),
    /** ed25519 signature (64 bytes, hex) over approvalMessage({pipelineId, imageDigest, decision}). */
    signature: z.string().regex(/^[0-9a-f]{128}$/, SIGNATURE_MESSAGE),
    comment: z.string().max(500).optional(),
  })
  .strict() satisfies z.ZodType<Approval>;
