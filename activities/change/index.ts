import { riskPolicySchema, type ChangeAnalysis } from '../../model/change';
import { issueLines } from '../../model/parse';
import type { RiskAssessment } from '../../model/risk';
import { InvalidInputError, withFailures } from '../errors';
import { scoreRisk } from '../risk';
import { analyzeChange, type AnalyzeChangeInput } from './analyze-change';

export { analyzeChange, type AnalyzeChangeInput } from './analyze-change';
export { analyzeFile } from './analyze-file';
export { resolveRange } from './revisions';

/**
 * The change-analysis and risk-scoring activities for the worker. analyzeChange runs git (read-only);
 * scoreRisk is pure and takes the `risk:` block of the policy read at the BASE commit (never the head's,
 * which the change under review could have edited). AirlockErrors leave as typed, non-retryable ApplicationFailures (GitError,
 * InvalidInputError).
 */
export function createChangeActivities(): {
  analyzeChange: (input: AnalyzeChangeInput) => Promise<ChangeAnalysis>;
  scoreRisk: (analysis: ChangeAnalysis, riskPolicy?: unknown) => Promise<RiskAssessment>;
} {
  return {
    analyzeChange: withFailures(analyzeChange),
    scoreRisk: withFailures(async (analysis: ChangeAnalysis, riskPolicy?: unknown) => scoreRisk(analysis, parseRiskPolicy(riskPolicy))),
  };
}

/** The `risk:` block of a policy file (raw or already parsed; absent = built-in defaults). */
function parseRiskPolicy(value: unknown) {
  const result = riskPolicySchema.safeParse(value);
  if (!result.success) {
    throw new InvalidInputError('risk policy', issueLines(result.error).map((l) => `risk.${l}`));
  }
  return result.data;
}
