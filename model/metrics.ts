// DORA's four keys and airlock's security metrics (`airlock metrics`, the dashboard). Zod-free plain types:
// the records are built by the CLI from workflow histories it decoded itself, never from user input.
// Definitions and their sources: docs/metrics.md.
import type { OutcomeKind } from './pipeline';
import type { RiskLevel } from './risk';
import { bandAtLeast, bandAtMost, bandBelow, DAY, DORA_BANDS, type Band } from './dora-bands';

export { bandAtLeast, bandAtMost, bandBelow, DORA_BANDS, type Band } from './dora-bands';

export const RISK_LEVELS = ['low', 'medium', 'high'] as const satisfies readonly RiskLevel[];

/** One pipeline, reduced to the instants and facts the metrics need (all times ISO-8601, from history events). */
export interface PipelineRecord {
  pipelineId: string;
  service: string;
  environment: string;
  headCommit: string;
  /** When the pipeline was triggered (workflow start). */
  startedAt: string;
  closedAt?: string;
  /** Absent while the pipeline runs (or when it ended without a result: terminated, timed out). */
  outcome?: OutcomeKind;
  /** The workflow's status when it has no outcome (`terminated`, `timed-out`...); absent or `running` while it runs. */
  status?: string;
  /** The head commit's committer date, from git (the workflow input carries no commit time); absent when unknown. */
  commitTime?: string;
  /** The level the approval was routed by (a first release or a gate-file change is high). */
  riskLevel?: RiskLevel;
  /** How the approval gate was passed; absent when the pipeline never reached it. */
  approval?: { automatic: boolean; requestedAt?: string; decidedAt?: string };
  /** Rule names of the blocking violations, for `blocked_by_policy` pipelines. */
  blockedRules?: string[];
  /** The candidate first got user traffic (the first traffic shift completed). */
  trafficAt?: string;
  /** The rollback was decided: the check that failed had just completed (the first compensation was scheduled). */
  detectedAt?: string;
  /** The stable release serves 100% again (the traffic shift back to stable, else the rollback, completed). */
  restoredAt?: string;
  /** The candidate became the stable release (the promote activity completed). */
  promotedAt?: string;
  /** The pipeline's own image scan. */
  scan?: { scannedAt: string; image: string; vulnerabilities: Record<string, number>; secrets: number; misconfigurations: number };
}

/** The newest scheduled rescan of what an environment runs (docs/compliance.md), as `airlock compliance` reads it. */
export interface RescanRecord {
  service: string;
  environment: string;
  /** the digest the rescan scanned (repo@sha256:...) */
  image: string;
  scannedAt: string;
  compliant: boolean;
  /** blocking findings without a valid exception */
  findings: number;
}

export interface RunningRelease {
  service: string;
  environment: string;
  pipelineId: string;
  image?: string;
  promotedAt: string;
  /** the newest scan of this digest: its pipeline's, or a scheduled rescan's when newer */
  scannedAt?: string;
  /** the newest scheduled rescan of this digest, with its compliance decision */
  rescan?: { scannedAt: string; compliant: boolean; findings: number };
  /** scanned within the rescan interval before `now` */
  scannedWithinInterval: boolean;
  vulnerabilities: Record<string, number>;
  secrets: number;
  misconfigurations: number;
}

export interface MetricsReport {
  window: { since: string; until: string; days: number };
  filter: { service?: string; env?: string };
  /** Pipelines triggered in the window, by outcome (`running` when not finished; the workflow status, e.g. `terminated`, when it ended without one). */
  pipelines: { total: number; byOutcome: Record<string, number> };
  dora: {
    deploymentFrequency: { promoted: number; perDay: number; perWeek: number; band: Band };
    leadTime: { medianMs: number | null; samples: number; missingCommitTime: number; band: Band | null; commitTimeFrom: 'git committer date' };
    changeFailureRate: { promoted: number; rolledBack: number; rate: number | null; band: Band | null };
    timeToRestore: { medianMs: number | null; samples: number; band: Band | null };
  };
  security: {
    blockedByPolicy: { total: number; byRule: Record<string, number> };
    approvalWait: { medianMs: number | null; samples: number };
    autoApproved: Record<RiskLevel, { changes: number; automatic: number; share: number | null }>;
    timeToDetect: { meanMs: number | null; samples: number };
    runningReleases: {
      /** where scan times come from: the pipelines' own scans, and scheduled rescans once a running release had one */
      scanSource: 'pipeline scans' | 'pipeline scans and scheduled rescans';
      scanIntervalMs: number;
      releases: RunningRelease[];
      scanCoverage: number | null;
      openFindings: { vulnerabilities: Record<string, number>; secrets: number; misconfigurations: number };
    };
  };
}

