import { activeFreezeWindow, approvalRule, policyDurationMs, type LoadedPolicy, type Policy } from '../../model/policy';
import type { PolicyVerdict, PolicyViolation, ViolationSeverity } from '../../model/policy-verdict';
import type { RiskAssessment } from '../../model/risk';
import type { ScanSummary } from '../../model/scan';
import { applyExceptions } from './exceptions';
import { baseImageRules, dbAgeRules, dockerfileRules, imageUserRules, licenseRules, secretRules, vulnerabilityRules, type Candidate } from './gate-rules';
import { requirementChecks } from './security-requirements';

export type { LoadedPolicy };

export interface EvaluationContext {
  environment?: string;
  /** Freeze windows block forward deploys, never rollbacks. */
  action?: 'deploy' | 'rollback';
}

const ORDER: ViolationSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];

/**
 * The policy gate: a pure function of the policy, the scan summary, the risk assessment (optional) and
 * the time. Exceptions apply until they expire; freeze windows block deploys but not rollbacks.
 */
export function policyVerdict(
  loaded: LoadedPolicy,
  scan: ScanSummary,
  risk: RiskAssessment | undefined,
  now: Date,
  context: EvaluationContext = {},
): PolicyVerdict {
  const { policy } = loaded;
  const action = context.action ?? 'deploy';
  const req = requirementChecks(policy.security_requirements);
  const candidates: Candidate[] = [
    ...vulnerabilityRules(policy.gates, scan),
    ...dbAgeRules(policy.gates, scan, now),
    ...secretRules(policy.gates, req, scan),
    ...imageUserRules(policy.gates, scan),
    ...dockerfileRules(policy.gates, scan),
    ...licenseRules(policy.gates, scan),
    ...baseImageRules(policy.gates, scan),
    ...freezeRule(policy, context.environment, action, now),
  ];
  const { violations, applied } = applyExceptions(policy, now, candidates);
  violations.sort((a, b) => Number(b.blocking) - Number(a.blocking) || ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity));
  return {
    allowed: !violations.some((v) => v.blocking),
    violations,
    exceptionsApplied: applied,
    policyDigest: loaded.digest,
    notVerifiable: req.notVerifiable,
    evaluatedAt: now.toISOString(),
    action,
    ...(scan.imageUser ? { imageUser: { user: scan.imageUser.user, ...(scan.imageUser.uid !== undefined ? { uid: scan.imageUser.uid } : {}) } } : {}),
    ...(context.environment !== undefined ? { environment: context.environment } : {}),
    ...(risk
      ? { approvals: { level: risk.level, ...approvalRule(policy, risk.level), timeoutMs: policyDurationMs(policy.approvals.timeout) } }
      : {}),
  };
}

function freezeRule(policy: Policy, environment: string | undefined, action: 'deploy' | 'rollback', now: Date): Candidate[] {
  if (action === 'rollback') return [];
  const w = activeFreezeWindow(policy, environment, now);
  if (!w) return [];
  const violation: PolicyViolation = {
    rule: 'freeze-window',
    severity: 'high',
    blocking: true,
    subject: w.name,
    detail: `deploys to ${environment ?? 'this environment'} are frozen by window "${w.name}"${w.reason ? ` (${w.reason})` : ''}; rollbacks stay allowed`,
  };
  return [{ violation }];
}
