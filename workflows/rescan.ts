import { executeChild, log, patched, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { violationActions, type ComplianceStatus, type RescanTarget } from '../model/compliance';
import type { LoadedPolicy } from '../model/policy';
import type { ScanSummary } from '../model/scan';
import { complianceActivities as act, evidenceActivities } from './activity-options';
import { emit, expiringEvent, nonCompliantEvent } from './compliance-events';
import { causeOf } from './decisions';
import { rollbackRelease } from './deploy-release';
import { environmentPolicy } from './rescan-schedule';

export { environmentPolicy, scheduleRescanOf } from './rescan-schedule';

/** Rescans from this patch on add a signed `rescan` link to the release's evidence chain (docs/evidence.md). */
export const RESCAN_ATTEST_PATCH = 'compliance-attest';

/**
 * What `airlock compliance` reads back: the rescan's status (also its result) and where it is kept;
 * `attested`: whether the signed rescan link was added to the evidence chain (patch `compliance-attest`). */
export type RescanResult = ComplianceStatus & { statusDigest: string; attested?: boolean };

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
  if (patched(RESCAN_ATTEST_PATCH)) await attest(target, status, scan);
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

/**
 * The rescan's signed record next to the image (a `rescan` link: the scan and the decision), so the chain
 * anyone verifies offline says when the release was last rescanned and whether it was compliant. The decision
 * is made already: a failure is logged and the status says so.
 */
async function attest(target: RescanTarget, status: RescanResult, scan: ScanSummary): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  try {
    const { statusDigest, ...judged } = status;
    await evidenceActivities.recordEvidence({ releaseId: target.releaseId, image: target.image, pipelineId: workflowId, runId, link: 'rescan', status: judged, statusDigest, scan });
    status.attested = true;
  } catch (err) {
    log.warn('the rescan was not added to the evidence chain', { releaseId: target.releaseId, error: String(err) });
    status.attested = false;
  }
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
