import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { FlagKillInput, FlagKillResult, FlagRolloutInput, FlagRolloutOutcome, FlagSource, SetFlagShareInput } from '../../model/flag-activities';
import type { FlagApprovalRecord } from '../../model/flag-approval';
import type { VariantVerdict } from '../../model/flag-rules';
import { flagChangeSummary } from '../../model/evidence';
import { table } from '../output';

// `airlock history` of a flag change (issue 18): a rollout's or a kill's audit view, built only from its
// workflow history (like a pipeline's timeline): who asked, what it was read from, each share written, each
// window's per-variant analysis, approvals, the outcome, and whether the change went into the evidence chain.

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const iso = (t: HistoryEvent['eventTime']): string => (t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : '');
const first = (p: { payloads?: Payload[] | null } | null | undefined): unknown => {
  const payload = p?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
};

export interface FlagTimeline {
  workflowId: string;
  kind: 'rollout' | 'kill';
  status: 'running' | 'completed' | 'failed' | 'terminated' | 'canceled' | 'timed-out';
  startedAt?: string;
  closedAt?: string;
  service?: string;
  environment?: string;
  flag?: string;
  /** rollout: who asked (recorded, not trusted) and the steps; kill: the signer and reason. */
  requestedBy?: string;
  steps?: number[];
  reason?: string;
  /** Where the definition was read: the promoted pipeline and its commit; risk and thresholds. */
  source?: Pick<FlagSource, 'risk' | 'thresholds'> & { pipelineId: string; commit: string };
  shares: { share: number; at: string }[];
  windows: (VariantVerdict & { share: number; at: string })[];
  approvals: FlagApprovalRecord[];
  outcome?: FlagRolloutOutcome | FlagKillResult;
  /** The `flag` link in the serving release's chain (patch flag-evidence). */
  evidence?: { image?: string; recorded: boolean };
}

export const isFlagWorkflowId = (id: string): boolean => id.startsWith('airlock-flag/') || id.startsWith('airlock-flag-kill/');

export function buildFlagTimeline(workflowId: string, events: HistoryEvent[]): FlagTimeline {
  const tl: FlagTimeline = { workflowId, kind: workflowId.startsWith('airlock-flag-kill/') ? 'kill' : 'rollout', status: 'running', shares: [], windows: [], approvals: [] };
  const scheduled = new Map<string, { name: string; input: unknown }>();
  for (const e of events) {
    const at = iso(e.eventTime);
    if (e.workflowExecutionStartedEventAttributes) {
      tl.startedAt = at;
      const input = first(e.workflowExecutionStartedEventAttributes.input) as (FlagRolloutInput & Partial<FlagKillInput>) | undefined;
      if (input) {
        Object.assign(tl, { service: input.service, environment: input.environment, flag: input.flag });
        if (tl.kind === 'rollout') Object.assign(tl, { steps: input.steps, ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}) });
        else Object.assign(tl, { requestedBy: input.by, reason: input.reason });
      }
    }
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { name: s.activityType?.name ?? '', input: first(s.input) });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const task = scheduled.get(String(c.scheduledEventId));
      const result = first(c.result);
      if (task?.name === 'loadFlagSource' && result) {
        const src = result as FlagSource;
        tl.source = { pipelineId: src.anchor.pipelineId, commit: src.anchor.commit, ...(src.risk ? { risk: src.risk } : {}), ...(src.thresholds ? { thresholds: src.thresholds } : {}) };
      }
      if (task?.name === 'setFlagShare') tl.shares.push({ share: (task.input as SetFlagShareInput).share, at });
      if (task?.name === 'analyzeFlag' && result) tl.windows.push({ ...(result as VariantVerdict), share: Number((task.input as { share?: number }).share ?? 0), at });
      if (task?.name === 'recordEvidence') tl.evidence = { image: (task.input as { image?: string }).image, recorded: true };
    }
    if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const args = first(e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.args) as { approver?: string; signature?: string } | undefined;
      if (args?.approver) tl.approvals.push({ approver: args.approver, groups: [], decision: 'approve', signature: args.signature ?? '', at });
    }
    const done = e.workflowExecutionCompletedEventAttributes;
    if (done) {
      tl.status = 'completed';
      tl.closedAt = at;
      tl.outcome = first(done.result) as FlagTimeline['outcome'];
      const ev = (tl.outcome as { evidence?: FlagTimeline['evidence'] } | undefined)?.evidence;
      if (ev) tl.evidence = ev;
    }
    if (e.workflowExecutionFailedEventAttributes) Object.assign(tl, { status: 'failed', closedAt: at });
    if (e.workflowExecutionTerminatedEventAttributes) Object.assign(tl, { status: 'terminated', closedAt: at });
    if (e.workflowExecutionCanceledEventAttributes) Object.assign(tl, { status: 'canceled', closedAt: at });
    if (e.workflowExecutionTimedOutEventAttributes) Object.assign(tl, { status: 'timed-out', closedAt: at });
  }
  return tl;
}

