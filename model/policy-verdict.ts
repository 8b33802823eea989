import type { RiskLevel } from './risk';

// Result of evaluating airlock.policy.yaml against a scan summary and a risk assessment (a pure function).
export type ViolationSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface PolicyViolation {
  /** Rule id, e.g. `vulnerabilities.max-severity`, `secrets`, `dockerfile.non-root`, `freeze-window`. */
  rule: string;
  severity: ViolationSeverity;
  detail: string;
  /** false: reported only (a warning); the verdict is blocked by blocking violations alone. */
  blocking: boolean;
  /** What the violation is about (CVE/GHSA id, check id, secret rule id, license id): the key exceptions match. */
  subject?: string;
}

export interface AppliedException {
  id: string;
  owner: string;
  reason: string;
  expires: string;
  /** The findings this exception let pass, e.g. `GHSA-... in lodash@4.17.20`. */
  covered: string[];
}

export interface PolicyVerdict {
  allowed: boolean;
  /** Blocking first, then by severity. */
  violations: PolicyViolation[];
  exceptionsApplied: AppliedException[];
  /** sha256 of the policy file's bytes (`sha256:<hex>`) */
  policyDigest: string;
  /** security_requirements that airlock cannot check from a scan: reported, not enforced */
  notVerifiable: string[];
  /** The `now` the verdict was computed for (exception expiry and freeze windows depend on it). */
  evaluatedAt: string;
  action: 'deploy' | 'rollback';
  environment?: string;
  /** The user the image runs as, from the scan (`requireNonRoot` is decided on it); uid when known. */
  imageUser?: { user: string; uid?: number };
  /** The approvals the risk level needs under this policy (present when a risk assessment was given). */
  approvals?: { level: RiskLevel; required: number; from: string[]; require: string[]; timeoutMs: number };
}

/**
 * The time-dependent part of the gate, re-checked by the worker's clock immediately before the deploy and
 * before each traffic increase (activity `recheckWindows`): freeze windows, exception expiry (and anything
 * else of the verdict that changed with time, e.g. the vulnerability DB's age).
 */
export interface WindowsRecheck {
  /** The worker's time of the check. */
  checkedAt: string;
  /** false: a blocking violation now (a freeze window, an expired exception). */
  allowed: boolean;
  /** The blocking violations now, as `rule: detail` lines (the state's form). */
  violations: string[];
  /** The active freeze window, when one blocks: what the policy says to do during a rollout and when it ends. */
  freeze?: { name: string; endsAt: string; duringRollout: 'hold' | 'rollback' };
  /** Blocking violations other than the freeze window (an expired exception...). */
  otherBlocking: number;
}
