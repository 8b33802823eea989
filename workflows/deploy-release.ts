import { ActivityFailure, ApplicationFailure, log, patched, workflowInfo } from '@temporalio/workflow';
import { reviewBreakGlass, type Approval } from '../model/approval-rules';
import type { CanaryVerdict, DeployTarget, LeaseToken, RestoreInput, RestoreResult } from '../model/deploy';
import { digestOfImage, type GatePass, type GateRecord } from '../model/deploy-gate';
import { evidenceActivities, releaseActivities, routeByRole } from './activity-options';
import { rolloutSteps } from '../model/rollout';
import { lockLeaseMs } from './decisions';
import { releaseLockOf, waitForLock, type LockOwner } from './lock-client';
import { registerLockHandlers, type LockHold } from './lock-holder';
import { runRollout, type RolloutContext } from './rollout';
import { notify, NOTIFICATIONS_PATCH } from './notify';
import { followRunningRelease } from './rescan-schedule';

// `airlock deploy` and `airlock rollback`: a known image through deploy -> analysis -> promote | rollback
// (the pipeline's rollout, workflows/rollout.ts), and a previous release put back. No build, scan or
// approval: those are the pipeline's (deploymentPipeline). Since patch `deploy-release-gated` a deploy
// takes only an image a pipeline of the environment promoted (or break-glass signatures) and holds the
// environment lock throughout; since `rollback-holds-lock` a rollback holds it too.

export interface DeployReleaseInput {
  target: DeployTarget;
  releaseId: string;
  /** repo@sha256:... */
  image: string;
  /** `--break-glass`: N of M signatures of the policy's breakGlass group instead of a pipeline that passed the gate. */
  breakGlass?: BreakGlassRequest;
}

export interface BreakGlassRequest {
  reason: string;
  /** ISO date-time the signers chose; signed. */
  expiresAt: string;
  signatures: Approval[];
}

export type DeployReleaseOutcome = (
  | { kind: 'promoted'; releaseId: string; image: string; analysis: CanaryVerdict[] }
  | { kind: 'unchanged'; releaseId: string; reason: string }
  | { kind: 'rolled_back'; releaseId: string; reason: string; step?: number; analysis: CanaryVerdict[] }
  | { kind: 'failed'; releaseId: string; stage: 'deploy' | 'rollout' | 'rollback'; cause: { type: string; message: string }; analysis: CanaryVerdict[] }
) & {
  /** How the image got past the gate (since patch `deploy-release-gated`): a promoted pipeline, or break-glass. */
  gate?: GatePass;
};

export const deployWorkflowId = (service: string, environment: string, releaseId: string): string => `airlock-deploy/${service}/${environment}/${releaseId}`;
export const rollbackWorkflowId = (service: string, environment: string, to?: string): string => `airlock-rollback/${service}/${environment}/${to ?? 'previous'}`;

/**
 * Deploys started from this patch on admit an image by its evidence chain (it verifies for the environment:
 * a pipeline of the environment built, scanned, judged and approved it) instead of a promoted pipeline found
 * in Temporal; break-glass adds a signed break-glass link; every rollout adds its record to the chain.
 */
export const DEPLOY_EVIDENCE_PATCH = 'deploy-release-evidence';

/** Deploys started from this patch on refuse an image a rescan found non-compliant under `onViolation: block-promotion` (docs/compliance.md). */
export const COMPLIANCE_BLOCK_PATCH = 'compliance-block';

/** Deploys `image` as `releaseId`: canary steps or blue-green with analysis, then promote; any failure rolls back. */
export async function deployRelease(input: DeployReleaseInput): Promise<DeployReleaseOutcome> {
  const { target, releaseId } = input;
  const lock: LockHold = { requested: false, granted: false };
  registerLockHandlers(lock);
  await routeByRole();
  if (!patched('deploy-release-gated')) return rollOut(input);
  const evidence = patched(DEPLOY_EVIDENCE_PATCH);
  const gate = await checkGate(input, evidence);
  if ('cause' in gate) return { kind: 'failed', releaseId, stage: 'deploy', cause: gate.cause, analysis: [] };
  const owner: LockOwner = { service: target.service, environment: target.environment, headCommit: releaseId, lock };
  try {
    await waitForLock(owner, lockLeaseMs(0, target.settings.rollout, target.settings.analysis), () => false);
    if (lock.supersededBy)
      return { kind: 'failed', releaseId, stage: 'deploy', cause: { type: 'Superseded', message: `superseded by ${lock.supersededBy} while waiting for the environment lock` }, analysis: [], gate };
    const startedAt = new Date().toISOString();
    const outcome = { ...(await rollOut(input, lock.lease)), gate };
    if (evidence && (outcome.kind === 'promoted' || outcome.kind === 'rolled_back')) await recordRollout(input, outcome.kind, outcome.analysis, startedAt);
    if (outcome.kind === 'promoted') await followRunningRelease({ service: target.service, environment: target.environment, movedBy: workflowInfo().workflowId });
    return outcome;
  } finally {
    await releaseLockOf(owner);
  }
}

