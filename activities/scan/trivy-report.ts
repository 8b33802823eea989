import { z } from 'zod';
import { issueLines } from '../../model/parse';
import { severitySchema } from '../../model/scan';
import { ScannerError } from '../errors';

/**
 * The fields of Trivy's `--format json` report (SchemaVersion 2) that airlock reads. Other fields pass
 * through untouched into the stored (redacted) report.
 */
const vulnerability = z.looseObject({
  VulnerabilityID: z.string().min(1),
  VendorIDs: z.array(z.string()).nullish(),
  PkgName: z.string(),
  InstalledVersion: z.string(),
  FixedVersion: z.string().optional(),
  Severity: severitySchema,
  Title: z.string().optional(),
});
const secret = z.looseObject({
  RuleID: z.string().min(1),
  Category: z.string(),
  Severity: severitySchema,
  Title: z.string().optional(),
  StartLine: z.number().int(),
});
const misconfiguration = z.looseObject({
  ID: z.string().min(1),
  Title: z.string(),
  Severity: severitySchema,
  Status: z.string(),
});
const license = z.looseObject({
  Name: z.string().min(1),
  PkgName: z.string().optional(),
  FilePath: z.string().optional(),
  Severity: severitySchema,
  Category: z.string().optional(),
});
const result = z.looseObject({
  Target: z.string(),
  Class: z.string(),
  Vulnerabilities: z.array(vulnerability).nullish(),
  Secrets: z.array(secret).nullish(),
  Misconfigurations: z.array(misconfiguration).nullish(),
  Licenses: z.array(license).nullish(),
});

export const trivyReportSchema = z.looseObject({
  SchemaVersion: z.literal(2, { error: 'expected Trivy report schema version 2' }),
  ArtifactName: z.string().min(1),
  Metadata: z.looseObject({
    ImageConfig: z.looseObject({ config: z.looseObject({ Labels: z.record(z.string(), z.string()).nullish() }).optional() }).optional(),
  }),
  Results: z.array(result).nullish(),
});
export type TrivyReport = z.output<typeof trivyReportSchema>;

/** Parses Trivy's JSON output. Anything else (not JSON, another shape) is a ScannerError, never a clean report. */
export function parseTrivyReport(text: string): TrivyReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ScannerError(`Trivy's report is not JSON (${(err as Error).message}); ${text.length} bytes starting ${JSON.stringify(text.slice(0, 40))}`, {
      malformed: true,
    });
  }
  const parsed = trivyReportSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = issueLines(parsed.error);
    throw new ScannerError(`Trivy's report does not have the expected shape: ${lines.slice(0, 5).join('; ')}${lines.length > 5 ? ` (+${lines.length - 5} more)` : ''}`, {
      malformed: true,
      lines,
    });
  }
  return parsed.data;
}

/** Keys whose values may quote a secret: the matched line, code excerpts, the Dockerfile instruction of a layer. */
const SECRET_BEARING = new Set(['Match', 'Code', 'CreatedBy', 'created_by']);

/**
 * A copy of the report safe to store and show: secret matches and code excerpts removed, image history
 * commands removed, environment variables reduced to their names (ENV values can hold credentials).
 */
export function redactReport(report: unknown): unknown {
  const walk = (value: unknown, key: string | undefined): unknown => {
    if (Array.isArray(value)) {
      if (key === 'Env') return value.map((e) => (typeof e === 'string' ? `${e.split('=')[0]}=<redacted>` : e));
      return value.map((v) => walk(v, undefined));
    }
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (!SECRET_BEARING.has(k)) out[k] = walk(v, k);
      return out;
    }
    return value;
  };
  return walk(report, undefined);
}
