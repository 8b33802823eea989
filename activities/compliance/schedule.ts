import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction, type Workflow } from '@temporalio/client';
import { z } from 'zod';
import { rescanScheduleId, rescanSpec, type ComplianceSettings, type RescanTarget } from '../../model/compliance';
import { isSlug } from '../../model/names';
import { parseWith } from '../../model/parse';

/** The wire name of the rescan workflow (workflows/rescan.ts): the schedule starts it by name. */
export const RESCAN_WORKFLOW = 'rescanRelease';

const slug = z.string().refine(isSlug, 'must be a lowercase slug');
export const rescanTargetSchema = z
  .object({
    service: slug,
    environment: slug,
    releaseId: z.string().min(1).max(200),
    image: z.string().regex(/^[^@\s]+@sha256:[0-9a-f]{64}$/, 'must be pinned: repo@sha256:<64 hex>'),
    source: z.object({ repo: z.string().min(1), commit: z.string().regex(/^[0-9a-f]{40,64}$/, 'must be a full commit id'), serviceDir: z.string() }).strict(),
    pipelineId: z.string().min(1).max(400),
  })
  .strict();

export interface ScheduleDeps {
  /** The worker's Temporal client (the activity context's, like findGateRecord). */
  client?: () => Client;
  /** The task queue the rescans run on: the worker's own. */
  taskQueue?: () => string;
}

export interface ScheduledRescan {
  scheduleId: string;
  created: boolean;
  rescanEvery: string;
}

/**
 * Creates or replaces the schedule `airlock-rescan/<service>/<env>`: its action rescans `target` every
 * `settings.rescanEvery`. Called when a release is promoted; the one for the replaced release is the same
 * schedule, so this is idempotent (a retry writes the same spec and action again). Overlaps are skipped:
 * a scan slower than the interval does not pile up rescans.
 */
export async function upsertRescanSchedule(deps: ScheduleDeps, raw: RescanTarget, settings: ComplianceSettings): Promise<ScheduledRescan> {
  const target = parseWith(rescanTargetSchema, raw, 'scheduleRescan input');
  const client = (deps.client ?? (() => Context.current().client))();
  const taskQueue = (deps.taskQueue ?? (() => Context.current().info.taskQueue))();
  const scheduleId = rescanScheduleId(target.service, target.environment);
  const spec = rescanSpec(settings.rescanEvery, scheduleId);
  const action: ScheduleOptionsStartWorkflowAction<Workflow> = {
    type: 'startWorkflow',
    workflowType: RESCAN_WORKFLOW,
    args: [target],
    taskQueue,
    // Temporal appends the scheduled time to this id: one workflow per rescan
    workflowId: scheduleId,
    workflowExecutionTimeout: '1h',
  };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((prev) => ({ ...prev, spec, action, state: { ...prev.state, paused: false, note: `rescans ${target.releaseId}` } }));
    return { scheduleId, created: false, rescanEvery: settings.rescanEvery };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  await client.schedule.create({
    scheduleId,
    spec,
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    state: { note: `rescans ${target.releaseId}` },
  });
  return { scheduleId, created: true, rescanEvery: settings.rescanEvery };
}
