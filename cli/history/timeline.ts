import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { AnchoredPolicy, BasePolicy, ChangeAssessment, ChangeReading } from '../../model/activities';
import { DECISIONS, verifyApproval, verifyApprovalV1, type Approval, type ApprovalSubject, type Decision } from '../../model/approval';
import type { BuildResult } from '../../model/build';
import { describeUser } from '../../model/image-user';
import type { CanaryVerdict } from '../../model/deploy';
import type { PipelineInput, PipelineResult } from '../../model/pipeline';
import type { PolicySnapshot } from '../../model/policy-snapshot';
import type { PolicyVerdict } from '../../model/policy-verdict';
import type { RiskAssessment } from '../../model/risk';
import type { ScanSummary } from '../../model/scan';
import { EMPTY_TREE } from '../../model/names';
import type { RuntimeSecurityReport } from '../../model/runtime-security';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = {
  started: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
} as const;

/** One activity execution as the history shows it. */
export interface StageEntry {
  activity: string;
  startedAt: string;
  durationMs?: number;
  result: 'completed' | 'failed' | 'timed-out' | 'canceled' | 'running';
  attempts?: number;
  detail?: string;
  /** The environment the activity's input names (a promotion's stages run in several). */
  environment?: string;
  /** A local activity (patch `local-quick-steps`: policy, windows): a marker in the history, its input not recorded. */
  local?: true;
}

export interface DecisionEntry {
  decision: Decision | 'automatic-approve';
  approver: string;
  at: string;
  comment?: string;
  groups?: string[];
  /** verified: the signature checks against the approver's key in the base commit's policy. */
  signature: 'verified' | 'invalid' | 'unknown-approver' | 'not-signed';
  reasons?: string[];
}

export interface SignalEntry {
  name: string;
  at: string;
  args: unknown[];
}

/** The audit view of one pipeline, built only from its workflow history. */
export interface Timeline {
  pipelineId: string;
  runId?: string;
  status: 'running' | 'completed' | 'failed' | 'terminated' | 'canceled' | 'timed-out' | 'continued';
  startedAt?: string;
  closedAt?: string;
  input?: PipelineInput;
  stages: StageEntry[];
  risk?: Pick<RiskAssessment, 'score' | 'level'> & { reasons: string[] };
  /**
   * What the pipeline judged (patch `policy-anchor`): the base of the range (the stable release's commit,
   * or git's empty tree for a first release) and whether it was a bootstrap; absent for older pipelines.
   */
  judged?: { base: string; bootstrap: boolean };
  image?: string;
  scan?: { vulnerabilities: Record<string, number>; secrets: { ruleId: string; target: string }[]; misconfigurations: string[]; reportDigest: string; sbomDigest: string; imageUser?: string };
  policy?: { allowed: boolean; policyDigest: string; violations: string[]; exceptionsApplied: string[] };
  decisions: DecisionEntry[];
  signals: SignalEntry[];
  canary: CanaryVerdict[];
  /** verifyRuntimeSecurity's report (patch `runtime-security`): the candidate probed before traffic moved. */
  runtimeSecurity?: RuntimeSecurityReport;
  result?: PipelineResult;
}

const iso = (t: temporal.api.history.v1.IHistoryEvent['eventTime']): string =>
  t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : '';

/** Every payload decoded; one that cannot be is the string '(undecodable payload)'. */
export function decode(payloads: { payloads?: Payload[] | null } | null | undefined): unknown[] {
  return (payloads?.payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload(p);
    } catch {
      return '(undecodable payload)';
    }
  });
}

