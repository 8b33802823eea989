import { condition, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  boundSubject,
  findApprover,
  reviewApproval,
  tally,
  unboundApprovals,
  type Approval,
  type ApprovalRecord,
  type ApprovalReceipt,
  type Decision,
} from '../model/approval-rules';
import { WORKFLOW_FAILURE } from '../model/failures';
import { approvalRequestedData } from '../model/pipeline-events';
import { notify, NOTIFICATIONS_PATCH } from './notify';
import type { Outcome } from '../model/pipeline';
import type { PolicySnapshot } from '../model/policy-snapshot';
import type { RiskLevel } from '../model/risk';
import { abortedFailure, refusedFailure } from './failures';
import { abortSignedUpdate, approveUpdate, promoteUpdate, rejectUpdate } from './messages';
import { enterStage, type GateInfo, type PipelineContext } from './state';

/**
 * Validator: throws (synchronously, nothing recorded) unless this decision may be taken now. Validators
 * do not run on replay, so the signature is checked here only; handlers just record.
 */
function validate(ctx: PipelineContext, decision: Decision, payload: unknown): void {
  const gate = ctx.gate;
  const { stage } = ctx.state;
  const waiting = decision === 'promote' ? (stage === 'deploy' || stage === 'analysis') && !ctx.promoteBy : gate?.open;
  if (!gate || !waiting)
    throw refusedFailure(`pipeline ${ctx.pipelineId} is not ${decision === 'promote' ? 'in analysis' : 'waiting for approval'} (stage: ${stage})`);
  // the message is rebuilt from this run's own state and run id, never taken from the payload
  const subject = boundSubject(ctx.state, workflowInfo().runId, decision);
  const review = reviewApproval({ ...gate, authors: ctx.authors, subject }, payload);
  if (!review.ok) throw refusedFailure(review.reason);
}

/**
 * Validator of the signed abort: any approver in a group that may decide at this risk level (any group
 * before the risk is known), the author included (abort only stops and rolls back), signed over the bound
 * message with decision `abort`. Refused before the policy is read: nobody could be checked.
 */
function validateAbort(ctx: PipelineContext, payload: unknown): void {
  const { stage } = ctx.state;
  if (ctx.abort || stage === 'promote' || stage === 'done')
    throw refusedFailure(`pipeline ${ctx.pipelineId} cannot be aborted now (stage: ${stage}${ctx.abort ? ', already aborted' : ''})`);
  const snapshot = ctx.gate?.snapshot ?? ctx.snapshot;
  if (!snapshot) throw refusedFailure(`pipeline ${ctx.pipelineId} has not read its policy yet, so nobody can be checked as an approver: retry in a few seconds`);
  const level = ctx.state.risk?.level;
  const rule = level ? snapshot.levels[level] : { approvals: 1, groups: [], require: [] };
  const subject = boundSubject(ctx.state, workflowInfo().runId, 'abort');
  const review = reviewApproval({ snapshot, rule, level: level ?? 'unassessed', authors: ctx.authors, decisions: [], subject }, payload);
  if (!review.ok) throw refusedFailure(review.reason);
}

/** Handler side: the validated decision as it goes into the state (and so the history). */
function record(ctx: PipelineContext, decision: Decision, a: Approval): ApprovalRecord {
  const groups = findApprover(ctx.gate?.snapshot ?? ctx.snapshot!, a.approver)?.groups ?? [];
  return { approver: a.approver, decision, groups, at: new Date().toISOString(), signature: a.signature, comment: a.comment };
}

function receipt(ctx: PipelineContext, decision: Decision): ApprovalReceipt {
  const t = tally(ctx.gate!.rule, ctx.gate!.decisions);
  return { accepted: true, decision, approvals: t.approvals, needed: t.needed, missingGroups: t.missingGroups };
}

