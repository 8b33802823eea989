import { patched } from '@temporalio/workflow';
import { EMPTY_TREE } from '../model/names';
import type { ChangeSummary, PolicyRef } from '../model/activities';
import type { ServiceSettings } from '../model/deploy';
import type { PolicySnapshot } from '../model/policy-snapshot';
import type { LoadedPolicy } from '../model/policy';
import type { RiskAssessment } from '../model/risk';
import { stages } from './activity-options';
import { stage, type PipelineContext } from './state';

/**
 * Pipelines started from this patch on read the base commit's policy and airlock.yaml once and score the
 * risk in the activity that analyzes the change. Histories without it replay the earlier sequence
 * (readPolicySnapshot + analyzeChange, then scoreRisk; build, policy and deploy reading the files again).
 */
export const READ_ONCE_PATCH = 'read-once';

/**
 * Pipelines started from this patch on are judged by the policy the environment runs now (its stable
 * release's commit, or the worker's bootstrap file for a first release) on the range stable..head, with
 * head required to descend from stable and to sit on a protected branch. Earlier histories replay
 * `read-once` (the trigger's base commit and policy path).
 */
export const POLICY_ANCHOR_PATCH = 'policy-anchor';

/**
 * Pipelines started from this patch on ask readManifest for the promotion plan (the order, soaks and approval
 * rules from airlock.yaml at the anchor): a service with `promotion:` goes through its environments in order
 * (workflows/promotion.ts). Earlier histories replay a single-environment pipeline.
 */
export const PROMOTION_PATCH = 'promotion';

/**
 * Pipelines started from this patch on read the anchored policy and airlock.yaml and assess the change in one
 * activity (`readChange`): one dispatch and one workflow task instead of three (the two reads side by side
 * used to complete in two tasks). Earlier histories replay readAnchorPolicy + readManifest, then assessChange.
 */
export const READ_TOGETHER_PATCH = 'read-change-together';

/** What the first stages found out, handed to the later ones. */
export interface ChangeFindings {
  snapshot: PolicySnapshot;
  change: ChangeSummary;
  assessment: RiskAssessment;
  /** For evaluatePolicy: the policy as read (before the patch: where to read it). */
  policy: LoadedPolicy | PolicyRef;
  /** airlock.yaml's settings for buildImage and deployCandidate (before the patch: absent, they read the file). */
  settings?: ServiceSettings;
  /** A first release: no stable release, judged by the worker's bootstrap approvers, always high risk. */
  bootstrap?: boolean;
  /** The base of the judged range (patch `policy-anchor`: the stable release's commit, or the empty tree). */
  judgedBase?: string;
}

export function runChangeAnalysis(ctx: PipelineContext): Promise<ChangeFindings> {
  if (patched(POLICY_ANCHOR_PATCH)) return readAnchored(ctx);
  return patched(READ_ONCE_PATCH) ? readOnce(ctx) : readPerStage(ctx);
}

/** The policy at the anchor, the change stable..head (trigger's base: information only, never judged). */
async function readAnchored(ctx: PipelineContext): Promise<ChangeFindings> {
  const { input, state } = ctx;
  const { repo, headCommit, serviceDir } = input;
  const key = { releaseId: ctx.target.releaseId };
  const anchor = await stage(ctx, 'change-analysis', () => stages.resolveAnchor({ ...ctx.target, repo, headCommit }));
  const baseCommit = anchor.commit ?? EMPTY_TREE; // a first release: everything up to head
  const promotion = () => (patched(PROMOTION_PATCH) ? { promotion: { anchor: anchor.commit } } : {});
  // before patch `read-change-together`: the two reads side by side, then the assessment
  const readSeparately = async () => {
    const [base, settings] = await stage(ctx, 'change-analysis', () =>
      Promise.all([
        stages.readAnchorPolicy({ ...key, repo, serviceDir, environment: input.environment, headCommit, anchor: anchor.commit }),
        stages.readManifest({ ...ctx.target, repo, commit: headCommit, serviceDir, ...promotion() }),
      ]),
    );
    const { change, risk } = await stage(ctx, 'change-analysis', () =>
      stages.assessChange({ ...key, repo, baseCommit, headCommit, ...(base.path ? { policyPath: base.path } : {}), riskPolicy: base.policy.policy.risk }),
    );
    return { base, settings, change, risk };
  };
  const { base, settings, change, risk } = patched(READ_TOGETHER_PATCH)
    ? await stage(ctx, 'change-analysis', async () => {
        const { policy, ...read } = await stages.readChange({ ...ctx.target, repo, serviceDir, headCommit, anchor: anchor.commit, ...promotion() });
        return { base: policy, ...read };
      })
    : await readSeparately();
  state.anchor = {
    commit: base.anchor,
    ...(anchor.stableReleaseId ? { stableReleaseId: anchor.stableReleaseId } : {}),
    policyDigest: base.policy.digest,
    policySource: base.source,
    branch: base.branch,
  };
  return { snapshot: base.snapshot, change, assessment: risk, policy: base.policy, settings, bootstrap: anchor.commit === null, judgedBase: baseCommit };
}

async function readOnce(ctx: PipelineContext): Promise<ChangeFindings> {
  const { input } = ctx;
  const { repo, baseCommit, headCommit } = input;
  const key = { releaseId: ctx.target.releaseId };
  // the policy comes from the BASE commit: the change under review cannot name its own approvers, weights or gates
  const [base, settings] = await stage(ctx, 'change-analysis', () =>
    Promise.all([
      stages.readBasePolicy({ ...key, repo, commit: baseCommit, path: input.policyPath }),
      stages.readManifest({ ...ctx.target, repo, commit: headCommit, serviceDir: input.serviceDir }),
    ]),
  );
  const { change, risk } = await stage(ctx, 'change-analysis', () =>
    stages.assessChange({ ...key, repo, baseCommit, headCommit, policyPath: input.policyPath, riskPolicy: base.policy.policy.risk }),
  );
  return { snapshot: base.snapshot, change, assessment: risk, policy: base.policy, settings };
}

/** The sequence before patch `read-once`, kept for the histories of pipelines started earlier. */
async function readPerStage(ctx: PipelineContext): Promise<ChangeFindings> {
  const { input } = ctx;
  const key = { releaseId: ctx.target.releaseId };
  const { repo, baseCommit, headCommit, serviceDir, policyPath } = input;
  const [snapshot, change] = await stage(ctx, 'change-analysis', () =>
    Promise.all([
      stages.readPolicySnapshot({ ...key, repo, commit: baseCommit, path: policyPath }),
      stages.analyzeChange({ ...key, repo, baseCommit, headCommit, serviceDir, policyPath }),
    ]),
  );
  const assessment = await stage(ctx, 'risk', () =>
    stages.scoreRisk({ ...key, repo, baseCommit, headCommit, policyPath, analysisDigest: change.analysisDigest }),
  );
  return { snapshot, change, assessment, policy: { repo, commit: baseCommit, path: policyPath } };
}
