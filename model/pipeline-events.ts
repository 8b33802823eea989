import type { EventType } from './notifications';
import type { Outcome, PipelineState } from './pipeline';
import type { LevelRule, PolicySnapshot } from './policy-snapshot';

// What the pipeline tells webhooks (issue 16), built from its own state: pure, sandbox-safe, no zod.
// Payloads carry ids, names, levels and reasons, never a secret (every string is redacted once more on send).

/** The exact command an approver runs (cli/commands/approve.ts), their identity left to fill in. */
export const approveCommand = (pipelineId: string): string => `airlock approve ${pipelineId} --as <your-id>`;
export const rejectCommand = (pipelineId: string): string => `airlock reject ${pipelineId} --as <your-id> --reason <text>`;

/**
 * approval.requested: who may approve (the rule's groups, or every group when the rule names none; their
 * members minus the change's authors), what is still required, until when, and the command to run.
 */
export function approvalRequestedData(state: PipelineState, snapshot: Pick<PolicySnapshot, 'groups'>, rule: LevelRule, authors: readonly string[]): Record<string, unknown> {
  const groups = rule.groups.length ? rule.groups : Object.keys(snapshot.groups);
  const authorSet = new Set(authors.map((a) => a.toLowerCase()));
  const approvers = [
    ...new Set(
      groups.flatMap((g) => (snapshot.groups[g] ?? []).filter((m) => ![m.id, ...m.aliases].some((id) => authorSet.has(id.toLowerCase()))).map((m) => m.id)),
    ),
  ].sort();
  return {
    pipelineId: state.pipelineId,
    service: state.service,
    environment: state.environment,
    headCommit: state.headCommit,
    author: state.author,
    ...(state.image ? { image: state.image } : {}),
    ...(state.risk ? { riskLevel: state.risk.level, riskScore: state.risk.score, reasons: state.risk.reasons } : {}),
    approvalsNeeded: rule.approvals,
    groups,
    requireGroups: rule.require,
    approvers,
    ...(state.approval?.deadline ? { deadline: state.approval.deadline } : {}),
    command: approveCommand(state.pipelineId),
    rejectCommand: rejectCommand(state.pipelineId),
  };
}

/** The event a finished pipeline raises: blocked, rolled back and expired do; the other outcomes are not alerts. */
export function outcomeEvent(state: PipelineState, outcome: Outcome): { type: EventType; data: Record<string, unknown> } | undefined {
  const base = { pipelineId: state.pipelineId, releaseId: state.releaseId, service: state.service, environment: state.environment, headCommit: state.headCommit, author: state.author };
  switch (outcome.kind) {
    case 'blocked_by_policy':
      return { type: 'pipeline.blocked', data: { ...base, violations: outcome.violations, ...(state.policy ? { policyDigest: state.policy.policyDigest } : {}) } };
    case 'rolled_back':
      return {
        type: 'pipeline.rolled_back',
        data: { ...base, reason: outcome.reason, ...(outcome.step !== undefined ? { step: outcome.step } : {}), ...(outcome.cause ? { cause: outcome.cause } : {}), ...(state.image ? { image: state.image } : {}) },
      };
    case 'expired':
      return { type: 'pipeline.expired', data: { ...base, afterMs: outcome.afterMs, ...(state.risk ? { riskLevel: state.risk.level } : {}) } };
    default:
      return undefined;
  }
}
