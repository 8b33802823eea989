import { z } from 'zod';

// The drift part of the policy's `compliance:` section (issue 16). Its own shape, spread into the section,
// so the rescan settings (rescanEvery, onViolation) and these live side by side without touching each other.

/** Same form as the policy's other durations (model/policy.ts policyDurationSchema; not imported: policy.ts imports this). */
const duration = z.string().regex(/^\d+(s|m|h|d)$/, 'must be a duration like 30m, 24h or 7d');

export const driftPolicyShape = {
  /** How often each environment's Pulumi state is compared with what really runs. */
  driftEvery: duration.default('1h'),
  /** `alert`: send drift.detected; `reconcile`: also bring reality back to the recorded state (under the environment lock). */
  onDrift: z.enum(['alert', 'reconcile']).default('alert'),
};
export const driftPolicySchema = z.object(driftPolicyShape).strict();
export type DriftPolicy = z.output<typeof driftPolicySchema>;