const clock = (at?: string) => (at ? at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

/** One line: what the change did (the same words as the chain's `flag` link). */
export function flagTimelineSummary(tl: FlagTimeline): string {
  const o = tl.outcome;
  if (!o) return `${tl.flag ?? '?'} ${tl.kind}: ${tl.status}`;
  if (o.kind === 'refused' && tl.kind === 'kill') return `${tl.flag ?? '?'} kill: refused: ${o.reason}`;
  const outcome =
    o.kind === 'killed' && 'record' in o
      ? { kind: 'killed' as const, share: 0, by: tl.requestedBy ?? '?', reason: tl.reason ?? '' }
      : o.kind === 'failed' && 'cause' in o
        ? { kind: 'failed' as const, share: 0, reason: `${o.cause.type}: ${o.cause.message}` }
        : (o as { kind: 'completed' | 'killed' | 'refused'; share?: number; step?: number; by?: string; reason?: string });
  return flagChangeSummary({ flag: tl.flag ?? '?', change: tl.kind, ...(tl.steps ? { steps: tl.steps } : {}), outcome: { share: 0, ...outcome } });
}

export function renderFlagTimeline(tl: FlagTimeline): string {
  const out: string[] = [];
  out.push(`flag ${tl.kind} ${tl.workflowId}  (${tl.status})`);
  out.push(`  ${tl.service ?? '?'}/${tl.environment ?? '?'} flag ${tl.flag ?? '?'}  ${tl.kind === 'kill' ? `signed by ${tl.requestedBy ?? '?'}: "${tl.reason ?? ''}"` : `steps ${tl.steps?.join(',') ?? '?'}${tl.requestedBy ? `  asked by ${tl.requestedBy}` : ''}`}`);
  out.push(`  started ${clock(tl.startedAt)}${tl.closedAt ? `, closed ${clock(tl.closedAt)}` : ''}`);
  if (tl.source) {
    out.push(`  definition and policy read at ${tl.source.commit.slice(0, 12)} (promoted by ${tl.source.pipelineId})`);
    if (tl.source.risk) out.push(`  risk ${tl.source.risk.level}${tl.source.risk.reasons.length ? `: ${tl.source.risk.reasons.join('; ')}` : ''}`);
    const t = tl.source.thresholds;
    if (t) out.push(`  thresholds (protected policy): on 5xx <= ${t.maxErrorRate * 100}%, 401/403 <= ${t.maxDeniedRate * 100}%, at most ${t.maxDegradation * 100} points worse than off, ${t.minRequests} requests`);
  }
  for (const a of tl.approvals) out.push(`  approved by ${a.approver} at ${clock(a.at)}`);
  if (tl.windows.length) {
    out.push('');
    out.push(
      table(
        ['at', 'share', 'verdict', 'on req/5xx/401-403', 'off req/5xx/401-403', 'reasons'],
        tl.windows.map((w) => [clock(w.at), `${w.share}%`, w.verdict, `${w.on.requests}/${w.on.errors}/${w.on.denied}`, `${w.off.requests}/${w.off.errors}/${w.off.denied}`, w.reasons.join('; ')]),
      ),
    );
  }
  out.push('', `outcome: ${flagTimelineSummary(tl)}`);
  if (tl.evidence) out.push(`evidence: ${tl.evidence.recorded ? `flag link in the chain of ${tl.evidence.image ?? '?'} (airlock verify)` : `NOT recorded${tl.evidence.image ? ` (${tl.evidence.image})` : ''}`}`);
  return out.join('\n');
}
