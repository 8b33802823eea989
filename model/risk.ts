import { z } from 'zod';

// Output of change analysis + risk scoring (issue "Change analysis and explainable risk scoring").
// Owner: activities/change + activities/risk. The workflow only reads these fields.

export const riskLevelSchema = z.enum(['low', 'medium', 'high']);
export type RiskLevel = z.output<typeof riskLevelSchema>;

export const riskSignalSchema = z.object({
  kind: z.string(),
  weight: z.number(),
  reason: z.string(),
  files: z.array(z.string()),
});
export type RiskSignal = z.output<typeof riskSignalSchema>;

export const riskAssessmentSchema = z.object({
  score: z.number().min(0).max(100),
  level: riskLevelSchema,
  signals: z.array(riskSignalSchema),
  stats: z.object({ files: z.number(), additions: z.number(), deletions: z.number() }).passthrough(),
});
export type RiskAssessment = z.output<typeof riskAssessmentSchema>;
