// What the runtime security stage found (docs/runtime-security.md). No zod here: the workflow bundle imports
// blockingReasons, and the sandbox carries no schema library (test/workflow/bundle.test.ts).

/** The security_requirements the stage checks (model/policy.ts names). */
export const RUNTIME_CHECKS = ['authentication', 'input_validation', 'error_handling', 'encryption_in_transit', 'logging'] as const;
export type RuntimeCheck = (typeof RUNTIME_CHECKS)[number];

/**
 * Per requirement: verified (probed, held), violated (a blocking finding), not-served (TLS: the candidate
 * speaks plain HTTP, TLS is terminated elsewhere: not verified here), not-checked (the policy does not
 * require it, or nothing was there to check; `detail` says which).
 */
export type CheckStatus = 'verified' | 'violated' | 'not-served' | 'not-checked';

export interface RuntimeFinding {
  check: RuntimeCheck;
  /** `GET /api/entries`, or `*` for the whole service (logging, TLS). */
  endpoint: string;
  /** Which probe (e.g. `no-credentials`, `oversized-body`) and its request id. */
  probe: string;
  detail: string;
  /** false: reported only (the policy does not require the check, or an exception covers it). */
  blocking: boolean;
}

export interface RuntimeSecurityReport {
  /** The base URL probed (the candidate's preview URL in a pipeline). */
  url: string;
  endpoints: number;
  requests: number;
  durationMs: number;
  checks: Record<RuntimeCheck, { status: CheckStatus; detail: string }>;
  /** Blocking first; at most MAX_FINDINGS (the count says how many there were). */
  findings: RuntimeFinding[];
  findingCount: number;
  exceptionsApplied: { id: string; owner: string; expires: string; covered: string[] }[];
  /** No blocking finding left. */
  passed: boolean;
  at: string;
}

export const MAX_FINDINGS = 40;

/** One line per blocking finding, for the rollback reason and the pipeline state. */
export function blockingReasons(report: RuntimeSecurityReport): string[] {
  return report.findings.filter((f) => f.blocking).map((f) => `${f.check}: ${f.endpoint}: ${f.detail}`);
}
