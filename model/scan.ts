import { z } from 'zod';
import { imageUserSchema } from './image-user';

// Summary of a Trivy scan that goes into the workflow (full reports stay in the evidence store).
// The schema is the edge for `airlock policy check --scan summary.json`.

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.output<typeof severitySchema>;

const sha256Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>');

export const vulnerabilityFindingSchema = z.object({
  id: z.string().min(1), // CVE or GHSA id (Trivy prefers the CVE when the advisory has one)
  /** The same vulnerability's other ids, e.g. the GHSA id of a CVE (Trivy's VendorIDs). */
  aliases: z.array(z.string()).optional(),
  pkg: z.string(),
  installed: z.string(),
  fixed: z.string().optional(),
  severity: severitySchema,
  target: z.string(),
  title: z.string().optional(),
});
export type VulnerabilityFinding = z.output<typeof vulnerabilityFindingSchema>;

/** Rule id and location only: the secret value never leaves the scanner's report. */
export const secretFindingSchema = z.object({
  ruleId: z.string().min(1),
  category: z.string(),
  title: z.string().optional(),
  severity: severitySchema,
  target: z.string(),
  line: z.number().int(),
});
export type SecretFinding = z.output<typeof secretFindingSchema>;

export const misconfigurationSchema = z.object({
  id: z.string().min(1), // e.g. DS002
  severity: severitySchema,
  title: z.string(),
  target: z.string(),
});
export type MisconfigurationFinding = z.output<typeof misconfigurationSchema>;

export const licenseFindingSchema = z.object({
  name: z.string().min(1), // SPDX id as Trivy reports it
  pkg: z.string(),
  severity: severitySchema,
  category: z.string().optional(),
});
export type LicenseFinding = z.output<typeof licenseFindingSchema>;

const counts = z.object({ CRITICAL: z.number(), HIGH: z.number(), MEDIUM: z.number(), LOW: z.number(), UNKNOWN: z.number() });

export const scanSummarySchema = z.object({
  image: z.string().regex(/@sha256:[0-9a-f]{64}$/, 'must be pinned by digest (repo@sha256:...)'), // image@digest scanned
  vulnerabilities: z.object({
    counts,
    findings: z.array(vulnerabilityFindingSchema),
    /** Findings left out of `findings` to keep the summary small (lowest severities first); counts include them. */
    omitted: z.number().int().min(0).optional(),
  }),
  secrets: z.array(secretFindingSchema),
  misconfigurations: z.array(misconfigurationSchema),
  licenses: z.array(licenseFindingSchema),
  /** Base image recorded by airlock's build (label dev.airlock.base-image); absent for images built elsewhere. */
  baseImage: z.string().optional(),
  /**
   * The user the image runs as, read from its config in the registry (by digest) and resolved through its
   * /etc/passwd. Absent in summaries made before airlock read it: `requireNonRoot` then blocks.
   */
  imageUser: imageUserSchema.optional(),
  /** sha256 digests of the redacted JSON report and the CycloneDX SBOM in the evidence store. */
  reportDigest: sha256Digest,
  sbomDigest: sha256Digest,
  trivyVersion: z.string(),
  /** Which vulnerability DB the scan used: `online` (Trivy's real DB or its mirror) or `fixture` (tests). */
  dbMode: z.enum(['fixture', 'online']),
  /** Trivy DB build time (metadata.json UpdatedAt): part of the cache key; `gates.vulnerabilities.maxDbAge` is checked on it. */
  dbUpdatedAt: z.string().optional(),
  /** When the DB's publisher plans the next build (metadata.json NextUpdate). */
  dbNextUpdate: z.string().optional(),
  /** true when served from the scan cache (same digest, DB and options). */
  cached: z.boolean().optional(),
  /**
   * Findings left out of `secrets`, `misconfigurations` and `licenses` to keep the summary under its size
   * bound (activities/scan/summary-bound.ts); the full report in the evidence store has them. The gate
   * counts them as blocking where an unlisted finding could block.
   */
  omitted: z.object({ secrets: z.number().int().min(0), misconfigurations: z.number().int().min(0), licenses: z.number().int().min(0) }).partial().optional(),
});
export type ScanSummary = z.output<typeof scanSummarySchema>;

export function emptyCounts(): Record<Severity, number> {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
}

/** Higher is worse; UNKNOWN ranks lowest. */
export function severityRank(s: Severity): number {
  return { UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 }[s];
}
