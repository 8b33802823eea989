import { z } from 'zod';
import { DEFAULT_FLAG_THRESHOLDS, type FlagThresholds } from './flag-rules';

// The `flags:` block of airlock.policy.yaml (issue 18): the thresholds a flag rollout judges its `on` variant
// by. Read from the environment's protected policy (the one at the commit the environment runs), never from
// the change or the caller: the author of a flag cannot pick laxer thresholds. Every key is optional (the
// defaults are DEFAULT_FLAG_THRESHOLDS) and bounded: a policy can make a check stricter or looser within
// reason, not switch it off (a 5xx share above 25% is no check).

/** The loosest a policy may go: beyond these a check no longer judges anything. */
export const FLAG_THRESHOLD_LIMITS = { maxRate: 0.25, minRequests: { min: 5, max: 100_000 } } as const;

const rate = (what: string) =>
  z
    .number({ error: 'must be a number (a share, 0..1)' })
    .min(0, 'must be at least 0')
    .max(FLAG_THRESHOLD_LIMITS.maxRate, `must be at most ${FLAG_THRESHOLD_LIMITS.maxRate}: a looser ${what} no longer judges anything`);

export const flagThresholdsSchema = z
  .object({
    /** Most 5xx share of the `on` variant over a window. */
    maxErrorRate: rate('5xx share').default(DEFAULT_FLAG_THRESHOLDS.maxErrorRate),
    /** Most 401/403 share of the `on` variant over a window. */
    maxDeniedRate: rate('401/403 share').default(DEFAULT_FLAG_THRESHOLDS.maxDeniedRate),
    /** The comparison against `off` over the same window: how much worse `on` may be, per rate. */
    maxDegradation: rate('difference from off').default(DEFAULT_FLAG_THRESHOLDS.maxDegradation),
    /** Fewest `on` requests a window judges by (a quarter of it is enough to fail a step). */
    minRequests: z
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(FLAG_THRESHOLD_LIMITS.minRequests.min, `must be at least ${FLAG_THRESHOLD_LIMITS.minRequests.min}: fewer requests judge nothing`)
      .max(FLAG_THRESHOLD_LIMITS.minRequests.max, `must be at most ${FLAG_THRESHOLD_LIMITS.minRequests.max}`)
      .default(DEFAULT_FLAG_THRESHOLDS.minRequests),
  })
  .strict() satisfies z.ZodType<FlagThresholds, unknown>;

export const flagPolicySchema = z
  .object({ thresholds: flagThresholdsSchema.default(DEFAULT_FLAG_THRESHOLDS) })
  .strict();
export type FlagPolicy = z.output<typeof flagPolicySchema>;

/** The thresholds of a parsed policy's `flags:` block (absent: the defaults). */
export const flagThresholdsOf = (flags: FlagPolicy | undefined): FlagThresholds => ({ ...DEFAULT_FLAG_THRESHOLDS, ...flags?.thresholds });
