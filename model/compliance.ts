import type { PolicyViolation } from './policy-verdict';

/**
 * `compliance:` of airlock.policy.yaml (docs/compliance.md): how often the running release of an
 * environment is rescanned with the worker's current Trivy DB, and what a new blocking finding does.
 * Read at the policy's protected anchor like every section. Zod-free: the workflow bundle imports it.
 */

export const COMPLIANCE_DURATION = /^(\d+)(s|m|h|d)$/;

/** Milliseconds of a compliance interval (`24h`); undefined for anything else. */
export function intervalMs(d: string): number | undefined {
  const m = COMPLIANCE_DURATION.exec(d);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export const ON_VIOLATION = ['alert', 'block-promotion', 'rollback'] as const;
export type OnViolation = (typeof ON_VIOLATION)[number];

/** `compliance:` of the policy as parsed (model/compliance-policy.ts has the schema). */
export interface ComplianceSettings {
  rescanEvery: string;
  onViolation: OnViolation;
}
export const DEFAULT_COMPLIANCE: ComplianceSettings = { rescanEvery: '24h', onViolation: 'alert' };

/** Bounds of rescanEvery: shorter than 10 s would rescan faster than Trivy scans. */
export const MIN_RESCAN_MS = 10_000;
export const MAX_RESCAN_MS = 30 * 86_400_000;

// --- schedule ---------------------------------------------------------------------------------------------

/** The Temporal Schedule that rescans the running release of one environment: one per (service, env). */
export const rescanScheduleId = (service: string, environment: string): string => `airlock-rescan/${service}/${environment}`;

/**
 * The schedule's spec for an interval: every `rescanEvery`, with an offset derived from the schedule id
 * so that many environments on the same interval do not all scan at the same second.
 */
export function rescanSpec(rescanEvery: string, scheduleId: string): { intervals: { every: number; offset: number }[] } {
  const every = intervalMs(rescanEvery);
  if (every === undefined || every < MIN_RESCAN_MS || every > MAX_RESCAN_MS) throw new RangeError(`not a rescan interval: ${rescanEvery}`);
  // offsets only for intervals of an hour or more: a short test interval must fire within one interval
  const offset = every >= 3_600_000 ? (hash(scheduleId) % Math.floor(every / 60_000)) * 60_000 : 0;
  return { intervals: [{ every, offset }] };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

// --- decision ---------------------------------------------------------------------------------------------

/** What rescanRelease runs for: the release serving an environment (the schedule's action argument). */
export interface RescanTarget {
  service: string;
  environment: string;
  releaseId: string;
  /** repo@sha256:..., the digest that serves */
  image: string;
  /**
   * Where the environment's protected policy is: the running release's own commit (it passed the gate, so
   * it is the environment's anchor now), read like every anchored policy (airlock.yaml's `policy` path).
   */
  source: { repo: string; commit: string; serviceDir: string };
  /** The pipeline that promoted it. */
  pipelineId: string;
}

export interface ExpiringException {
  id: string;
  owner: string;
  expires: string;
  /** whole days left, rounded down (0: expires today) */
  daysLeft: number;
}

/** What one rescan concluded: the workflow's result and memo, what `airlock compliance` prints. */
export interface ComplianceStatus {
  service: string;
  environment: string;
  releaseId: string;
  image: string;
  compliant: boolean;
  /** when the scan ran (the worker's clock) */
  scannedAt: string;
  /** Trivy DB build time the scan used (metadata.json UpdatedAt) */
  dbUpdatedAt?: string;
  dbMode: 'fixture' | 'online';
  /** sha256 of the redacted report in the evidence store */
  reportDigest: string;
  policyDigest: string;
  /** blocking violations without a valid exception, as `rule subject: detail` */
  findings: string[];
  /** exceptions of the policy that expire within 7 days (or have expired) */
  expiring: ExpiringException[];
  onViolation: OnViolation;
  /** what the rescan did about it: nothing, alerted, rolled back to..., or why it could not */
  action?: string;
}

/**
 * Non-compliant = a blocking violation that no valid exception covers, from the scan of the running digest
 * evaluated with the environment's policy now. Freeze windows are about deploys, not about what runs: left out.
 */
export function complianceFindings(violations: PolicyViolation[]): string[] {
  return violations
    .filter((v) => v.blocking && v.rule !== 'freeze-window')
    .map((v) => `${v.rule}${v.subject ? ` ${v.subject}` : ''}: ${v.detail}`);
}

export const EXPIRY_NOTICE_MS = 7 * 86_400_000;

/** Exceptions ending within 7 days of `now` (expired ones included: they no longer apply). */
export function expiringExceptions(exceptions: { id: string; owner: string; expires: string }[], expiresAt: (e: { expires: string }) => number, now: number): ExpiringException[] {
  return exceptions
    .map((e) => ({ e, at: expiresAt(e) }))
    .filter(({ at }) => at - now <= EXPIRY_NOTICE_MS)
    .map(({ e, at }) => ({ id: e.id, owner: e.owner, expires: e.expires, daysLeft: Math.floor((at - now) / 86_400_000) }));
}

/** What a non-compliant release leads to under `onViolation` (every choice alerts first). */
export function violationActions(compliant: boolean, onViolation: OnViolation): { alert: boolean; rollback: boolean; blockPromotion: boolean } {
  if (compliant) return { alert: false, rollback: false, blockPromotion: false };
  return { alert: true, rollback: onViolation === 'rollback', blockPromotion: onViolation === 'block-promotion' };
}

/** `airlock compliance`'s exit code: 0 when every running release is compliant, 3 otherwise (README). */
export const complianceExitCode = (statuses: { compliant: boolean }[]): 0 | 3 => (statuses.every((s) => s.compliant) ? 0 : 3);

// --- the report ------------------------------------------------------------------------------------------

/** One running release as `airlock compliance` shows it. */
export interface ComplianceEntry {
  service: string;
  environment: string;
  releaseId: string;
  image: string;
  rescanEvery: string;
  /** when the schedule was pointed at this release (its promotion, or a compliance rollback) */
  since: string;
  /** the newest finished rescan of this release, if any */
  last?: ComplianceStatus;
  /** days since the Trivy DB of the last scan was built */
  dbAgeDays?: number;
  compliant: boolean;
  /** why not (or `not rescanned yet`), for the table */
  reason: string;
}

/**
 * Whether the release an environment runs counts as compliant now: its newest rescan found nothing blocking,
 * and that rescan is not older than two intervals (a stalled schedule is not evidence of compliance). A
 * release not rescanned yet counts as compliant during its first two intervals: it passed the gate at promotion.
 */
export function judgeEntry(input: { releaseId: string; since: string; everyMs: number; last?: ComplianceStatus; now: number }): { compliant: boolean; reason: string } {
  const { last, now, everyMs } = input;
  const mine = last && last.releaseId === input.releaseId ? last : undefined;
  if (!mine) {
    const waited = now - Date.parse(input.since);
    return waited <= 2 * everyMs ? { compliant: true, reason: 'not rescanned yet (passed the gate at promotion)' } : { compliant: false, reason: 'no rescan within two intervals: is a worker running?' };
  }
  if (!mine.compliant) return { compliant: false, reason: mine.findings.join('; ') };
  if (now - Date.parse(mine.scannedAt) > 2 * everyMs) return { compliant: false, reason: `last rescan ${mine.scannedAt} is older than two intervals: is a worker running?` };
  return { compliant: true, reason: 'no blocking finding' };
}

/** Whole days between a DB build time and now. */
export const dbAgeDays = (dbUpdatedAt: string | undefined, now: number): number | undefined =>
  dbUpdatedAt && !Number.isNaN(Date.parse(dbUpdatedAt)) ? Math.floor((now - Date.parse(dbUpdatedAt)) / 86_400_000) : undefined;