/** The default rescan interval (the policy's compliance.rescanEvery default). */
export const DEFAULT_SCAN_INTERVAL_MS = DAY;

export interface MetricsOptions {
  since: Date;
  filter?: { service?: string; env?: string };
  /** A running release counts as covered when scanned within this interval (policy compliance.rescanEvery's default: 24h). */
  scanIntervalMs?: number;
  /** The newest scheduled rescan per environment: a running release rescanned since its pipeline's scan counts by that scan. */
  rescans?: RescanRecord[];
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const mean = (values: number[]): number | null => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);

const ms = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
};

/** end - start, when both are known and in order (a negative span means a clock or data problem: left out). */
function span(start?: string, end?: string): number | undefined {
  const a = ms(start);
  const b = ms(end);
  return a !== undefined && b !== undefined && b >= a ? b - a : undefined;
}

/** The rule name of a violation line (`rule (severity): detail`, `rule: detail`). */
export const ruleOf = (violation: string): string => /^[^\s:(]+/.exec(violation.trim())?.[0] ?? violation;

const emptyCounts = (): Record<string, number> => ({ CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });

/**
 * The metrics over `records`: the window [since, now] selects the events (a promotion, a rollback, a block)
 * that happened in it; the running releases are the newest promoted pipeline per (service, environment)
 * among all records, whenever it was promoted.
 */
export function computeMetrics(records: PipelineRecord[], now: Date, options: MetricsOptions): MetricsReport {
  const since = options.since.getTime();
  const until = now.getTime();
  const days = Math.max(until - since, 0) / DAY;
  const inWindow = (iso?: string) => {
    const t = ms(iso);
    return t !== undefined && t >= since && t <= until;
  };
  const matches = (r: PipelineRecord) => (!options.filter?.service || r.service === options.filter.service) && (!options.filter?.env || r.environment === options.filter.env);
  const all = records.filter(matches);
  const triggered = all.filter((r) => inWindow(r.startedAt));

  const byOutcome: Record<string, number> = {};
  for (const r of triggered) {
    const key = r.outcome ?? r.status ?? 'running';
    byOutcome[key] = (byOutcome[key] ?? 0) + 1;
  }

  const promoted = all.filter((r) => r.outcome === 'promoted' && inWindow(r.promotedAt ?? r.closedAt));
  const rolledBack = all.filter((r) => r.outcome === 'rolled_back' && inWindow(r.closedAt));

  const perDay = days > 0 ? promoted.length / days : 0;
  const leadTimes = promoted.map((r) => span(r.commitTime, r.promotedAt ?? r.closedAt)).filter((x): x is number => x !== undefined);
  const leadMedian = median(leadTimes);
  const failures = promoted.length + rolledBack.length;
  const cfr = failures ? rolledBack.length / failures : null;
  const restores = rolledBack.map((r) => span(r.trafficAt, r.restoredAt)).filter((x): x is number => x !== undefined);
  const restoreMedian = median(restores);

  const blocked = all.filter((r) => r.outcome === 'blocked_by_policy' && inWindow(r.closedAt));
  const byRule: Record<string, number> = {};
  for (const r of blocked) for (const rule of new Set(r.blockedRules ?? [])) byRule[rule] = (byRule[rule] ?? 0) + 1;

  const gated = triggered.filter((r) => r.approval && r.riskLevel);
  const waits = gated.filter((r) => !r.approval!.automatic).map((r) => span(r.approval!.requestedAt, r.approval!.decidedAt)).filter((x): x is number => x !== undefined);
  const autoApproved = Object.fromEntries(
    RISK_LEVELS.map((level) => {
      const at = gated.filter((r) => r.riskLevel === level);
      const automatic = at.filter((r) => r.approval!.automatic).length;
      return [level, { changes: at.length, automatic, share: at.length ? automatic / at.length : null }];
    }),
  ) as MetricsReport['security']['autoApproved'];
  const detections = rolledBack.map((r) => span(r.trafficAt, r.detectedAt)).filter((x): x is number => x !== undefined);

  const scanIntervalMs = options.scanIntervalMs ?? DEFAULT_SCAN_INTERVAL_MS;
  const releases = runningReleases(all, now, scanIntervalMs, options.rescans);
  const open = { vulnerabilities: emptyCounts(), secrets: 0, misconfigurations: 0 };
  for (const r of releases) {
    for (const [sev, n] of Object.entries(r.vulnerabilities)) open.vulnerabilities[sev] = (open.vulnerabilities[sev] ?? 0) + n;
    open.secrets += r.secrets;
    open.misconfigurations += r.misconfigurations;
  }

  return {
    window: { since: options.since.toISOString(), until: now.toISOString(), days },
    filter: { ...(options.filter?.service ? { service: options.filter.service } : {}), ...(options.filter?.env ? { env: options.filter.env } : {}) },
    pipelines: { total: triggered.length, byOutcome },
    dora: {
      deploymentFrequency: { promoted: promoted.length, perDay, perWeek: perDay * 7, band: bandAtLeast(perDay, DORA_BANDS.deploymentsPerDay) },
      leadTime: {
        medianMs: leadMedian,
        samples: leadTimes.length,
        missingCommitTime: promoted.filter((r) => !r.commitTime).length,
        band: leadMedian === null ? null : bandBelow(leadMedian, DORA_BANDS.leadTimeMs),
        commitTimeFrom: 'git committer date',
      },
      changeFailureRate: { promoted: promoted.length, rolledBack: rolledBack.length, rate: cfr, band: cfr === null ? null : bandAtMost(cfr, DORA_BANDS.changeFailureRate) },
      timeToRestore: { medianMs: restoreMedian, samples: restores.length, band: restoreMedian === null ? null : bandBelow(restoreMedian, DORA_BANDS.timeToRestoreMs) },
    },
    security: {
      blockedByPolicy: { total: blocked.length, byRule },
      approvalWait: { medianMs: median(waits), samples: waits.length },
      autoApproved,
      timeToDetect: { meanMs: mean(detections), samples: detections.length },
      runningReleases: {
        scanSource: releases.some((r) => r.rescan) ? 'pipeline scans and scheduled rescans' : 'pipeline scans',
        scanIntervalMs,
        releases,
        scanCoverage: releases.length ? releases.filter((r) => r.scannedWithinInterval).length / releases.length : null,
        openFindings: open,
      },
    },
  };
}

/** The newest promoted pipeline of each (service, environment): what serves it now (a manual rollback aside, docs/metrics.md). */
export function runningReleases(records: PipelineRecord[], now: Date, scanIntervalMs: number, rescans: RescanRecord[] = []): RunningRelease[] {
  const newest = new Map<string, PipelineRecord>();
  for (const r of records) {
    if (r.outcome !== 'promoted') continue;
    const at = ms(r.promotedAt ?? r.closedAt);
    if (at === undefined || at > now.getTime()) continue;
    const key = `${r.service}\u0000${r.environment}`;
    const prev = newest.get(key);
    if (!prev || at > ms(prev.promotedAt ?? prev.closedAt)!) newest.set(key, r);
  }
  return [...newest.values()]
    .sort((a, b) => a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment))
    .map((r) => {
      // a rescan counts for this release only when it scanned the same digest (not one put in place since by hand)
      const rescan = rescans.find((x) => x.service === r.service && x.environment === r.environment && r.scan?.image && x.image === r.scan.image && ms(x.scannedAt) !== undefined);
      const newestScan = [r.scan?.scannedAt, rescan?.scannedAt].filter((x): x is string => !!x).sort((a, b) => ms(a)! - ms(b)!).at(-1);
      const scanned = ms(newestScan);
      return {
        service: r.service,
        environment: r.environment,
        pipelineId: r.pipelineId,
        ...(r.scan?.image ? { image: r.scan.image } : {}),
        promotedAt: (r.promotedAt ?? r.closedAt)!,
        ...(newestScan ? { scannedAt: newestScan } : {}),
        ...(rescan ? { rescan: { scannedAt: rescan.scannedAt, compliant: rescan.compliant, findings: rescan.findings } } : {}),
        scannedWithinInterval: scanned !== undefined && now.getTime() - scanned <= scanIntervalMs,
        vulnerabilities: { ...emptyCounts(), ...(r.scan?.vulnerabilities ?? {}) },
        secrets: r.scan?.secrets ?? 0,
        misconfigurations: r.scan?.misconfigurations ?? 0,
      };
    });
}
