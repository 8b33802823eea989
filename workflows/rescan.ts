import { executeChild, log, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { violationActions, type ComplianceStatus, type RescanTarget } from '../model/compliance';
import type { LoadedPolicy } from '../model/policy';
import { complianceActivities as act } from './activity-options';
import { emit, expiringEvent, nonCompliantEvent } from './compliance-events';
import { causeOf } from './decisions';
import { rollbackRelease } from './deploy-release';

/** What `airlock compliance` reads back: the rescan's status (also its result) and where it is kept. */
export type RescanResult = ComplianceStatus & { statusDigest: string };

/**
 * One rescan of the release serving an environment (started by the schedule `airlock-rescan/<service>/<env>`
 * or by `airlock compliance rescan`): the running digest scanned with the worker's current Trivy DB, judged
 * with the environment's protected policy (the one at the running release's commit, its anchor now), then per
 * `compliance.onViolation`: alert, block promotion, or roll back through the environment lock.
 */
export async function rescanRelease(target: RescanTarget): Promise<RescanResult> {
  const { releaseId } = target;
  const policy = await environmentPolicy(target);
  const scan = await act.scanImage({ releaseId, image: target.image });
  const status: RescanResult = await act.assessCompliance({ target, scan, policy });
  const webhooks = policy.policy.notifications?.webhooks;
  for (const [n, e] of status.expiring.entries()) await emit(webhooks, expiringEvent(status, e), n);
  const todo = violationActions(status.compliant, status.onViolation);
  if (todo.alert) {
    await emit(webhooks, nonCompliantEvent(status));
    status.action = 'alerted';
  }
  // enforced where the digest would move: `airlock deploy` asks findGateRecord, which reads this status (docs/compliance.md)
  if (todo.blockPromotion) status.action = 'alerted; airlock deploy refuses this digest until a compliant release serves here';
  if (todo.rollback) status.action = await rollBack(target, status, policy);
  upsertMemo({ compliant: status.compliant, releaseId, findings: status.findings.length, scannedAt: status.scannedAt });
  return status;
}

/** The environment's protected policy now: the one at the running release's commit, its anchor. */
export async function environmentPolicy(target: RescanTarget): Promise<LoadedPolicy> {
  const { repo, commit, serviceDir } = target.source;
  const read = await act.readAnchorPolicy({ releaseId: target.releaseId, repo, serviceDir, environment: target.environment, headCommit: commit, anchor: commit });
  return read.policy;
}

/**
 * Puts back the release before the running one (the environment's history, through the environment lock:
 * rollbackRelease, recorded like `airlock rollback`), then points the schedule at it: if that one is not
 * compliant either, the next rescan goes one further back.
 */
async function rollBack(target: RescanTarget, status: ComplianceStatus, policy: LoadedPolicy): Promise<string> {
  const { service, environment, releaseId } = target;
  const workflowId = `airlock-rollback/${service}/${environment}/noncompliant-${releaseId}`;
  try {
    const restored = await executeChild(rollbackRelease, {
      workflowId,
      args: [{ service, environment, reason: `non-compliant (rescan ${workflowInfo().workflowId}): ${status.findings.slice(0, 3).join('; ')}` }],
    });
    await act.scheduleRescan({ target: { ...target, releaseId: restored.stable.releaseId, image: restored.stable.image, pipelineId: workflowId }, policy });
    return `alerted; rolled back to ${restored.stable.releaseId} (${workflowId})`;
  } catch (err) {
    const cause = causeOf(err);
    log.error('the non-compliant release was not rolled back', { releaseId, workflowId, cause });
    return `alerted; rollback failed: ${cause.type}: ${cause.message}`;
  }
}

/**
 * Called when a pipeline promotes a release (patch `compliance-schedule`): the environment's rescan schedule
 * now rescans this release, every `compliance.rescanEvery` of its policy. The release is live already: a
 * failure here is logged, not the pipeline's outcome.
 */
export async function scheduleRescanOf(target: RescanTarget): Promise<void> {
  try {
    const policy = await environmentPolicy(target);
    await act.scheduleRescan({ target, policy });
  } catch (err) {
    log.warn('the rescan schedule was not written', { releaseId: target.releaseId, error: String(err) });
  }
}
