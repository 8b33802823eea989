import { Context } from '@temporalio/activity';
import type Docker from 'dockerode';
import type { ChangeSummary, PipelineActivities } from '../model/activities';
import type { EvidenceRequest, VerifyEvidenceRequest } from '../model/evidence-record';
import type { ChangeAnalysis } from '../model/change';
import { EMPTY_TREE } from '../model/names';
import type { AirlockConfig } from '../infra/config';
import { createBuildActivities } from './build';
import { createComplianceActivities } from './compliance';
import { createChangeActivities } from './change';
import { createDeployActivities } from './deploy';
import { pathInRepo, readAtCommit, serviceSettingsAtCommit, workerRepo } from './shared';
import { deployCandidateInputSchema } from '../model/deploy';
import { readChangeWith } from './change/read-change';
import { MANIFEST_FILE } from '../model/manifest';
import { InvalidInputError, parseWith } from '../model/parse';
import { posix } from 'node:path';
import { withFailures } from './errors';
import { putEvidence, sha256 } from './evidence';
import { createEvidenceActivities } from './evidence/record';
import { evidenceHandover } from './evidence/handover';
import { activitiesBeforeReadOnce } from './pipeline-before-read-once';
import { createPolicyActivities } from './policy';
import { createReadAnchorPolicy } from './policy/anchor-policy';
import { createScanActivities } from './scan';
import { createProbeActivities } from './probe';

/**
 * deployCandidate with the pipeline's admission checked first (`admit`, patch `verify-in-deploy`): the chain
 * verified for the input's environment exactly as the verifyEvidence activity verifies it, and a chain that
 * does not verify refuses (EvidenceNotVerifiedError) before the deploy starts. One activity instead of two.
 * `admit.approvals` (patch `approvals-in-deploy`): before that, the approvals link is recorded for this
 * release and image exactly as recordEvidence records it (a retry adds nothing: links are idempotent), so the
 * verification sees it. One activity fewer again.
 */
export function admittedFirst(
  verify: (req: VerifyEvidenceRequest) => Promise<unknown>,
  deploy: PipelineActivities['deployCandidate'],
  record: (req: Extract<EvidenceRequest, { link: 'approvals' }>) => Promise<unknown>,
): PipelineActivities['deployCandidate'] {
  return async (input) => {
    const { admit, releaseId, image, environment } = parseWith(deployCandidateInputSchema, input, 'deployCandidate input');
    if (!admit) return deploy(input);
    const { approvals, ...checks } = admit;
    if (approvals) await record({ releaseId, image, link: 'approvals', ...approvals });
    await verify({ releaseId, image, environment, ...checks });
    return deploy(input);
  };
}

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
 *
 * `repo` in every input is the repository URL (the wire name stays `repo`): each adapter first fetches
 * the commits it reads into the worker's own cache (shared/fetch.ts workerRepo) and hands the stage that
 * git directory, never the CI job's checkout.
 */
