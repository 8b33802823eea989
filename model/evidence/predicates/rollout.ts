import { z } from 'zod';
import type { CanaryVerdict } from '../../deploy';
import type { RolloutStep } from '../../rollout';

// One rollout record per environment the image reached: the steps, each analysis verdict and the outcome.

export const ROLLOUT_TYPE = 'https://airlock.dev/attestation/rollout/v1';

const measurementSchema = z.object({
  metric: z.string(),
  step: z.number(),
  value: z.number().nullable(),
  threshold: z.number(),
  stableValue: z.number().nullable().optional(),
  passed: z.boolean(),
  at: z.string(),
  query: z.string(),
  check: z.number().int().optional(),
  status: z.enum(['pass', 'fail', 'inconclusive', 'skipped']).optional(),
  note: z.string().optional(),
  pValue: z.number().optional(),
  counts: z.object({ candidate: z.tuple([z.number(), z.number()]), stable: z.tuple([z.number(), z.number()]).optional() }).optional(),
});

export const rolloutPredicateSchema = z.object({
  environment: z.string().min(1),
  releaseId: z.string().min(1),
  strategy: z.enum(['canary', 'blue-green']),
  steps: z.array(z.object({ weight: z.number().min(0).max(100), analyze: z.boolean() })),
  analysis: z.array(
    z.object({
      step: z.number(),
      verdict: z.enum(['pass', 'fail']),
      reason: z.string().optional(),
      checks: z.number().int().optional(),
      failedChecks: z.number().int().optional(),
      inconclusiveChecks: z.number().int().optional(),
      requests: z.object({ candidate: z.number(), stable: z.number().nullable() }).optional(),
      measurements: z.array(measurementSchema),
    }),
  ),
  outcome: z.enum(['promoted', 'rolled_back']),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }),
});
export type RolloutPredicate = z.output<typeof rolloutPredicateSchema>;

export interface RolloutInput {
  environment: string;
  releaseId: string;
  strategy: 'canary' | 'blue-green';
  steps: RolloutStep[];
  analysis: CanaryVerdict[];
  outcome: 'promoted' | 'rolled_back';
  startedAt: string;
  finishedAt: string;
}

/** Load details and analysis settings stay in the history; the record keeps the verdicts and what they measured. */
export function rolloutPredicate(i: RolloutInput): RolloutPredicate {
  return {
    environment: i.environment,
    releaseId: i.releaseId,
    strategy: i.strategy,
    steps: i.steps.map((s) => ({ weight: s.weight, analyze: s.analyze })),
    analysis: i.analysis.map((v) => ({
      step: v.step,
      verdict: v.verdict,
      ...(v.reason ? { reason: v.reason } : {}),
      ...(v.checks !== undefined ? { checks: v.checks } : {}),
      ...(v.failedChecks !== undefined ? { failedChecks: v.failedChecks } : {}),
      ...(v.inconclusiveChecks !== undefined ? { inconclusiveChecks: v.inconclusiveChecks } : {}),
      ...(v.requests ? { requests: v.requests } : {}),
      measurements: v.measurements,
    })),
    outcome: i.outcome,
    startedAt: i.startedAt,
    finishedAt: i.finishedAt,
  };
}