type Refusal = { cause: { type: 'GateNotPassedError' | 'BreakGlassRefusedError' | 'EvidenceNotVerifiedError'; message: string } };

/**
 * Whether this image may be deployed here: a pipeline of this environment promoted it (found by the
 * worker in Temporal), or break-glass signatures of the policy's breakGlass group verify (N of M).
 */
async function checkGate(input: DeployReleaseInput, evidence: boolean): Promise<GatePass | Refusal> {
  const { target, releaseId, image, breakGlass } = input;
  const { service, environment } = target;
  const imageDigest = digestOfImage(image);
  const { workflowId, runId } = workflowInfo();
  const record = await releaseActivities.findGateRecord({ service, environment, imageDigest, workflowId, runId });
  // a rescan found the image non-compliant where the policy says block-promotion (patch `compliance-block`; break-glass stays the way past it)
  if (!breakGlass && record.nonCompliant && patched(COMPLIANCE_BLOCK_PATCH)) return { cause: { type: 'GateNotPassedError', message: `${record.nonCompliant}: it is not deployed anywhere until a fixed release passes the gate` } };
  if (!breakGlass && evidence) return admitByEvidence(input, record.anchor);
  if (!breakGlass) {
    if (record.passed) return { kind: 'gate-passed', pipelineId: record.passed.pipelineId };
    return {
      cause: {
        type: 'GateNotPassedError',
        message: `${imageDigest} has not passed the gate for ${service}/${environment}: no pipeline of this environment was promoted with it. Deploy a change through \`airlock trigger\`, or use --break-glass with the signatures of the policy's breakGlass group`,
      },
    };
  }
  const refuse = (message: string): Refusal => ({ cause: { type: 'BreakGlassRefusedError', message: `break-glass refused: ${message}` } });
  if (record.priorRuns > 0) return refuse(`workflow id ${workflowId} was used before: break-glass signatures are single-use, sign a new nonce`);
  if (!record.anchor) return refuse(`no pipeline of ${service}/${environment} was promoted yet: there is no protected policy to take the breakGlass rule from`);
  const base = await releaseActivities.readBasePolicy({ releaseId, repo: record.anchor.repo, commit: record.anchor.commit, path: record.anchor.path });
  const rule = base.policy.policy.breakGlass;
  const subject = { service, environment, imageDigest, reason: breakGlass.reason, workflowId, expiresAt: breakGlass.expiresAt };
  const members = rule ? (base.snapshot.groups[rule.group] ?? []) : [];
  const review = reviewBreakGlass(rule && { ...rule, members }, subject, breakGlass.signatures, Date.now());
  if (!review.ok) return refuse(`${review.reason} (policy ${base.policy.source})`);
  log.warn('BREAK-GLASS deploy: the gate is skipped', { service, environment, imageDigest, reason: breakGlass.reason, signers: review.signers });
  const webhooks = base.policy.policy.notifications?.webhooks;
  if (webhooks?.length && patched(NOTIFICATIONS_PATCH)) {
    const data = { service, environment, releaseId, image, imageDigest, reason: breakGlass.reason, expiresAt: breakGlass.expiresAt, group: rule!.group, signers: review.signers, policyDigest: base.policy.digest };
    try {
      await notify(webhooks, { type: 'breakglass.used', subject: `${service}/${environment}`, data });
    } catch (err) {
      log.warn('the break-glass alert was not sent', { error: String(err) });
    }
  }
  if (evidence)
    await evidenceActivities.recordEvidence({
      releaseId,
      image,
      pipelineId: workflowId,
      runId,
      link: 'break-glass',
      subject,
      group: rule!.group,
      policy: { digest: base.policy.digest, source: base.policy.source },
      signatures: breakGlass.signatures.filter((s) => review.signers.includes(s.approver)),
      signers: review.signers,
    });
  return {
    kind: 'break-glass',
    reason: breakGlass.reason,
    signers: review.signers,
    group: rule!.group,
    expiresAt: breakGlass.expiresAt,
    policyDigest: base.policy.digest,
    policySource: base.policy.source,
  };
}

/**
 * The image's chain verifies for this environment, with the worker keys the environment's policy trusts
 * (its `evidence.trustedKeys`, read at the newest promoted pipeline's head; none: the worker's own key).
 */
