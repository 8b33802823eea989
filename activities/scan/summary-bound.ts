import { severityRank, type ScanSummary, type Severity } from '../../model/scan';

// The scan summary travels in workflow history (activity result, then every workflow that carries it).
// Temporal refuses a payload over 2 MB and a workflow whose task fails that way is stuck, so a huge image
// (tens of thousands of packages, a vendored test corpus full of "secrets") must never produce a big one.
// Strings are clipped, each list capped (highest severity kept), and a final byte budget drops the tail of
// the largest list until the whole summary fits. What is dropped is counted, and stays in the full report.

/** Longest string kept from Trivy's report (ids, names, paths, titles). */
export const MAX_STRING = 256;
/** Most aliases kept per vulnerability. */
export const MAX_ALIASES = 8;
/** Per-list caps; vulnerabilities' is MAX_FINDINGS in summarize.ts. */
export const LIST_CAPS = { secrets: 200, misconfigurations: 200, licenses: 500 } as const;
/** Upper bound of JSON.stringify(summary).length: far below Temporal's 2 MB payload limit, with room for the rest of the state. */
export const SUMMARY_BUDGET = 256 * 1024;

export const clip = (s: string): string => (s.length > MAX_STRING ? `${s.slice(0, MAX_STRING - 1)}…` : s);

/** A finding with every string clipped and every string list capped (aliases). Numbers and severities unchanged. */
function clipFinding<T extends object>(finding: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(finding))
    out[k] = typeof v === 'string' ? clip(v) : Array.isArray(v) ? v.slice(0, MAX_ALIASES).map((x) => (typeof x === 'string' ? clip(x) : x)) : v;
  return out as T;
}

type Lists = 'secrets' | 'misconfigurations' | 'licenses';
const bySeverity = <T extends { severity: Severity }>(items: T[]): T[] => [...items].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
const size = (v: unknown): number => JSON.stringify(v).length;

/** `summary` within SUMMARY_BUDGET, with what was left out counted in `omitted` / `vulnerabilities.omitted`. */
export function boundSummary(summary: ScanSummary): ScanSummary {
  const before = summary.omitted;
  const omitted = { secrets: before?.secrets ?? 0, misconfigurations: before?.misconfigurations ?? 0, licenses: before?.licenses ?? 0 };
  // Clipping comes after deduplication (summarize.ts): two long names that share a prefix stay two findings.
  const out: ScanSummary = {
    ...summary,
    ...(summary.baseImage !== undefined ? { baseImage: clip(summary.baseImage) } : {}),
    vulnerabilities: { ...summary.vulnerabilities, findings: summary.vulnerabilities.findings.map(clipFinding) },
  };
  for (const key of ['secrets', 'misconfigurations', 'licenses'] as const) {
    const sorted = bySeverity<ScanSummary[Lists][number]>(summary[key]);
    (out[key] as unknown[]) = sorted.slice(0, LIST_CAPS[key]).map(clipFinding);
    omitted[key] += Math.max(0, sorted.length - LIST_CAPS[key]);
  }
  let vulnOmitted = summary.vulnerabilities.omitted ?? 0;
  // Lists are sorted worst first: dropping from the end keeps what the gate and a reviewer most need.
  while (size(out) > SUMMARY_BUDGET) {
    const lists = [
      ['vulnerabilities', out.vulnerabilities.findings] as const,
      ...(['secrets', 'misconfigurations', 'licenses'] as const).map((k) => [k, out[k] as unknown[]] as const),
    ];
    const [name, list] = lists.reduce((a, b) => (size(b[1]) > size(a[1]) ? b : a));
    if (list.length === 0) break; // nothing left to drop: the fixed fields alone are tiny
    const drop = Math.max(1, Math.ceil(list.length / 10));
    if (name === 'vulnerabilities') {
      out.vulnerabilities.findings = out.vulnerabilities.findings.slice(0, -drop);
      vulnOmitted += drop;
    } else {
      (out[name] as unknown[]) = list.slice(0, -drop);
      omitted[name] += drop;
    }
  }
  out.vulnerabilities.omitted = vulnOmitted;
  const anyOmitted = omitted.secrets + omitted.misconfigurations + omitted.licenses > 0;
  if (anyOmitted) out.omitted = omitted;
  else delete out.omitted;
  return out;
}
