import { emptyCounts, severityRank, type ScanSummary, type VulnerabilityFinding } from '../../model/scan';
import type { TrivyReport } from './trivy-report';
import { boundSummary } from './summary-bound';

/** Findings kept in the summary (the workflow payload); the full list stays in the stored report. */
export const MAX_FINDINGS = 500;

export const BASE_IMAGE_LABEL = 'dev.airlock.base-image';

export type SummaryMeta = Pick<ScanSummary, 'image' | 'reportDigest' | 'sbomDigest' | 'trivyVersion' | 'dbMode' | 'dbUpdatedAt' | 'dbNextUpdate' | 'imageUser'>;

const unique = <T>(items: T[], key: (t: T) => string): T[] => [...new Map(items.map((i) => [key(i), i])).values()];

/**
 * The workflow-sized summary of a Trivy report: counts, findings by id and location, never a secret value.
 * Bounded in size whatever the report (summary-bound.ts): deduplicated first, then strings clipped and lists capped.
 */
export function summarize(report: TrivyReport, meta: SummaryMeta): ScanSummary {
  return boundSummary(summarizeAll(report, meta));
}

function summarizeAll(report: TrivyReport, meta: SummaryMeta): ScanSummary {
  const results = report.Results ?? [];
  const vulns = unique(
    results.flatMap((r) =>
      (r.Vulnerabilities ?? []).map(
        (v): VulnerabilityFinding => ({
          id: v.VulnerabilityID,
          ...(v.VendorIDs?.length ? { aliases: v.VendorIDs } : {}),
          pkg: v.PkgName,
          installed: v.InstalledVersion,
          ...(v.FixedVersion ? { fixed: v.FixedVersion } : {}),
          severity: v.Severity,
          target: r.Target,
          ...(v.Title ? { title: v.Title.slice(0, 200) } : {}),
        }),
      ),
    ),
    (f) => `${f.id}|${f.pkg}|${f.installed}`,
  ).sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
  const counts = emptyCounts();
  for (const f of vulns) counts[f.severity]++;
  const baseImage = report.Metadata.ImageConfig?.config?.Labels?.[BASE_IMAGE_LABEL];
  return {
    image: meta.image,
    vulnerabilities: { counts, findings: vulns.slice(0, MAX_FINDINGS), omitted: Math.max(0, vulns.length - MAX_FINDINGS) },
    secrets: unique(
      results.flatMap((r) =>
        (r.Secrets ?? []).map((s) => ({
          ruleId: s.RuleID,
          category: s.Category,
          ...(s.Title ? { title: s.Title } : {}),
          severity: s.Severity,
          target: r.Target,
          line: s.StartLine,
        })),
      ),
      (s) => `${s.ruleId}|${s.target}|${s.line}`,
    ),
    misconfigurations: unique(
      results.flatMap((r) =>
        (r.Misconfigurations ?? [])
          .filter((m) => m.Status === 'FAIL')
          .map((m) => ({ id: m.ID, severity: m.Severity, title: m.Title, target: r.Target })),
      ),
      (m) => `${m.id}|${m.target}`,
    ),
    licenses: unique(
      results.flatMap((r) =>
        (r.Licenses ?? []).map((l) => ({
          name: l.Name,
          pkg: l.PkgName ?? l.FilePath ?? r.Target,
          severity: l.Severity,
          ...(l.Category ? { category: l.Category } : {}),
        })),
      ),
      (l) => `${l.name}|${l.pkg}`,
    ),
    ...(baseImage ? { baseImage } : {}),
    ...(meta.imageUser ? { imageUser: meta.imageUser } : {}),
    reportDigest: meta.reportDigest,
    sbomDigest: meta.sbomDigest,
    trivyVersion: meta.trivyVersion,
    dbMode: meta.dbMode,
    ...(meta.dbUpdatedAt ? { dbUpdatedAt: meta.dbUpdatedAt } : {}),
    ...(meta.dbNextUpdate ? { dbNextUpdate: meta.dbNextUpdate } : {}),
  };
}
