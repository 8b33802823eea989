import { z } from 'zod';
import { COMPLIANCE_DURATION, DEFAULT_COMPLIANCE, intervalMs, MAX_RESCAN_MS, MIN_RESCAN_MS, ON_VIOLATION } from './compliance';

/**
 * The rescan part of the policy's `compliance:` section (docs/compliance.md): its own shape, spread into the
 * section next to the drift check's (model/drift-policy.ts). Types and helpers: ./compliance.ts (zod-free).
 */
export const rescanPolicyShape = {
  /** How often the running release is rescanned (10s to 30d). */
  rescanEvery: z
    .string()
    .regex(COMPLIANCE_DURATION, 'must be a duration like 30m, 24h or 7d')
    .refine((d) => {
      const ms = intervalMs(d);
      return ms === undefined || (ms >= MIN_RESCAN_MS && ms <= MAX_RESCAN_MS);
    }, 'must be between 10s and 30d')
    .default(DEFAULT_COMPLIANCE.rescanEvery),
  /** What a non-compliant running release leads to; every choice alerts too (release.noncompliant). */
  onViolation: z.enum(ON_VIOLATION).default(DEFAULT_COMPLIANCE.onViolation),
};
export const complianceSchema = z.object(rescanPolicyShape).strict();
