import { executeChild, log, patched, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { violationActions, type ComplianceStatus, type RescanTarget } from '../model/compliance';
import type { LoadedPolicy } from '../model/policy';
import type { ScanSummary } from '../model/scan';
import { complianceActivities as act, evidenceActivities, routeByRole } from './activity-options';
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
  await routeByRole(); // patch `queues-by-role`: the scan goes to a build worker
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
 * From this patch on, a compliance rollback first picks the newest earlier release of the environment that is
 * compliant now (each rescanned with today's DB and judged with the same policy) instead of the one before.
 */
export const NEWEST_COMPLIANT_PATCH = 'compliance-newest-compliant';

/** How many earlier releases a compliance rollback rescans at most before giving up. */
export const MAX_ROLLBACK_CANDIDATES = 5;

/**
 * Puts back the newest release of the environment's history that is compliant now (patch
 * `compliance-newest-compliant`; before it, simply the release before the running one), through the environment
 * lock (rollbackRelease, recorded like `airlock rollback`), then points the schedule at it. No compliant release
 * left (or none still in the registry): nothing is rolled back, the alert stands and the status says why.
 */
async function rollBack(target: RescanTarget, status: ComplianceStatus, policy: LoadedPolicy): Promise<string> {
  const { service, environment, releaseId } = target;
  const workflowId = `airlock-rollback/${service}/${environment}/noncompliant-${releaseId}`;
  let toReleaseId: string | undefined;
  if (patched(NEWEST_COMPLIANT_PATCH)) {
    const pick = await newestCompliant(target, policy);
    if (!pick.releaseId) return `alerted; not rolled back: ${pick.reason}`;
    toReleaseId = pick.releaseId;
  }
  try {
    const restored = await executeChild(rollbackRelease, {
      workflowId,
      args: [{ service, environment, ...(toReleaseId ? { toReleaseId } : {}), reason: `non-compliant (rescan ${workflowInfo().workflowId}): ${status.findings.slice(0, 3).join('; ')}` }],
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
 * The newest earlier release of the environment (its history, newest first) that is compliant now: each one's
 * digest rescanned and judged with the environment's policy, at most MAX_ROLLBACK_CANDIDATES of them. An image
 * that cannot be scanned (gone from the registry) is not available: the next one is tried.
 */
async function newestCompliant(target: RescanTarget, policy: LoadedPolicy): Promise<{ releaseId?: string; reason: string }> {
  const env = await act.describeEnvironment({ service: target.service, environment: target.environment });
  const earlier = (env?.history ?? []).filter((r) => r.releaseId !== target.releaseId).slice(0, MAX_ROLLBACK_CANDIDATES);
  if (!earlier.length) return { reason: 'the environment has no earlier release to go back to' };
  const why: string[] = [];
  for (const release of earlier) {
    try {
      const scan = await act.scanImage({ releaseId: release.releaseId, image: release.image });
      const judged = await act.assessCompliance({ target: { ...target, releaseId: release.releaseId, image: release.image }, scan, policy });
      if (judged.compliant) return { releaseId: release.releaseId, reason: 'compliant now' };
      why.push(`${release.releaseId}: ${judged.findings[0] ?? 'not compliant'}`);
    } catch (err) {
      const cause = causeOf(err);
      why.push(`${release.releaseId}: not available (${cause.message})`);
    }
  }
  return { reason: `no earlier release is compliant now (${why.join('; ')})` };
}
