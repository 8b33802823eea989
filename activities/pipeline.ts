import { Context } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { ChangeSummary, PipelineActivities } from '../model/activities';
import type { ChangeAnalysis } from '../model/change';
import type { AirlockConfig } from '../infra/config';
import { createBuildActivities } from './build';
import { createChangeActivities } from './change';
import { createDeployActivities } from './deploy';
import { serviceSettingsAtCommit } from './shared';
import { withFailures } from './errors';
import { putEvidence } from './evidence';
import { activitiesBeforeReadOnce } from './pipeline-before-read-once';
import { createPolicyActivities } from './policy';
import { createReadAnchorPolicy } from './policy/anchor-policy';
import { createScanActivities } from './scan';

export interface PipelineActivityDeps {
  config: AirlockConfig;
  docker: Docker;
}

/**
 * The real activities of the deploymentPipeline workflow, by wire name (model/activities.ts). Each stage
 * folder does the work; this only adapts the workflow's small inputs to them. The policy at the BASE
 * commit and airlock.yaml at the head are read once and passed on; the change is analyzed and scored in
 * one activity, its full analysis kept in the evidence store (nothing reads it back) and the workflow
 * carrying the summary and the risk.
 */
export function createPipelineActivities({ config, docker }: PipelineActivityDeps) {
  const change = createChangeActivities();
  const build = createBuildActivities({ docker, config });
  const scan = createScanActivities({ config });
  const policy = createPolicyActivities();
  const deploy = createDeployActivities({ config });
  const evidence = config.dirs.evidence;
  const readAnchorPolicy = createReadAnchorPolicy(config.bootstrapPolicy);

  /** base..head analyzed; the full analysis goes to the evidence store, the workflow gets the summary. */
  const analyze = async (input: { repo: string; baseCommit: string; headCommit: string; policyPath?: string }): Promise<{ analysis: ChangeAnalysis; summary: ChangeSummary }> => {
    const analysis = await change.analyzeChange({ repo: input.repo, base: input.baseCommit, head: input.headCommit, ...(input.policyPath ? { policyPath: input.policyPath } : {}) });
    const analysisDigest = await putEvidence(evidence, JSON.stringify(analysis));
    Context.current().log.info('change analyzed', { files: analysis.stats.files, analysisDigest });
    return { analysis, summary: { ...analysis.stats, authors: analysis.authors, touchesGates: analysis.touchesGates, analysisDigest } };
  };

  const activities = {
    readBasePolicy: (input) => policy.readBasePolicy({ repo: input.repo, commit: input.commit, path: input.path }),

    resolveAnchor: (input) => deploy.resolveAnchor({ releaseId: input.releaseId, repo: input.repo, service: input.service, environment: input.environment, headCommit: input.headCommit }),

    readAnchorPolicy: withFailures((input) => readAnchorPolicy(input)),

    readManifest: withFailures((input) => serviceSettingsAtCommit(input.repo, input.commit, input.serviceDir, input.service, input.environment)),

    assessChange: async (input) => {
      const { analysis, summary } = await analyze(input);
      return { change: summary, risk: await change.scoreRisk(analysis, input.riskPolicy) };
    },

    buildImage: ({ repo, serviceDir, commit, releaseId, service, build: settings }) =>
      build.buildImage(settings ? { repo, serviceDir, commit, releaseId, service, build: settings } : { repo, serviceDir, commit, releaseId, service }),

    scanImage: (input) => scan.scanImage({ image: input.image }),

    evaluatePolicy: (input) =>
      policy.evaluatePolicy({ policy: input.policy, scan: input.scan, risk: input.risk, environment: input.environment, action: 'deploy' }),

    deployCandidate: deploy.deployCandidate,
    // The workflow does not read these results; they go into the history (the audit trail).
    shiftTraffic: deploy.shiftTraffic,
    analyze: deploy.analyze,
    promote: deploy.promote,
    rollback: deploy.rollback,

    ...activitiesBeforeReadOnce({ evidence, readBasePolicy: policy.readBasePolicy, analyze, scoreRisk: change.scoreRisk }),
  } satisfies PipelineActivities;

  return { ...activities, restoreRelease: deploy.restoreRelease, describeEnvironment: deploy.describeEnvironment };
}