export function createPipelineActivities({ config, docker }: PipelineActivityDeps) {
  const change = createChangeActivities();
  const chain = createEvidenceActivities({ config });
  const build = createBuildActivities({ docker, config, hasProvenance: chain.hasProvenance });
  const scan = createScanActivities({ config });
  const policy = createPolicyActivities();
  const deploy = createDeployActivities({ config });
  const probe = createProbeActivities({ config, docker });
  const evidence = config.dirs.evidence;
  const handover = evidenceHandover(config.registry, evidence);
  const readAnchorPolicy = createReadAnchorPolicy(config.bootstrapPolicy);

  /** The worker's git directory holding `commits` of the repository at `url`. */
  const fetched = (url: string, ...commits: string[]): Promise<string> =>
    workerRepo(config, url, commits, { heartbeat: (d) => Context.current().heartbeat(d) });
  /** The same, with the remote's branch heads fetched afresh (the protected-branch check reads them). */
  const withBranches = (url: string, ...commits: string[]): Promise<string> =>
    workerRepo(config, url, commits, { heartbeat: (d) => Context.current().heartbeat(d), refreshBranches: true });

  /** base..head analyzed; the full analysis goes to the evidence store, the workflow gets the summary. */
  const analyze = async (input: { repo: string; baseCommit: string; headCommit: string; policyPath?: string }): Promise<{ analysis: ChangeAnalysis; summary: ChangeSummary }> => {
    // a first release is judged against git's empty tree (patch policy-anchor): not a commit to fetch
    const repo = await fetched(input.repo, ...[input.baseCommit, input.headCommit].filter((c) => c !== EMPTY_TREE));
    const analysis = await change.analyzeChange({ repo, base: input.baseCommit, head: input.headCommit, ...(input.policyPath ? { policyPath: input.policyPath } : {}) });
    const analysisDigest = await putEvidence(evidence, JSON.stringify(analysis));
    Context.current().log.info('change analyzed', { files: analysis.stats.files, analysisDigest });
    return { analysis, summary: { ...analysis.stats, authors: analysis.authors, touchesGates: analysis.touchesGates, analysisDigest } };
  };

  // A fetch error (a missing commit) leaves these as a typed failure too.
  const legacy = activitiesBeforeReadOnce({
    evidence,
    readBasePolicy: async (input) => policy.readBasePolicy({ ...input, repo: await fetched(input.repo, input.commit) }),
    analyze,
    scoreRisk: change.scoreRisk,
    fetched,
  });
  const beforeReadOnce = {
    readPolicySnapshot: withFailures(legacy.readPolicySnapshot),
    analyzeChange: withFailures(legacy.analyzeChange),
    scoreRisk: withFailures(legacy.scoreRisk),
  };

  // what the change is judged by: the policy at the anchor, airlock.yaml at head, the change itself
  const reads = {
    readAnchorPolicy: withFailures(async (input) =>
      readAnchorPolicy({ ...input, repo: await withBranches(input.repo, input.headCommit, ...(input.anchor ? [input.anchor] : [])) }),
    ),

    readManifest: withFailures(async (input) =>
      serviceSettingsAtCommit(
        await fetched(input.repo, input.commit, ...(input.promotion?.anchor ? [input.promotion.anchor] : [])),
        input.commit,
        input.serviceDir,
        input.service,
        input.environment,
        input.promotion,
      ),
    ),

    assessChange: withFailures(async (input) => {
      const { analysis, summary } = await analyze(input);
      return { change: summary, risk: await change.scoreRisk(analysis, input.riskPolicy) };
    }),
  } satisfies Pick<PipelineActivities, 'readAnchorPolicy' | 'readManifest' | 'assessChange'>;

  const activities = {
    readBasePolicy: withFailures(async (input) => policy.readBasePolicy({ repo: await fetched(input.repo, input.commit), commit: input.commit, path: input.path })),

    resolveAnchor: withFailures(async (input) =>
      deploy.resolveAnchor({ releaseId: input.releaseId, repo: await withBranches(input.repo, input.headCommit), service: input.service, environment: input.environment, headCommit: input.headCommit }),
    ),

    ...reads,
    // the three reads in one activity (patch `read-change-together`); each part keeps its own typed failures
    readChange: withFailures(readChangeWith(reads)),

    buildImage: withFailures(async ({ repo: url, serviceDir, commit, releaseId, service, build: settings }) => {
      const repo = await fetched(url, commit);
      return build.buildImage(settings ? { repo, serviceDir, commit, releaseId, service, build: settings } : { repo, serviceDir, commit, releaseId, service });
    }),

    // the SBOM goes next to the image too: recordEvidence signs it on a pipeline worker, which shares no disk with this one
    scanImage: withFailures(async (input) => {
      const summary = await scan.scanImage({ image: input.image });
      await handover.publish(input.image, summary.sbomDigest);
      return summary;
    }),

    evaluatePolicy: (input) =>
      policy.evaluatePolicy({ policy: input.policy, scan: input.scan, risk: input.risk, environment: input.environment, action: 'deploy' }),

    recheckWindows: (input) => policy.recheckWindows({ environment: input.environment, policy: input.policy, scan: input.scan, risk: input.risk }),

    // Pipelines started before patch `read-once` name the target by repo/commit: read from the cache too.
    deployCandidate: withFailures(
      admittedFirst(
        chain.verifyEvidence,
        async (input) => {
          const ref = input as { target?: unknown; repo?: string; commit?: string };
          return deploy.deployCandidate(!ref.target && ref.repo && ref.commit ? { ...input, repo: await fetched(ref.repo, ref.commit) } : input);
        },
        chain.recordEvidence,
      ),
    ),
    // The workflow does not read these results; they go into the history (the audit trail).
    shiftTraffic: deploy.shiftTraffic,
    analyze: deploy.analyze,
    verifyRuntimeSecurity: probe.verifyRuntimeSecurity,
    promote: deploy.promote,
    settleRelease: deploy.settleRelease,
    rollback: deploy.rollback,

    // The build link's provenance names airlock.yaml by digest: read here, at the commit, from the worker's fetch.
    recordEvidence: withFailures(async (input) => {
      if (input.link !== 'build' || input.manifestDigest) return chain.recordEvidence(input);
      const repo = await fetched(input.repo, input.commit);
      const dir = await pathInRepo(repo, input.serviceDir);
      const path = posix.join(dir || '.', MANIFEST_FILE).replace(/^\.\//, '');
      const manifest = await readAtCommit(repo, input.commit, path);
      if (!manifest) throw InvalidInputError.line('serviceDir', `${path} is not in commit ${input.commit.slice(0, 12)}`);
      return chain.recordEvidence({ ...input, manifestDigest: sha256(manifest) });
    }),
    verifyEvidence: withFailures(chain.verifyEvidence),

    ...beforeReadOnce,
  } satisfies PipelineActivities;

  // scheduled rescans of the running release (docs/compliance.md): the worker's own Temporal client and task queue
  const compliance = createComplianceActivities({ evidenceDir: evidence });
  return {
    ...activities,
    ...compliance,
    restoreRelease: deploy.restoreRelease,
    describeEnvironment: deploy.describeEnvironment,
    findGateRecord: deploy.findGateRecord,
  };
}
