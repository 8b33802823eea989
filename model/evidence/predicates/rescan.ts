import { z } from 'zod';
import type { ComplianceStatus } from '../../compliance';
import type { ScanSummary } from '../../scan';
import { sha256Digest } from '../statement';
import { vulnResultSchema, type VulnResult } from './vuln';

// A scheduled rescan of a running release (docs/compliance.md): the scan of the digest with the worker's Trivy
// DB of that day, and the compliance decision the environment's protected policy made of it. A release gets
// one per rescan, so unlike the scan at build time (the `vuln` link, one per chain) there may be many; the
// newest says whether the release was compliant when it was last looked at.

export const RESCAN_TYPE = 'https://airlock.dev/attestation/rescan/v1';

/** How many finding lines a rescan link keeps (the full report is in the evidence store: result.reportDigest). */
export const MAX_RESCAN_FINDINGS = 100;

export const rescanPredicateSchema = z.object({
  service: z.string().min(1),
  environment: z.string().min(1),
  releaseId: z.string().min(1),
  /** The rescan workflow (one per scheduled run) and its run. */
  invocation: z.object({ uri: z.string().min(1), event_id: z.string().min(1), 'builder.id': z.string().min(1) }),
  scanner: z.object({ uri: z.string().min(1), version: z.string(), db: z.object({ uri: z.string(), version: z.string() }), result: vulnResultSchema }),
  compliance: z.object({
    compliant: z.boolean(),
    /** Blocking violations no valid exception covers, `rule subject: detail` (capped: findingsOmitted says how many more). */
    findings: z.array(z.string()),
    findingsOmitted: z.number().int().min(0).optional(),
    onViolation: z.enum(['alert', 'block-promotion', 'rollback']),
    policy: z.object({ digest: sha256Digest }),
    /** The compliance status as kept in the evidence store. */
    statusDigest: sha256Digest,
  }),
  scannedAt: z.iso.datetime({ offset: true }),
});
export type RescanPredicate = z.output<typeof rescanPredicateSchema>;

export interface RescanInput {
  status: Omit<ComplianceStatus, 'action'>;
  statusDigest: string;
  scan: ScanSummary;
  /** Where the vulnerability DB came from (as for the vuln link). */
  dbUri: string;
  /** The rescan workflow id and run id. */
  rescanId: string;
  runId: string;
  builderId: string;
}

export function rescanPredicate(i: RescanInput): RescanPredicate {
  const { status, scan } = i;
  const result: VulnResult = {
    vulnerabilities: { counts: scan.vulnerabilities.counts, findings: scan.vulnerabilities.findings, ...(scan.vulnerabilities.omitted ? { omitted: scan.vulnerabilities.omitted } : {}) },
    secrets: scan.secrets,
    misconfigurations: scan.misconfigurations,
    licenses: scan.licenses.length,
    reportDigest: scan.reportDigest,
    sbomDigest: scan.sbomDigest,
    db: { mode: scan.dbMode, ...(scan.dbUpdatedAt ? { updatedAt: scan.dbUpdatedAt } : {}), ...(scan.dbNextUpdate ? { nextUpdate: scan.dbNextUpdate } : {}) },
  };
  const omitted = status.findings.length - MAX_RESCAN_FINDINGS;
  return {
    service: status.service,
    environment: status.environment,
    releaseId: status.releaseId,
    invocation: { uri: i.rescanId, event_id: i.runId, 'builder.id': i.builderId },
    scanner: { uri: 'https://github.com/aquasecurity/trivy', version: scan.trivyVersion, db: { uri: i.dbUri, version: scan.dbUpdatedAt ?? '' }, result },
    compliance: {
      compliant: status.compliant,
      findings: status.findings.slice(0, MAX_RESCAN_FINDINGS),
      ...(omitted > 0 ? { findingsOmitted: omitted } : {}),
      onViolation: status.onViolation,
      policy: { digest: status.policyDigest },
      statusDigest: i.statusDigest,
    },
    scannedAt: status.scannedAt,
  };
}
