import { log, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { pinned } from '../model/build';
import { releaseId as deploymentId } from '../model/names';
import type { Outcome, PromotionProgress } from '../model/pipeline';
import { approvalLevelIn, commitReleaseId, type PromotionPlan, type PromotionStep } from '../model/promotion';
import { rolloutSteps } from '../model/rollout';
import type { ScanSummary } from '../model/scan';
import { evidenceActivities, stages } from './activity-options';
import { storeApprovalsLink } from './approvals-link';
import { approvalGate, unboundOutcome } from './approval-gate';
import type { ChangeFindings } from './change-analysis';
import { causeOf, findingsSummary, lockLeaseMs, policySummary } from './decisions';
import { abortedFailure } from './failures';
import { registerLockHandlers } from './lock-holder';
import { releaseLockOf, settled, waitForLock, type LockOwner } from './lock-client';
import { scheduleRescanOf } from './rescan-schedule';
import { rollout } from './rollout';
import { soak } from './soak';
import { SEARCH_KEYS } from './search-attributes';
import { awaitLater } from './later';
import { tally } from '../model/approval-rules';
import { enterStage, stage, type PipelineContext } from './state';

// One build carried through ordered environments (staging -> production), patch `promotion`: built and
// scanned once as `<service>-<commit12>`, then per environment, in order: the policy gate (freeze windows
// are per environment), the environment lock, the approval rule of that environment, the rollout with its
// canary analysis and, at 100% before promote, the soak (a durable timer with the analysis repeated). A
// failure stops the promotion there (that environment rolls back: the rollout's saga); the next environment
// admits the image only with a `promoted` rollout record of the previous one in its evidence chain.

/**
 * Promotions started from this patch on store the build link beside the scan, the scan link beside the first
 * environment's verdict, and each environment's policy link while its lock is taken and an automatic gate
 * passes, the approvals link beside them; all before that environment's rollout (whose admission reads the
 * chain). About 1.5 s less from commit to production through staging (issue 13).
 */
export const LINKS_BESIDE_PATCH = 'promotion-links-beside';

/** The plan and what the change analysis found, for a pipeline whose airlock.yaml has `promotion:`. */
export interface PromotionRun extends ChangeFindings {
  plan: PromotionPlan;
}

/**
 * Environments of a promotion whose gate waited for people hand the approvals link to the deploy
 * (`deployCandidate`'s `admit.approvals`, activities/pipeline.ts admittedFirst), as the single-environment
 * pipeline does from patch `approvals-in-deploy`: one dispatch and one workflow task fewer between the
 * approval and the deploy. The statement is the same (its predicate holds no release id), so the chain is too.
 */
export const PROMOTION_APPROVALS_IN_DEPLOY_PATCH = 'promotion-approvals-in-deploy';

export async function promoteThrough(ctx: PipelineContext, run: PromotionRun): Promise<Outcome> {
  const { input, state } = ctx;
  const { repo, headCommit, serviceDir } = input;
  const release = commitReleaseId(input.service, headCommit);
  const progress: PromotionProgress = (state.promotion = {
    release,
    from: run.plan.from,
    ignored: run.plan.ignored,
    current: 0,
    environments: run.plan.environments.map((s) => ({ environment: s.environment, status: 'waiting', soak: s.soak })),
  });
  for (const line of run.plan.ignored) log.warn('promotion: not taken from the change', { line });
  // one image for every environment: built and scanned once, under the environment-free release id
  ctx.target = { ...ctx.target, releaseId: release };
  state.releaseId = release;
  const key = { releaseId: release };
  const ids = { ...key, pipelineId: ctx.pipelineId, runId: workflowInfo().runId };
  const now = () => new Date().toISOString();

  const buildStarted = now();
  const build = await stage(ctx, 'build', () =>
    stages.buildImage({ ...key, repo, commit: headCommit, service: input.service, serviceDir, ...(run.settings ? { build: run.settings.build } : {}) }),
  );
  const image = (state.image = pinned(build.image, build.digest));
  const recordBuild = () => evidenceActivities.recordEvidence({ ...ids, image, link: 'build', repo, commit: headCommit, serviceDir, startedOn: buildStarted, finishedOn: now() });
  // patch `promotion-links-beside`: the build link beside the scan, the scan link beside the first environment's verdict
  const beside = patched(LINKS_BESIDE_PATCH);
  if (!beside) await recordBuild();
  const scanStarted = now();
  const scanning = stage(ctx, 'scan', () => stages.scanImage({ ...key, image }));
  const [scan] = beside ? await Promise.all([scanning, recordBuild()]) : [await scanning];
  state.findings = findingsSummary(scan);
  const recordScan = () => evidenceActivities.recordEvidence({ ...ids, image, link: 'scan', scan, startedOn: scanStarted, finishedOn: now() });
  // (stored before the first environment's gate opens for people, or else before its rollout: inEnvironment)
  let scanLink = beside ? awaitLater(recordScan()) : undefined;
  if (!beside) await recordScan();

  const routed = state.risk!;
  progress.risk = routed.level;
  const rolloutFrom = state.rollout?.from ?? 'airlock.yaml';
  let outcome: Outcome = { kind: 'failed', stage: 'build', cause: { type: 'EmptyPromotion', message: 'the promotion has no environment' } };
  const last = run.plan.environments.length - 1;
  for (const [i, step] of run.plan.environments.entries()) {
    const entry = progress.environments[i]!;
    progress.current = i;
    // an environment before the target that this image passed already (an earlier pipeline of the commit,
    // `airlock promote-release`): its signed "passed in" record stands, it is not deployed there again
    if (i < last && (await passedAlready(step.environment, image, key.releaseId, run.snapshot.trustedKeys))) {
      Object.assign(entry, { status: 'passed', passedAt: now(), digest: build.digest, skipped: true });
      log.info('passed already', { environment: step.environment, digest: build.digest });
      continue;
    }
    enterEnvironment(ctx, step, rolloutFrom);
    entry.status = 'running';
    entry.releaseId = ctx.target.releaseId;
    const level = approvalLevelIn(step, routed.level, run.bootstrap === true);
    entry.level = level;
    state.risk = level === routed.level ? routed : { ...routed, level, reasons: [...routed.reasons, `environments.${step.environment}.approvals: the rule for ${level} risk applies in ${step.environment} (${run.plan.from})`] };
    const stopped = (kind: Outcome['kind']) => {
      entry.status = 'failed';
      entry.outcome = kind;
      for (const later of progress.environments.slice(i + 1)) later.status = 'not-reached';
      log.warn('promotion stopped', { environment: step.environment, outcome: kind });
    };
    ctx.moreEnvironments = i < last;
    try {
      const links = { beside, ...(scanLink ? { pending: scanLink } : {}) };
      scanLink = undefined;
      outcome = await inEnvironment(ctx, run, step, i > 0 ? run.plan.environments[i - 1]!.environment : undefined, image, build.digest, scan, ids, links);
    } catch (err) {
      stopped('failed'); // (the pipeline turns the error into its `failed` outcome)
      throw err;
    } finally {
      await releaseEnvironmentLock(ctx, step.environment);
    }
    if (outcome.kind !== 'promoted') {
      stopped(outcome.kind);
      return outcome;
    }
    entry.status = 'passed';
    entry.passedAt = now();
    entry.digest = build.digest;
    delete entry.soakUntil;
    // the rollout reported `promoted` for this environment; the pipeline's outcome is the last one's. Until
    // then the state shows none, so `status`, `trigger --wait` and the dashboard's approve/reject controls
    // (hidden once there is an outcome) keep working for the next environment. (State only: no command.)
    if (i < last) delete state.outcome;
    log.info('passed', { environment: step.environment, digest: build.digest });
  }
  return outcome;
}

/** Whether the image's evidence chain holds its own `promoted` rollout record of `environment` (verified, signed by a trusted worker key). */
async function passedAlready(environment: string, image: string, releaseId: string, trustedKeys: string[] | undefined): Promise<boolean> {
  try {
    // `check`: answered, not failed, when it does not verify (the history shows a question, not a failure)
    return (await evidenceActivities.verifyEvidence({ releaseId, image, environment, passedIn: environment, check: true, ...(trustedKeys ? { trustedKeys } : {}) })).ok;
  } catch (err) {
    // (histories recorded before `check` saw the refusal as a failed activity)
    if (causeOf(err).type === 'EvidenceNotVerifiedError') return false;
    throw err;
  }
}

/** The pipeline's state and context now speak of `step`'s environment (its deployment id, lock, settings). */
function enterEnvironment(ctx: PipelineContext, step: PromotionStep, rolloutFrom: string): void {
  const { input, state } = ctx;
  ctx.target = { releaseId: deploymentId(input.service, step.environment, input.headCommit), service: input.service, environment: step.environment };
  state.environment = step.environment;
  const { rollout, analysis } = step.target.settings;
  ctx.settings = { rollout, analysis };
  state.rollout = { from: `${rolloutFrom}, environment ${step.environment}`, rollout, analysis };
  state.traffic = 0;
  state.analysis = [];
  state.compensations = [];
  for (const k of ['approval', 'policy', 'hold', 'runtimeSecurity'] as const) delete state[k];
  ctx.deployed = false;
  delete ctx.gate;
  delete ctx.promoteBy;
  delete ctx.lease;
  delete ctx.rollbackReason;
  // a fresh lock hold per environment: its handlers write to it, the previous one's renewals stop
  ctx.lock = { requested: false, granted: false };
  registerLockHandlers(ctx.lock);
  upsertSearchAttributes([{ key: SEARCH_KEYS.environment, value: step.environment }]);
}

async function releaseEnvironmentLock(ctx: PipelineContext, environment: string): Promise<void> {
  await settled(ctx);
  const owner: LockOwner = { service: ctx.input.service, environment, headCommit: ctx.input.headCommit, lock: ctx.lock };
  await releaseLockOf(owner);
  // released here: the pipeline's final release (of the input's environment) has nothing left to do
  ctx.lock = { requested: false, granted: false };
}

async function inEnvironment(
  ctx: PipelineContext,
  run: PromotionRun,
  step: PromotionStep,
  previous: string | undefined,
  image: string,
  imageDigest: string,
  scan: ScanSummary,
  ids: { releaseId: string; pipelineId: string; runId: string },
  { beside, pending }: { beside: boolean; pending?: () => Promise<void> },
): Promise<Outcome> {
  const { state } = ctx;
  const environment = step.environment;
  const { snapshot, policy, assessment } = run;
  const verdict = await stage(ctx, 'policy', () => stages.evaluatePolicy({ releaseId: ctx.target.releaseId, environment, policy, scan, risk: assessment }));
  state.policy = policySummary(verdict);
  const recordPolicy = async () => {
    if (state.anchor) await evidenceActivities.recordEvidence({ ...ids, image, link: 'policy', environment, verdict, origin: state.anchor, snapshot });
  };
  // patch `promotion-links-beside`: the policy link (and the scan link still being stored) while the lock is
  // taken and an automatic gate passes, the approvals link beside them; a gate that waits for people, and a
  // blocked verdict, have them stored first (as the pipeline's patch `evidence-beside-gate`)
  const automatic = tally(snapshot.levels[state.risk!.level], []).satisfied;
  const links = beside ? awaitLater(Promise.all([pending?.(), recordPolicy()])) : undefined;
  if (links && (!verdict.allowed || !automatic)) await links();
  if (!links) await recordPolicy();
  if (!verdict.allowed) return { kind: 'blocked_by_policy', violations: state.policy.violations };
  const stopped = async (o: Outcome) => {
    await links?.();
    return o;
  };

  const soakBudget = step.soakMs > 0 ? 2 * step.soakMs + 10 * 60_000 : 0;
  const leaseMs = lockLeaseMs(snapshot.approvalTimeoutMs, ctx.settings.rollout, ctx.settings.analysis) + soakBudget;
  const leaseEndsAt = Date.now() + leaseMs;
  enterStage(ctx, 'lock');
  await waitForLock({ service: ctx.input.service, environment, headCommit: ctx.input.headCommit, lock: ctx.lock }, leaseMs, () => ctx.abort !== undefined);
  if (ctx.abort) throw abortedFailure(ctx.abort);
  if (ctx.lock.supersededBy) return stopped({ kind: 'superseded', by: ctx.lock.supersededBy });
  if (ctx.lock.lease) ctx.lease = ctx.lock.lease;

  const decided = await approvalGate(ctx, { snapshot, level: state.risk!.level, imageDigest });
  if (decided) return stopped(decided);
  const unbound = unboundOutcome(ctx);
  if (unbound) return stopped(unbound);
  // the approvals link, recorded here or, after a gate that waited for people, by the deploy from this patch on
  const approvals = await storeApprovalsLink(ctx, { ids, image, rule: snapshot.levels[state.risk!.level], automatic, patch: PROMOTION_APPROVALS_IN_DEPLOY_PATCH, links });

  const admit = {
    environment,
    ...(snapshot.trustedKeys ? { trustedKeys: snapshot.trustedKeys } : {}),
    ...(previous ? { passedIn: previous } : {}),
    ...(approvals ? { approvals } : {}),
  };
  const loaded = 'digest' in policy ? policy : undefined;
  const settings = run.settings;
  const security = loaded && settings ? { ...(settings.security ? { surface: settings.security } : {}), requirements: loaded.policy.security_requirements, exceptions: loaded.policy.exceptions } : undefined;
  const started = new Date().toISOString();
  const outcome = await rollout(ctx, image, step.target, loaded ? { policy: loaded, scan, risk: assessment, leaseEndsAt } : undefined, admit, security, () => soak(ctx, step));
  if (outcome.kind === 'promoted' || outcome.kind === 'rolled_back') {
    try {
      await evidenceActivities.recordEvidence({
        ...ids,
        image,
        link: 'rollout',
        environment,
        strategy: ctx.settings.rollout.strategy,
        steps: rolloutSteps(ctx.settings.rollout),
        analysis: state.analysis,
        outcome: outcome.kind,
        startedAt: started,
        finishedAt: new Date().toISOString(),
      });
    } catch (err) {
      // without it the next environment does not admit the image (passedIn): the promotion stops there
      log.warn('the rollout record was not added to the evidence chain', { error: String(err) });
    }
  }
  if (outcome.kind === 'promoted' && patched('compliance-schedule'))
    await scheduleRescanOf({ service: ctx.input.service, environment, releaseId: outcome.releaseId, image: outcome.image, source: { repo: ctx.input.repo, commit: ctx.input.headCommit, serviceDir: ctx.input.serviceDir }, pipelineId: ctx.pipelineId });
  return outcome;
}