/** Registered at start, so an early approval gets a clear "not waiting" instead of "unknown update". */
export function registerApprovalHandlers(ctx: PipelineContext): void {
  for (const [def, decision] of [
    [approveUpdate, 'approve'],
    [rejectUpdate, 'reject'],
  ] as const) {
    setHandler(
      def,
      (approval) => {
        ctx.gate!.decisions.push(record(ctx, decision, approval));
        return receipt(ctx, decision);
      },
      { validator: (approval) => validate(ctx, decision, approval) },
    );
  }
  setHandler(
    promoteUpdate,
    (approval) => {
      ctx.promoteBy = record(ctx, 'promote', approval);
      ctx.gate!.decisions.push(ctx.promoteBy);
      ctx.canaryScope?.cancel();
      return receipt(ctx, 'promote');
    },
    { validator: (approval) => validate(ctx, 'promote', approval) },
  );
  setHandler(
    abortSignedUpdate,
    (approval) => {
      if (!ctx.abort) {
        ctx.state.abort = record(ctx, 'abort', approval);
        ctx.abort = { by: approval.approver, reason: approval.comment ?? 'no reason given' };
        ctx.canaryScope?.cancel();
      }
      return { accepted: true, decision: 'abort', stage: ctx.state.stage };
    },
    { validator: (approval) => validateAbort(ctx, approval) },
  );
}

/**
 * Before the first deploy (pipelines from patch `approvals-bound-to-run` on): every recorded human approval
 * must still verify for the CURRENT run id. Validators do not run on replay, so after a Temporal reset (a
 * new run that replays the old approval events) this is the check that stops a second deploy.
 */
export function unboundOutcome(ctx: PipelineContext): Outcome | undefined {
  if (!patched('approvals-bound-to-run') || !ctx.gate) return undefined;
  const runId = workflowInfo().runId;
  const approvals = ctx.gate.decisions.filter((d) => d.decision === 'approve');
  const bad = unboundApprovals(ctx.gate.snapshot, approvals, (decision) => boundSubject(ctx.state, runId, decision));
  if (!bad.length) return undefined;
  const message = `${bad.join(', ')}: signed for another run than ${runId} (was the workflow reset?); nothing deployed, trigger the change again and approve it anew`;
  return { kind: 'failed', stage: 'approval', cause: { type: WORKFLOW_FAILURE.ApprovalNotBound, message } };
}

/**
 * The risk-routed gate. Low (a level needing no approval) passes at once, recorded with its reasons;
 * otherwise waits, as a durable timer, for the approvals the level needs, a rejection, a newer commit,
 * an abort or the policy's timeout. Returns the outcome when the pipeline must stop here.
 */
export async function approvalGate(
  ctx: PipelineContext,
  g: { snapshot: PolicySnapshot; level: RiskLevel; imageDigest: string },
): Promise<Outcome | undefined> {
  enterStage(ctx, 'approval');
  const rule = g.snapshot.levels[g.level];
  const gate: GateInfo = (ctx.gate = { ...g, rule, open: false, decisions: [] });
  const { state } = ctx;
  state.approval = { needed: rule.approvals, require: rule.require, groups: rule.groups, decisions: gate.decisions };
  if (tally(rule, []).satisfied) {
    const reasons = [`risk ${g.level} (score ${state.risk?.score ?? 0})`, ...(state.risk?.reasons ?? []), `policy ${g.snapshot.source}: no approval needed at ${g.level}`];
    gate.decisions.push({ approver: 'airlock', decision: 'approve', groups: [], at: new Date().toISOString(), automatic: true, reasons });
    return undefined;
  }
  const timeoutMs = g.snapshot.approvalTimeoutMs;
  state.approval.deadline = new Date(Date.now() + timeoutMs).toISOString();
  gate.open = true;
  if (ctx.webhooks?.length && patched(NOTIFICATIONS_PATCH)) {
    try {
      await notify(ctx.webhooks, { type: 'approval.requested', subject: ctx.pipelineId, data: approvalRequestedData(state, g.snapshot, rule, ctx.authors) });
    } catch (err) {
      log.warn('the approval request alert was not sent', { error: String(err) });
    }
  }
  const rejected = () => gate.decisions.find((d) => d.decision === 'reject');
  await condition(
    () => !!ctx.abort || !!rejected() || tally(rule, gate.decisions).satisfied || !!ctx.lock.supersededBy,
    timeoutMs,
  );
  gate.open = false;
  if (ctx.abort) throw abortedFailure(ctx.abort);
  const no = rejected();
  if (no) return { kind: 'rejected', by: no.approver, comment: no.comment };
  if (tally(rule, gate.decisions).satisfied) return undefined;
  if (ctx.lock.supersededBy) return { kind: 'superseded', by: ctx.lock.supersededBy };
  return { kind: 'expired', afterMs: timeoutMs };
}
