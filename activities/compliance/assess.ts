import { complianceFindings, expiringExceptions, type ComplianceStatus, type RescanTarget } from '../../model/compliance';
import { exceptionExpiresAt, type LoadedPolicy, type PolicyException } from '../../model/policy';
import type { ScanSummary } from '../../model/scan';
import { policyVerdict } from '../policy/evaluate';

export interface AssessInput {
  target: RescanTarget;
  scan: ScanSummary;
  /** The environment's protected policy (read at the running release's commit). */
  policy: LoadedPolicy;
}

/**
 * The compliance decision for one rescan, by the worker's clock: the policy gate over the new scan (exceptions
 * apply until they expire), freeze windows left out, and the exceptions that end within 7 days. Pure but for
 * `now`; the workflow decides what to do about it.
 */
export function assessCompliance(input: AssessInput, now: Date): Omit<ComplianceStatus, 'action'> {
  const { target, scan, policy } = input;
  const verdict = policyVerdict(policy, scan, undefined, now, { environment: target.environment });
  const findings = complianceFindings(verdict.violations);
  return {
    service: target.service,
    environment: target.environment,
    releaseId: target.releaseId,
    image: target.image,
    compliant: findings.length === 0,
    scannedAt: now.toISOString(),
    ...(scan.dbUpdatedAt ? { dbUpdatedAt: scan.dbUpdatedAt } : {}),
    dbMode: scan.dbMode,
    reportDigest: scan.reportDigest,
    policyDigest: policy.digest,
    findings,
    expiring: expiringExceptions(policy.policy.exceptions, (e) => exceptionExpiresAt(e as PolicyException), now.getTime()),
    onViolation: policy.policy.compliance.onViolation,
  };
}
