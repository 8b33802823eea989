import type { temporal } from '@temporalio/proto';
import { ruleOf, type PipelineRecord } from '../../model/metrics';
import { buildTimeline, decode } from '../history/timeline';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const iso = (t: HistoryEvent['eventTime']): string => (t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : '');
const endOf = (s: { startedAt: string; durationMs?: number }) => new Date(Date.parse(s.startedAt) + (s.durationMs ?? 0)).toISOString();

interface Shift {
  weight: number;
  scheduledAt: string;
  completedAt?: string;
}

/**
 * The traffic shifts in order, with the weight each one asked for (the timeline keeps no activity input):
 * the first completed shift above 0 is when the candidate got user traffic, a later shift to 0 is the
 * compensation that gave everything back to stable. A step's move made inside its analysis (`analyze` with
 * `shift: true`, patch `shift-in-analysis`) counts too: live at its verdict's `traffic.at`, or, for an
 * analysis that ended without a verdict, when that activity started (the move is its first act).
 */
function trafficShifts(events: HistoryEvent[]): Shift[] {
  const byId = new Map<string, { shift: Shift; inAnalysis: boolean }>();
  const shifts: Shift[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    const name = s?.activityType?.name;
    if (s && (name === 'shiftTraffic' || name === 'analyze')) {
      // (an undecodable input decodes to a string: its weight is NaN and the shift is not used)
      const input = decode(s.input)[0] as { weight?: unknown; step?: unknown; shift?: unknown } | undefined;
      const inAnalysis = name === 'analyze';
      if (inAnalysis && input?.shift !== true) continue;
      const shift = { weight: Number(inAnalysis ? input?.step : input?.weight), scheduledAt: iso(e.eventTime) };
      shifts.push(shift);
      byId.set(String(e.eventId), { shift, inAnalysis });
    }
    const started = e.activityTaskStartedEventAttributes;
    const startedFor = started && byId.get(String(started.scheduledEventId));
    if (startedFor?.inAnalysis) startedFor.shift.completedAt = iso(e.eventTime);
    const done = e.activityTaskCompletedEventAttributes;
    const doneFor = done && byId.get(String(done.scheduledEventId));
    if (doneFor && !doneFor.inAnalysis) doneFor.shift.completedAt = iso(e.eventTime);
    if (doneFor?.inAnalysis) {
      const at = (decode(done!.result)[0] as { traffic?: { at?: unknown } } | undefined)?.traffic?.at;
      if (typeof at === 'string') doneFor.shift.completedAt = at;
    }
  }
  return shifts;
}

/** TimerStarted instants: the approval gate waits as a durable timer (the policy's approval timeout). */
const timersStarted = (events: HistoryEvent[]): string[] => events.filter((e) => e.timerStartedEventAttributes).map((e) => iso(e.eventTime));

/**
 * One pipeline's metrics record, from its workflow history alone (the same events `airlock history` reads).
 * `commitTime` comes from elsewhere (git): the history has none.
 */
export function recordFromHistory(pipelineId: string, events: HistoryEvent[], commitTime?: string): PipelineRecord {
  const tl = buildTimeline(pipelineId, events);
  const stage = (name: string) => tl.stages.find((s) => s.activity === name);
  const outcome = tl.result?.outcome;
  const record: PipelineRecord = {
    pipelineId,
    service: tl.input?.service ?? '',
    environment: tl.input?.environment ?? '',
    headCommit: tl.input?.headCommit ?? '',
    startedAt: tl.startedAt ?? '',
    ...(tl.closedAt ? { closedAt: tl.closedAt } : {}),
    ...(outcome ? { outcome: outcome.kind } : { status: tl.status }),
    ...(commitTime ? { commitTime } : {}),
    ...(tl.risk ? { riskLevel: tl.risk.level } : {}),
  };
  if (outcome?.kind === 'blocked_by_policy') record.blockedRules = [...new Set(outcome.violations.map(ruleOf))];

  const scan = stage('scanImage');
  if (scan?.result === 'completed' && tl.scan) {
    const vulnerabilities = tl.scan.vulnerabilities;
    record.scan = { scannedAt: endOf(scan), image: tl.image ?? '', vulnerabilities, secrets: tl.scan.secrets.length, misconfigurations: tl.scan.misconfigurations.length };
  }

  // The approval: the wait starts with the gate's timer (the first timer after the policy stage) and ends with
  // the last human approve or reject before the deploy; a level needing no approval is recorded automatic.
  const deployAt = stage('deployCandidate')?.startedAt;
  const policyDone = stage('evaluatePolicy');
  const human = tl.decisions.filter((d) => (d.decision === 'approve' || d.decision === 'reject') && (!deployAt || d.at <= deployAt));
  const requestedAt = policyDone ? timersStarted(events).find((t) => t >= endOf(policyDone) && (!deployAt || t <= deployAt)) : undefined;
  if (tl.decisions.some((d) => d.decision === 'automatic-approve') && !human.length) record.approval = { automatic: true };
  else if (requestedAt || human.length) record.approval = { automatic: false, ...(requestedAt ? { requestedAt } : {}), ...(human.length ? { decidedAt: human[human.length - 1]!.at } : {}) };

  const shifts = trafficShifts(events);
  const first = shifts.find((s) => s.weight > 0 && s.completedAt);
  if (first) record.trafficAt = first.completedAt;
  if (outcome?.kind === 'promoted') record.promotedAt = ((p) => (p?.result === 'completed' ? endOf(p) : tl.closedAt))(stage('promote'));
  if (outcome?.kind === 'rolled_back') {
    const back = first ? shifts.find((s) => s.weight === 0 && s.scheduledAt >= first.completedAt!) : undefined;
    const rollback = tl.stages.find((s) => s.activity === 'rollback');
    const detected = [back?.scheduledAt, rollback?.startedAt].filter((x): x is string => !!x).sort()[0];
    if (detected) record.detectedAt = detected;
    // no traffic, nothing to restore: a candidate refused before its first user (runtime security)
    const restored = first ? (back?.completedAt ?? (rollback?.result === 'completed' ? endOf(rollback) : undefined)) : undefined;
    if (restored) record.restoredAt = restored;
  }
  return record;
}
