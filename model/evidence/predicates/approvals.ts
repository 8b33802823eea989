import { z } from 'zod';
import { approvalMessageText, boundSubject, DECISIONS, type ApprovalRecord } from '../../approval';
import type { PipelineState } from '../../pipeline';
import type { LevelRule } from '../../policy-snapshot';

// The approvals link: each human decision with the exact message its approver signed and the ed25519
// signature, so a verifier re-checks them offline with the keys of the policy's approver groups
// (model/approval-rules.ts is the one definition of those bytes and of the rule).

export const APPROVALS_TYPE = 'https://airlock.dev/attestation/approvals/v1';

export const approvalDecisionSchema = z.object({
  approver: z.string().min(1),
  decision: z.enum(DECISIONS),
  /** The groups the pipeline resolved for the approver (a verifier re-resolves them from the policy). */
  groups: z.array(z.string()),
  at: z.string(),
  /** approvalMessageText(subject): the domain tag and the bound fields, exactly the signed bytes (UTF-8). */
  message: z.string().optional(),
  /** ed25519, 128 lowercase hex digits */
  signature: z.string().regex(/^[0-9a-f]{128}$/).optional(),
  comment: z.string().optional(),
  /** A low-risk change: airlock decided, with its reasons (no signature). */
  automatic: z.boolean().optional(),
  reasons: z.array(z.string()).optional(),
});
export type ApprovalDecision = z.output<typeof approvalDecisionSchema>;

export const approvalsPredicateSchema = z.object({
  pipelineId: z.string().min(1),
  runId: z.string().min(1),
  environment: z.string().min(1),
  riskLevel: z.string().min(1),
  judged: z.object({ base: z.string(), head: z.string().min(1), policyDigest: z.string().min(1) }),
  rule: z.object({ approvals: z.number().int().min(0), groups: z.array(z.string()), require: z.array(z.string()) }),
  /** The input author and every commit author of base..head: none of them may approve. */
  authors: z.array(z.string()),
  decisions: z.array(approvalDecisionSchema),
});
export type ApprovalsPredicate = z.output<typeof approvalsPredicateSchema>;

export interface ApprovalsInput {
  state: PipelineState;
  runId: string;
  rule: LevelRule;
  authors: readonly string[];
}

/** From the pipeline's own state: the messages are rebuilt with boundSubject, the function the validators use. */
export function approvalsPredicate({ state, runId, rule, authors }: ApprovalsInput): ApprovalsPredicate {
  if (!state.judged || !state.risk || !state.approval) throw new RangeError(`pipeline ${state.pipelineId} has no judged range, risk or approval state yet`);
  const decision = (d: ApprovalRecord): ApprovalDecision => ({
    approver: d.approver,
    decision: d.decision,
    groups: d.groups,
    at: d.at,
    ...(d.automatic ? { automatic: true, reasons: d.reasons ?? [] } : { message: approvalMessageText(boundSubject(state, runId, d.decision)), signature: d.signature }),
    ...(d.comment ? { comment: d.comment } : {}),
  });
  return {
    pipelineId: state.pipelineId,
    runId,
    environment: state.environment,
    riskLevel: state.risk.level,
    judged: state.judged,
    rule: { approvals: rule.approvals, groups: rule.groups, require: rule.require },
    authors: [...authors],
    decisions: state.approval.decisions.map(decision),
  };
}
