import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { approvalMessageText, approvalSchema, type Decision } from '../../model/approval';
import { abortSignedUpdate, approveUpdate, rejectUpdate } from '../../workflows/messages';
import { existingPipeline } from '../client';
import { currentSubject } from '../commands/approve';

// The dashboard's decisions: the server hands the page the exact bytes to sign (the CLI's
// `--print-message`), the page signs them with the approver's key, and the server sends the signed
// payload as the same Update the CLI sends. The workflow's validator decides; the server can sign nothing.

export const PAGE_DECISIONS = ['approve', 'reject', 'abort'] as const satisfies readonly Decision[];
export type PageDecision = (typeof PAGE_DECISIONS)[number];

export const messageRequestSchema = z.object({ id: z.string().min(1).max(300), decision: z.enum(PAGE_DECISIONS) });

/** What the page posts: the approval payload of the CLI (approvalSchema) plus which pipeline and decision. */
export const decisionRequestSchema = z
  .object({ pipelineId: z.string().min(1).max(300), decision: z.enum(PAGE_DECISIONS) })
  .extend(approvalSchema.shape)
  .strict()
  .refine((r) => r.decision === 'approve' || !!r.comment?.trim(), { path: ['comment'], message: 'is required to reject or abort: say why' });
export type DecisionRequest = z.output<typeof decisionRequestSchema>;

/** The exact bytes (as text) the approver signs for `decision` on the pipeline as it is now. */
export async function messageToSign(client: Client, id: string, decision: PageDecision): Promise<string> {
  const { subject } = await currentSubject(await existingPipeline(client, id), decision);
  return approvalMessageText(subject);
}

export type DecisionOutcome = { accepted: true; text: string } | { accepted: false; refused: string };

const UPDATES = { approve: approveUpdate, reject: rejectUpdate } as const;

export async function sendDecision(client: Client, req: DecisionRequest): Promise<DecisionOutcome> {
  const handle = await existingPipeline(client, req.pipelineId);
  const payload = { approver: req.approver, signature: req.signature, ...(req.comment ? { comment: req.comment } : {}) };
  try {
    if (req.decision === 'abort') {
      const receipt = await handle.executeUpdate(abortSignedUpdate, { args: [payload] });
      return { accepted: true, text: `abort by ${req.approver} accepted at stage ${receipt.stage}` };
    }
    const receipt = await handle.executeUpdate(UPDATES[req.decision], { args: [payload] });
    const missing = receipt.missingGroups.length ? `; still needed from ${receipt.missingGroups.join(', ')}` : '';
    return { accepted: true, text: `${req.decision} by ${req.approver} accepted (${receipt.approvals}/${receipt.needed} approvals${missing})` };
  } catch (err) {
    // the validator's refusal, verbatim, as `airlock approve` prints it
    if (err instanceof WorkflowUpdateFailedError) return { accepted: false, refused: `${req.decision} refused: ${err.cause?.message ?? err.message}` };
    if (err instanceof WorkflowNotFoundError) return { accepted: false, refused: `${req.decision} refused: pipeline ${req.pipelineId} has ended; nothing waits for a decision` };
    throw err;
  }
}
