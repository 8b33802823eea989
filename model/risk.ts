import { z } from 'zod';

// Output of change analysis + risk scoring (activities/change + activities/risk; the risk policy and
// the ChangeAnalysis it reads are in model/change.ts). The workflow only reads these fields.

export const riskLevelSchema = z.enum(['low', 'medium', 'high']);
export type RiskLevel = z.output<typeof riskLevelSchema>;

export const riskSignalSchema = z.object({
  /** A model/change.ts SIGNAL_KINDS name (`auth`, `airlock-config`, `docs`, ...); a string so other stages may add kinds. */
  kind: z.string(),
  /** Points this signal adds to the score (its policy weight; size scales with the line count). */
  weight: z.number(),
  /** Why, naming the files, functions and lines that raised it. */
  reason: z.string(),
  files: z.array(z.string()),
});
export type RiskSignal = z.output<typeof riskSignalSchema>;

export const riskStatsSchema = z
  .object({
    files: z.number(),
    additions: z.number(),
    deletions: z.number(),
    /** Lines changed outside docs/styles/content/tests and pure renames (what the size signal measures). */
    weightedLines: z.number().optional(),
    /** Functions, methods, routes and exports added, changed or removed. */
    symbols: z.number().optional(),
    /** Distinct directories (two levels deep) touched outside docs/styles/content/tests. */
    directories: z.number().optional(),
    /** Files per path category (a file may count in several). */
    categories: z.record(z.string(), z.number()).optional(),
    /** How the score was computed from the weights: `60 (auth) + 0.25 x 55 (others) = 74`. */
    formula: z.string().optional(),
  })
  .passthrough();
export type RiskStats = z.output<typeof riskStatsSchema>;

export const riskAssessmentSchema = z.object({
  score: z.number().min(0).max(100),
  level: riskLevelSchema,
  /** Strongest first. */
  signals: z.array(riskSignalSchema),
  stats: riskStatsSchema,
});
export type RiskAssessment = z.output<typeof riskAssessmentSchema>;