/** The marker the SDK records for a local activity (its result in `details.result`, timing in `details.data`). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
interface LocalActivityData {
  activity_type?: unknown;
  attempt?: unknown;
  complete_time?: { seconds?: unknown; nanos?: unknown } | null;
  original_schedule_time?: { seconds?: unknown; nanos?: unknown } | null;
}
const protoTime = (t: LocalActivityData['complete_time']): number | undefined => {
  const seconds = Number(t?.seconds);
  return t && Number.isFinite(seconds) ? seconds * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6) : undefined;
};

const typeName = (e: HistoryEvent): string => {
  const t = e.eventType as unknown;
  return typeof t === 'string' ? t : String(t);
};

/** Builds the timeline. Events may come from `handle.fetchHistory()` or a saved history JSON. */
export function buildTimeline(pipelineId: string, events: HistoryEvent[]): Timeline {
  const tl: Timeline = { pipelineId, status: 'running', stages: [], decisions: [], signals: [], canary: [] };
  const scheduled = new Map<string, { entry: StageEntry; name: string }>();
  let snapshot: PolicySnapshot | undefined;
  let build: BuildResult | undefined;
  const updates = new Map<string, { name: string; approval: Approval; at: string }>();

  const complete = (id: unknown, result: StageEntry['result'], at: string, detail?: string) => {
    const s = scheduled.get(String(id));
    if (!s) return undefined;
    s.entry.result = result;
    s.entry.durationMs = Date.parse(at) - Date.parse(s.entry.startedAt);
    if (detail) s.entry.detail = detail;
    return s;
  };

  for (const e of events) {
    const at = iso(e.eventTime);
    if (e.workflowExecutionStartedEventAttributes) {
      tl.startedAt = at;
      tl.runId = e.workflowExecutionStartedEventAttributes.originalExecutionRunId ?? undefined;
      tl.input = decode(e.workflowExecutionStartedEventAttributes.input)[0] as PipelineInput;
    } else if (e.activityTaskScheduledEventAttributes) {
      const name = e.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
      const entry: StageEntry = { activity: name, startedAt: at, result: 'running' };
      const env = (decode(e.activityTaskScheduledEventAttributes.input)[0] as { environment?: unknown } | undefined)?.environment;
      if (typeof env === 'string') entry.environment = env;
      tl.stages.push(entry);
      scheduled.set(String(e.eventId), { entry, name });
    } else if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
      const m = e.markerRecordedEventAttributes;
      const data = decode(m.details?.data)[0] as LocalActivityData | undefined;
      const name = typeof data?.activity_type === 'string' ? data.activity_type : '?';
      const done = protoTime(data?.complete_time) ?? Date.parse(at);
      const begun = protoTime(data?.original_schedule_time) ?? done;
      const f = m.failure;
      const entry: StageEntry = { activity: name, startedAt: new Date(begun).toISOString(), durationMs: Math.max(0, done - begun), result: f ? 'failed' : 'completed', local: true };
      if (typeof data?.attempt === 'number') entry.attempts = data.attempt;
      if (f) entry.detail = `${f.applicationFailureInfo?.type ?? 'Error'}: ${f.message ?? ''}`;
      tl.stages.push(entry);
      if (!f) absorbResult(tl, name, decode(m.details?.result)[0], (v) => (snapshot = v), (v) => (build = v));
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const s = scheduled.get(String(a.scheduledEventId));
      if (s) s.entry.attempts = a.attempt ?? 1;
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const s = complete(a.scheduledEventId, 'completed', at);
      if (s) absorbResult(tl, s.name, decode(a.result)[0], (v) => (snapshot = v), (v) => (build = v));
    } else if (e.activityTaskFailedEventAttributes) {
      const f = e.activityTaskFailedEventAttributes.failure;
      complete(e.activityTaskFailedEventAttributes.scheduledEventId, 'failed', at, `${f?.applicationFailureInfo?.type ?? 'Error'}: ${f?.message ?? ''}`);
    } else if (e.activityTaskTimedOutEventAttributes) {
      complete(e.activityTaskTimedOutEventAttributes.scheduledEventId, 'timed-out', at);
    } else if (e.activityTaskCanceledEventAttributes) {
      complete(e.activityTaskCanceledEventAttributes.scheduledEventId, 'canceled', at);
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const req = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      const name = req?.input?.name ?? '?';
      const approval = decode(req?.input?.args)[0] as Approval;
      updates.set(req?.meta?.updateId ?? String(e.eventId), { name, approval, at });
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      const a = e.workflowExecutionUpdateCompletedEventAttributes;
      const u = updates.get(a.meta?.updateId ?? '');
      // only the signed decisions: other Updates (e.g. `trigger`, Update-with-Start's first answer) carry no approval
      const decision = u?.name === 'abortSigned' ? 'abort' : u?.name;
      if (u && !a.outcome?.failure && isDecision(decision) && u.approval) tl.decisions.push(decisionEntry(tl, decision, u.approval, u.at, snapshot, build));
    } else if (e.workflowExecutionSignaledEventAttributes) {
      const a = e.workflowExecutionSignaledEventAttributes;
      if (!a.signalName?.startsWith('lock')) tl.signals.push({ name: a.signalName ?? '?', at, args: decode(a.input) });
    } else if (e.workflowExecutionCompletedEventAttributes) {
      tl.status = 'completed';
      tl.closedAt = at;
      tl.result = decode(e.workflowExecutionCompletedEventAttributes.result)[0] as PipelineResult;
    } else if (e.workflowExecutionFailedEventAttributes) {
      tl.status = 'failed';
      tl.closedAt = at;
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      tl.status = 'terminated';
      tl.closedAt = at;
    } else if (e.workflowExecutionCanceledEventAttributes) {
      tl.status = 'canceled';
      tl.closedAt = at;
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      tl.status = 'timed-out';
      tl.closedAt = at;
    } else if (typeName(e) === EventType.started) {
      tl.startedAt = at;
    }
  }
  // A level that needs no approval was passed automatically: the policy snapshot and the risk say so.
  if (tl.risk && snapshot && snapshot.levels[tl.risk.level].approvals === 0 && tl.stages.some((s) => s.activity === 'deployCandidate')) {
    tl.decisions.unshift({
      decision: 'automatic-approve',
      approver: 'airlock',
      at: tl.stages.find((s) => s.activity === 'evaluatePolicy')?.startedAt ?? tl.startedAt ?? '',
      signature: 'not-signed',
      reasons: [`risk ${tl.risk.level} (score ${tl.risk.score})`, `policy ${snapshot.source}: no approval needed at ${tl.risk.level}`],
    });
  }
  return tl;
}

