// Result of evaluating airlock.policy.yaml against a scan summary and a risk assessment (a pure function).
export interface PolicyViolation {
  rule: string;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'info';
  detail: string;
  blocking: boolean;
}

export interface PolicyVerdict {
  allowed: boolean;
  violations: PolicyViolation[];
  exceptionsApplied: { id: string; owner: string; reason: string; expires: string }[];
  /** sha256 of the policy file's bytes */
  policyDigest: string;
  /** security_requirements that airlock cannot check from a scan: reported, not enforced */
  notVerifiable: string[];
}
