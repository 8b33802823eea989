import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

// Where one pipeline's time goes, from its history: workflow tasks, activities (local or not), search
// attribute upserts, timers, signals, children, and the time between consecutive events.

const EventType = temporal.api.enums.v1.EventType;
const name = (t: number | null | undefined) => (EventType[t ?? 0] ?? String(t)).replace(/^EVENT_TYPE_/, '');
const ms = (t: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined) =>
  t ? Number(typeof t.seconds === 'number' ? t.seconds : (t.seconds?.toNumber() ?? 0)) * 1000 + (t.nanos ?? 0) / 1e6 : 0;

export interface HistoryProfile {
  events: number;
  workflowTasks: number;
  totalMs: number;
  counts: Record<string, number>;
  /** one line per event: ms since start, ms since the previous event, type, what */
  timeline: string[];
}

export async function profileHistory(client: Client, workflowId: string): Promise<HistoryProfile> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const t0 = ms(events[0]?.eventTime);
  let prev = t0;
  const counts: Record<string, number> = {};
  const timeline: string[] = [];
  for (const e of events) {
    const type = name(e.eventType);
    counts[type] = (counts[type] ?? 0) + 1;
    const at = ms(e.eventTime);
    const sa = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    const what =
      e.activityTaskScheduledEventAttributes?.activityType?.name ??
      e.markerRecordedEventAttributes?.markerName ??
      (sa ? Object.keys(sa).join(',') : undefined) ??
      e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
      e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
      e.workflowExecutionSignaledEventAttributes?.signalName ??
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
      '';
    timeline.push(`${(at - t0).toFixed(1).padStart(8)} +${(at - prev).toFixed(1).padStart(6)}  ${type.padEnd(44)} ${what}`);
    prev = at;
  }
  return { events: events.length, workflowTasks: counts.WORKFLOW_TASK_COMPLETED ?? 0, totalMs: prev - t0, counts, timeline };
}
