import { z } from 'zod';
import { misconfigurationSchema, secretFindingSchema, severitySchema, vulnerabilityFindingSchema, type ScanSummary } from '../../scan';
import { sha256Digest } from '../statement';

// The vulnerability scan link in cosign's vuln predicate layout (cosign `attest --type vuln`), so
// `cosign verify-attestation --type vuln` and policy engines that know it (Kyverno, policy-controller)
// read it. cosign leaves scanner.result free-form: airlock's scan summary goes there.

export const COSIGN_VULN_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

const counts = z.record(severitySchema, z.number().int().min(0));

/** airlock's part: the scan summary minus the image (the statement's subject says which image). */
export const vulnResultSchema = z.object({
  vulnerabilities: z.object({ counts, findings: z.array(vulnerabilityFindingSchema), omitted: z.number().int().min(0).optional() }),
  secrets: z.array(secretFindingSchema),
  misconfigurations: z.array(misconfigurationSchema),
  licenses: z.number().int().min(0),
  /** The full (redacted) Trivy report and the SBOM in the evidence store. */
  reportDigest: sha256Digest,
  sbomDigest: sha256Digest,
  db: z.object({ mode: z.enum(['fixture', 'online']), updatedAt: z.string().optional(), nextUpdate: z.string().optional() }),
});
export type VulnResult = z.output<typeof vulnResultSchema>;

/** Field names as cosign's Go struct tags spell them (`event_id`, `builder.id`). */
export const vulnPredicateSchema = z.object({
  invocation: z.object({ parameters: z.unknown(), uri: z.string(), event_id: z.string(), 'builder.id': z.string() }).loose(),
  scanner: z
    .object({
      uri: z.string().min(1),
      version: z.string(),
      db: z.object({ uri: z.string(), version: z.string() }).loose(),
      result: vulnResultSchema,
    })
    .loose(),
  metadata: z.object({ scanStartedOn: z.iso.datetime({ offset: true }), scanFinishedOn: z.iso.datetime({ offset: true }) }).loose(),
});
export type VulnPredicate = z.output<typeof vulnPredicateSchema>;

export interface VulnScanInput {
  summary: ScanSummary;
  /** Where the vulnerability DB came from, e.g. `ghcr.io/aquasecurity/trivy-db` or `fixture:test/fixtures/trivy-db`. */
  dbUri: string;
  /** The scanner's arguments (no secrets: they are recorded). */
  parameters: string[];
  pipelineId: string;
  runId: string;
  builderId: string;
  scanStartedOn: string;
  scanFinishedOn: string;
}

export function vulnPredicate(i: VulnScanInput): VulnPredicate {
  const s = i.summary;
  return {
    invocation: { parameters: i.parameters, uri: i.pipelineId, event_id: i.runId, 'builder.id': i.builderId },
    scanner: {
      uri: 'https://github.com/aquasecurity/trivy',
      version: s.trivyVersion,
      db: { uri: i.dbUri, version: s.dbUpdatedAt ?? '' },
      result: {
        vulnerabilities: { counts: s.vulnerabilities.counts, findings: s.vulnerabilities.findings, ...(s.vulnerabilities.omitted ? { omitted: s.vulnerabilities.omitted } : {}) },
        secrets: s.secrets,
        misconfigurations: s.misconfigurations,
        licenses: s.licenses.length,
        reportDigest: s.reportDigest,
        sbomDigest: s.sbomDigest,
        db: { mode: s.dbMode, ...(s.dbUpdatedAt ? { updatedAt: s.dbUpdatedAt } : {}), ...(s.dbNextUpdate ? { nextUpdate: s.dbNextUpdate } : {}) },
      },
    },
    metadata: { scanStartedOn: i.scanStartedOn, scanFinishedOn: i.scanFinishedOn },
  };
}
