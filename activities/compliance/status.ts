import { ScheduleNotFoundError, WorkflowFailedError, type Client, type ScheduleDescription } from '@temporalio/client';
import { dbAgeDays, judgeEntry, rescanScheduleId, type ComplianceEntry, type ComplianceStatus, type RescanTarget } from '../../model/compliance';

// What `airlock compliance` reads: the rescan schedules (one per environment, its action names the running
// release) and the result of each schedule's newest finished rescan. Nothing on local disk: any client of
// the namespace gets the same answer.

const PREFIX = 'airlock-rescan/';

export interface ComplianceFilter {
  service?: string;
  environment?: string;
}

/** The ids of the rescan schedules matching `filter` (listing is eventually consistent: a service+env is looked up directly). */
export async function rescanScheduleIds(client: Client, filter: ComplianceFilter): Promise<string[]> {
  if (filter.service && filter.environment) return [rescanScheduleId(filter.service, filter.environment)];
  const ids: string[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(PREFIX)) continue;
    const [service, environment] = s.scheduleId.slice(PREFIX.length).split('/');
    if (filter.service && service !== filter.service) continue;
    if (filter.environment && environment !== filter.environment) continue;
    ids.push(s.scheduleId);
  }
  return ids.sort();
}

/** The release a schedule rescans: its action's argument. */
export function scheduledTarget(d: ScheduleDescription): RescanTarget {
  if (d.action.type !== 'startWorkflow') throw new Error(`${d.scheduleId} does not start a workflow`);
  const target = d.action.args?.[0];
  if (!target) throw new Error(`${d.scheduleId} has no release to rescan`);
  return target as RescanTarget;
}

/** The result of the schedule's newest finished rescan (failed rescans are skipped, their cause logged by the worker). */
async function newestResult(client: Client, d: ScheduleDescription): Promise<ComplianceStatus | undefined> {
  const recent = [...d.info.recentActions].sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime());
  for (const r of recent) {
    const handle = client.workflow.getHandle(r.action.workflow.workflowId, r.action.workflow.firstExecutionRunId);
    const { status } = await handle.describe();
    if (status.name !== 'COMPLETED') continue;
    try {
      return (await handle.result()) as ComplianceStatus;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
    }
  }
  return undefined;
}

/** Every running release matching `filter` with its compliance now; an unknown service+env gives none. */
export async function readCompliance(client: Client, filter: ComplianceFilter, now = Date.now()): Promise<ComplianceEntry[]> {
  const entries: ComplianceEntry[] = [];
  for (const id of await rescanScheduleIds(client, filter)) {
    let d: ScheduleDescription;
    try {
      d = await client.schedule.getHandle(id).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) continue;
      throw err;
    }
    const target = scheduledTarget(d);
    const everyMs = d.spec.intervals?.[0]?.every;
    const every = typeof everyMs === 'number' ? everyMs : 86_400_000;
    const since = (d.info.lastUpdatedAt ?? d.info.createdAt).toISOString();
    const last = await newestResult(client, d);
    const judged = judgeEntry({ releaseId: target.releaseId, since, everyMs: every, now, ...(last ? { last } : {}) });
    const age = dbAgeDays(last?.dbUpdatedAt, now);
    entries.push({
      service: target.service,
      environment: target.environment,
      releaseId: target.releaseId,
      image: target.image,
      rescanEvery: humanInterval(every),
      since,
      ...(last ? { last } : {}),
      ...(age !== undefined ? { dbAgeDays: age } : {}),
      ...judged,
    });
  }
  return entries;
}

const humanInterval = (ms: number): string =>
  ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;

/**
 * Why `imageDigest` may not be promoted: the newest rescan of a release of `service` running it found it
 * non-compliant, in an environment whose policy says `onViolation: block-promotion`. Undefined otherwise.
 */
export async function blockedPromotion(client: Client, service: string, imageDigest: string, now = Date.now()): Promise<string | undefined> {
  for (const e of await readCompliance(client, { service }, now)) {
    const last = e.last;
    if (!last || last.compliant || last.onViolation !== 'block-promotion' || !last.image.endsWith(`@${imageDigest}`)) continue;
    return `${imageDigest} is not compliant in ${e.service}/${e.environment} (rescan ${last.scannedAt}: ${last.findings.slice(0, 3).join('; ')}) and its policy says compliance.onViolation: block-promotion`;
  }
  return undefined;
}
