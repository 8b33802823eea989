import { log, workflowInfo } from '@temporalio/workflow';
import type { DeployActivities } from '../activities/deploy';
import type { DriftActivities } from '../activities/drift';
import type { ScheduleActivities } from '../activities/drift/schedule';
import { digestOfImage } from '../model/deploy-gate';
import type { DriftCheckResult, DriftReport } from '../model/drift';
import type { PipelineActivities } from '../model/activities';
import type { Webhook } from '../model/notifications';
import { routeByRole, routedActivities } from './activity-options';
import { releaseLockOf, waitForLock, type LockOwner } from './lock-client';
import { registerLockHandlers, type LockHold } from './lock-holder';
import { notify } from './notify';
import type { DeliveryRetry } from './deliver-notification';

export interface DriftCheckInput {
  service: string;
  environment: string;
  /** `airlock compliance drift --reconcile`: reconcile whatever the policy says. */
  reconcile?: boolean;
  /** Delivery retry overrides for the alert (tests). */
  alertRetry?: DeliveryRetry;
}

const NON_RETRYABLE = ['InvalidInputError', 'DeployProgramError', 'GitError'];
const quick = routedActivities<DriftActivities & Pick<PipelineActivities, 'readBasePolicy'> & Pick<DeployActivities, 'findGateRecord'> & ScheduleActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});
const slow = routedActivities<DriftActivities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** The environment's protected policy (the newest promoted pipeline's, at its head), as far as drift needs it. */
async function protectedPolicy(report: DriftReport): Promise<{ onDrift: 'alert' | 'reconcile'; driftEvery?: string; webhooks?: Webhook[]; source?: string }> {
  if (!report.stableImage) return { onDrift: 'alert' };
  const { workflowId, runId } = workflowInfo();
  const record = await quick.findGateRecord({ service: report.service, environment: report.environment, imageDigest: digestOfImage(report.stableImage), workflowId, runId });
  if (!record.anchor) return { onDrift: 'alert' };
  const { repo, commit, path } = record.anchor;
  const base = await quick.readBasePolicy({ releaseId: `${report.service}-${report.environment}-drift`, repo, commit, path });
  const p = base.policy.policy;
  return { onDrift: p.compliance?.onDrift ?? 'alert', driftEvery: p.compliance?.driftEvery, webhooks: p.notifications?.webhooks, source: base.policy.source };
}

/**
 * One drift check of one environment (run by its Temporal Schedule, or `airlock compliance drift`):
 * compare the recorded state with reality; with drift, reconcile under the environment lock when the
 * protected policy says `onDrift: reconcile` (or the CLI asks), and alert `drift.detected` either way.
 * Schedules are kept at the policy's `driftEvery` (ensureDriftSchedule, idempotent).
 */
export async function driftCheck(input: DriftCheckInput): Promise<DriftCheckResult> {
  const { service, environment } = input;
  const lock: LockHold = { requested: false, granted: false };
  registerLockHandlers(lock);
  await routeByRole(); // patch `queues-by-role`: detect and reconcile on the environment's target
  const report = await quick.detectDrift({ service, environment });
  if (!report.deployed) return { ...report, reconciled: false, note: 'not deployed' };
  const policy = await protectedPolicy(report);
  if (policy.driftEvery) await quick.ensureDriftSchedule({ service, environment, every: policy.driftEvery });
  if (!report.drift.length) return { ...report, reconciled: false };

  let result: DriftCheckResult = { ...report, reconciled: false };
  if (input.reconcile || policy.onDrift === 'reconcile') {
    const owner: LockOwner = { service, environment, headCommit: 'drift-reconcile', lock };
    try {
      await waitForLock(owner, 20 * 60_000, () => false);
      if (lock.supersededBy) result = { ...result, note: `not reconciled: ${lock.supersededBy} queued for the environment` };
      else result = await slow.reconcileDrift({ service, environment });
    } finally {
      await releaseLockOf(owner);
    }
  }
  const data = {
    service,
    environment,
    drift: report.drift.map((d) => d.detail),
    items: report.drift,
    reconciled: result.reconciled,
    ...(result.remaining ? { remaining: result.remaining.map((d) => d.detail) } : {}),
    ...(policy.source ? { policySource: policy.source } : {}),
  };
  try {
    await notify(policy.webhooks, { type: 'drift.detected', subject: `${service}/${environment}`, data, ...(input.alertRetry ? { retry: input.alertRetry } : {}) });
  } catch (err) {
    log.warn('the drift alert was not sent', { error: String(err) });
  }
  return result;
}
