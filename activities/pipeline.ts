import { Context } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { PipelineActivities } from '../model/activities';
import type { ChangeAnalysis } from '../model/change';
import { changeAnalysisSchema } from '../model/change';
import { parseWith } from '../model/parse';
import type { AirlockConfig } from '../worker/config';
import { createBuildActivities } from './build';
import { createChangeActivities } from './change';
import { createDeployActivities } from './deploy';
import { putEvidence, readEvidence } from './evidence';
import { createPolicyActivities, readPolicy } from './policy';
import { createScanActivities } from './scan';

export interface PipelineActivityDeps {
  config: AirlockConfig;
  docker: Docker;
}

/**
 * The real activities of the deploymentPipeline workflow, by wire name (model/activities.ts). Each stage
 * folder does the work; this only adapts the workflow's small inputs to them: the change analysis goes
 * to the evidence store and the workflow carries its digest; the risk weights and the gates are read from
 * the policy at the BASE commit, like the approvers.
 */
export function createPipelineActivities({ config, docker }: PipelineActivityDeps) {
  const change = createChangeActivities();
  const build = createBuildActivities({ docker, config });
  const scan = createScanActivities({ config });
  const policy = createPolicyActivities();
  const deploy = createDeployActivities({ config });
  const evidence = config.dirs.evidence;

  const activities = {
    readPolicySnapshot: (input) => policy.readPolicySnapshot({ repo: input.repo, commit: input.commit, path: input.path }),

    analyzeChange: async (input) => {
      const analysis = await change.analyzeChange({ repo: input.repo, base: input.baseCommit, head: input.headCommit, policyPath: input.policyPath });
      const analysisDigest = await putEvidence(evidence, JSON.stringify(analysis));
      Context.current().log.info('change analyzed', { files: analysis.stats.files, analysisDigest });
      return { ...analysis.stats, authors: analysis.authors, touchesGates: analysis.touchesGates, analysisDigest };
    },

    scoreRisk: async (input) => {
      const analysis: ChangeAnalysis = parseWith(changeAnalysisSchema, JSON.parse((await readEvidence(evidence, input.analysisDigest)).toString('utf8')), `change analysis ${input.analysisDigest}`);
      const base = await readPolicy({ repo: input.repo, commit: input.baseCommit, path: input.policyPath });
      return change.scoreRisk(analysis, base.policy.risk);
    },

    buildImage: (input) => build.buildImage({ repo: input.repo, serviceDir: input.serviceDir, commit: input.commit, releaseId: input.releaseId, service: input.service }),

    scanImage: (input) => scan.scanImage({ image: input.image }),

    evaluatePolicy: (input) =>
      policy.evaluatePolicy({
        policy: { repo: input.policy.repo, commit: input.policy.commit, path: input.policy.path },
        scan: input.scan,
        risk: input.risk,
        environment: input.environment,
        action: 'deploy',
      }),

    deployCandidate: deploy.deployCandidate,
    // The workflow does not read these results; they go into the history (the audit trail).
    shiftTraffic: deploy.shiftTraffic,
    analyze: deploy.analyze,
    promote: deploy.promote,
    rollback: deploy.rollback,
  } satisfies PipelineActivities;

  return { ...activities, restoreRelease: deploy.restoreRelease, describeEnvironment: deploy.describeEnvironment };
}