async function admitByEvidence(input: DeployReleaseInput, anchor: GateRecord['anchor']): Promise<GatePass | Refusal> {
  const { target, releaseId, image } = input;
  let trustedKeys: string[] | undefined;
  if (anchor) trustedKeys = (await releaseActivities.readBasePolicy({ releaseId, repo: anchor.repo, commit: anchor.commit, path: anchor.path })).snapshot.trustedKeys;
  try {
    const chain = await evidenceActivities.verifyEvidence({ releaseId, image, environment: target.environment, ...(trustedKeys ? { trustedKeys } : {}) });
    return { kind: 'evidence-verified', links: chain.links.map((l) => l.link) };
  } catch (err) {
    const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    if (cause?.type !== 'EvidenceNotVerifiedError') throw err;
    return { cause: { type: 'EvidenceNotVerifiedError', message: `${cause.message}: deploy a change through \`airlock trigger\`, or use --break-glass with the signatures of the policy's breakGlass group` } };
  }
}

/** The rollout's record in the image's chain; the release is live (or back) already, so a failure is only logged. */
async function recordRollout(input: DeployReleaseInput, outcome: 'promoted' | 'rolled_back', analysis: CanaryVerdict[], startedAt: string): Promise<void> {
  const { workflowId, runId } = workflowInfo();
  try {
    await evidenceActivities.recordEvidence({
      releaseId: input.releaseId,
      image: input.image,
      pipelineId: workflowId,
      runId,
      link: 'rollout',
      environment: input.target.environment,
      strategy: input.target.settings.rollout.strategy,
      steps: rolloutSteps(input.target.settings.rollout),
      analysis,
      outcome,
      startedAt,
      finishedAt: new Date().toISOString(),
    });
  } catch (err) {
    log.warn('the rollout record was not added to the evidence chain', { error: String(err) });
  }
}

async function rollOut(input: DeployReleaseInput, lease?: LeaseToken): Promise<DeployReleaseOutcome> {
  const { target, releaseId, image } = input;
  // Runs started before this patch rolled out with promote and rollback moving the traffic themselves.
  const movesTraffic = patched('deploy-release-one-rollout');
  const ref = { releaseId, service: target.service, environment: target.environment };
  const ctx: RolloutContext = { target: ref, settings: target.settings, state: { traffic: 0, analysis: [], compensations: [] }, deployed: false, ...(lease ? { lease } : {}) };
  const outcome = await runRollout(ctx, image, {
    deploy: async () => {
      const deployed = await releaseActivities.deployCandidate({ ...ref, image, target, ...(lease ? { lease } : {}) });
      return deployed.alreadyStable ? { kind: 'unchanged' as const, releaseId, reason: `${releaseId} already is the stable release` } : undefined;
    },
    enterStage: () => undefined,
    movesTraffic,
  });
  const analysis = ctx.state.analysis;
  switch (outcome.kind) {
    case 'unchanged':
      return outcome;
    case 'promoted':
      return { kind: 'promoted', releaseId, image, analysis };
    case 'rolled_back':
      return { kind: 'rolled_back', releaseId, reason: outcome.reason, ...(outcome.step !== undefined ? { step: outcome.step } : {}), analysis };
    case 'failed':
      return { kind: 'failed', releaseId, stage: outcome.stage, cause: outcome.cause, analysis };
  }
}

/** Puts a previous release of an environment back (allowed in freeze windows: it is the way back). */
export async function rollbackRelease(input: RestoreInput): Promise<RestoreResult> {
  const lock: LockHold = { requested: false, granted: false };
  registerLockHandlers(lock);
  await routeByRole();
  if (!patched('rollback-holds-lock')) return releaseActivities.restoreRelease(input);
  const owner: LockOwner = { service: input.service, environment: input.environment, headCommit: input.toReleaseId ?? 'previous', lock };
  try {
    await waitForLock(owner, ROLLBACK_LEASE_MS, () => false);
    if (lock.supersededBy)
      throw ApplicationFailure.create({ type: 'Superseded', message: `superseded by ${lock.supersededBy} while waiting for the environment lock`, nonRetryable: true });
    // restoreRelease puts back only a release of the environment's history: releases promoted there.
    const restored = await releaseActivities.restoreRelease({ ...input, ...(lock.lease ? { lease: lock.lease } : {}) });
    await followRunningRelease({ service: input.service, environment: input.environment, movedBy: workflowInfo().workflowId });
    return restored;
  } finally {
    await releaseLockOf(owner);
  }
}

/** A restore takes minutes; the lease only bounds a rollback whose worker vanished. */
const ROLLBACK_LEASE_MS = 30 * 60_000;