/** The bound subject (model/approval-rules.ts boundSubject) as the history tells it. */
function boundOf(tl: Timeline, decision: Decision, snapshot?: PolicySnapshot, build?: BuildResult): ApprovalSubject {
  return {
    pipelineId: tl.pipelineId,
    runId: tl.runId ?? '',
    environment: tl.input?.environment ?? '',
    imageDigest: build?.digest ?? '',
    baseCommit: tl.judged?.base ?? tl.input?.baseCommit ?? '',
    headCommit: tl.input?.headCommit ?? '',
    riskLevel: tl.risk?.level ?? '',
    policyDigest: snapshot?.policyDigest ?? '',
    decision,
  };
}

const isDecision = (name: string | undefined): name is Decision => (DECISIONS as readonly string[]).includes(name ?? '');

function decisionEntry(tl: Timeline, decision: Decision, a: Approval, at: string, snapshot?: PolicySnapshot, build?: BuildResult): DecisionEntry {
  const pipelineId = tl.pipelineId;
  const groups = snapshot ? Object.entries(snapshot.groups).filter(([, m]) => m.some((x) => x.id === a.approver)).map(([g]) => g) : [];
  const key = snapshot ? Object.values(snapshot.groups).flat().find((m) => m.id === a.approver)?.publicKey : undefined;
  const signature: DecisionEntry['signature'] = !a.signature
    ? 'not-signed'
    : !key
      ? 'unknown-approver'
      : verifyApproval(key, a.signature, boundOf(tl, decision, snapshot, build)) || verifyApprovalV1(key, a.signature, { pipelineId, imageDigest: build?.digest ?? '', decision })
        ? 'verified'
        : 'invalid';
  return { decision, approver: a.approver, at, groups, signature, ...(a.comment ? { comment: a.comment } : {}) };
}

const riskOf = (r: RiskAssessment): Timeline['risk'] => ({ score: r.score, level: r.level, reasons: r.signals.map((s) => `${s.reason} (+${s.weight})`) });

function absorbResult(tl: Timeline, activity: string, value: unknown, setSnapshot: (s: PolicySnapshot) => void, setBuild: (b: BuildResult) => void): void {
  switch (activity) {
    case 'readBasePolicy':
      setSnapshot((value as BasePolicy).snapshot);
      break;
    case 'assessChange': {
      // the level the workflow routed (workflows/decisions.ts routeRisk): a first release or a change to
      // the gate files is high whatever the score says; the signed decisions bind that level
      const { risk, change } = value as ChangeAssessment;
      const routed = riskOf(risk)!;
      tl.risk = tl.judged?.bootstrap || change.touchesGates ? { ...routed, level: 'high' } : routed;
      break;
    }
    // pipelines started from the workflow's patch `read-change-together`: the policy and the assessment in one
    case 'readChange':
      absorbResult(tl, 'readAnchorPolicy', (value as ChangeReading).policy, setSnapshot, setBuild);
      absorbResult(tl, 'assessChange', value, setSnapshot, setBuild);
      break;
    // pipelines started from the workflow's patch `policy-anchor`
    case 'resolveAnchor': {
      const commit = (value as { commit: string | null }).commit;
      tl.judged = { base: commit ?? EMPTY_TREE, bootstrap: commit === null };
      break;
    }
    case 'readAnchorPolicy':
      setSnapshot((value as AnchoredPolicy).snapshot);
      break;
    // pipelines started before the workflow's patch `read-once`
    case 'readPolicySnapshot':
      setSnapshot(value as PolicySnapshot);
      break;
    case 'scoreRisk':
      tl.risk = riskOf(value as RiskAssessment);
      break;
    case 'buildImage': {
      const b = value as BuildResult;
      setBuild(b);
      tl.image = `${b.image.replace(/:[^/:]+$/, '')}@${b.digest}`;
      break;
    }
    case 'scanImage': {
      const s = value as ScanSummary;
      tl.scan = {
        vulnerabilities: s.vulnerabilities.counts,
        secrets: s.secrets.map((x) => ({ ruleId: x.ruleId, target: `${x.target}:${x.line}` })),
        misconfigurations: s.misconfigurations.map((m) => m.id),
        reportDigest: s.reportDigest,
        sbomDigest: s.sbomDigest,
        ...(s.imageUser ? { imageUser: describeUser(s.imageUser) } : {}),
      };
      break;
    }
    case 'evaluatePolicy': {
      const p = value as PolicyVerdict;
      tl.policy = {
        allowed: p.allowed,
        policyDigest: p.policyDigest,
        violations: p.violations.map((v) => `${v.rule}: ${v.detail}${v.blocking ? '' : ' (not blocking)'}`),
        exceptionsApplied: p.exceptionsApplied.map((x) => `${x.id} (owner ${x.owner}, expires ${x.expires})`),
      };
      break;
    }
    case 'analyze':
      tl.canary.push(value as CanaryVerdict);
      break;
    case 'verifyRuntimeSecurity':
      tl.runtimeSecurity = value as RuntimeSecurityReport;
      break;
  }
}
