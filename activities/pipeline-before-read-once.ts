import type { ChangeSummary, PipelineActivities } from '../model/activities';
import { changeAnalysisSchema, type ChangeAnalysis } from '../model/change';
import { parseWith } from '../model/parse';
import type { RiskAssessment } from '../model/risk';
import { hasEvidence, readEvidence } from './evidence';
import { GitError } from './errors';
import { readPolicy } from './policy';

export interface BeforeReadOnceDeps {
  /** The evidence store directory. */
  evidence: string;
  readBasePolicy: (input: { repo: string; commit: string; path: string }) => ReturnType<PipelineActivities['readBasePolicy']>;
  /** base..head analyzed into the evidence store. */
  analyze: (input: { repo: string; baseCommit: string; headCommit: string; policyPath?: string }) => Promise<{ analysis: ChangeAnalysis; summary: ChangeSummary }>;
  scoreRisk: (analysis: ChangeAnalysis, riskPolicy?: unknown) => Promise<RiskAssessment>;
  /** The worker's git directory holding `commits` of the repository URL (shared/fetch.ts). */
  fetched: (url: string, ...commits: string[]) => Promise<string>;
}

/**
 * The activities pipelines started before patch `read-once` (workflows/change-analysis.ts) still call,
 * as thin adapters over the current ones. Remove them, with their entries in model/activities.ts, once
 * the patch is deprecated and no such pipeline runs.
 */
export function activitiesBeforeReadOnce(deps: BeforeReadOnceDeps) {
  return {
    readPolicySnapshot: async (input) => (await deps.readBasePolicy({ repo: input.repo, commit: input.commit, path: input.path })).snapshot,

    analyzeChange: async (input) => (await deps.analyze(input)).summary,

    // These pipelines pass the analysis by its digest and the policy by where it is: both are read again here.
    // Workers share no disk (docs/scale-out.md): analyzeChange may have run on another pipeline worker, so an
    // analysis not in this worker's store is made again from the repository (the same commits give the same
    // analysis) and must have the digest the workflow carries.
    scoreRisk: async (input) => {
      let analysis: ChangeAnalysis;
      if (await hasEvidence(deps.evidence, input.analysisDigest)) {
        const stored = JSON.parse((await readEvidence(deps.evidence, input.analysisDigest)).toString('utf8')) as unknown;
        analysis = parseWith(changeAnalysisSchema, stored, `change analysis ${input.analysisDigest}`);
      } else {
        const again = await deps.analyze(input);
        if (again.summary.analysisDigest !== input.analysisDigest)
          throw new GitError(`the change analysis of ${input.baseCommit.slice(0, 12)}..${input.headCommit.slice(0, 12)} made again here is ${again.summary.analysisDigest}, not ${input.analysisDigest}`, {
            expected: input.analysisDigest,
            actual: again.summary.analysisDigest,
          });
        analysis = again.analysis;
      }
      const base = await readPolicy({ repo: await deps.fetched(input.repo, input.baseCommit), commit: input.baseCommit, path: input.policyPath });
      return deps.scoreRisk(analysis, base.policy.risk);
    },
  } satisfies Pick<PipelineActivities, 'readPolicySnapshot' | 'analyzeChange' | 'scoreRisk'>;
}
