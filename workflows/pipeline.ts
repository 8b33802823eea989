import { allHandlersFinished, CancellationScope, condition, log, patched, workflowInfo } from '@temporalio/workflow';
import { pinned } from '../model/build';
import { tally } from '../model/approval-rules';
import type { Outcome, PipelineInput, PipelineResult } from '../model/pipeline';
import { evidenceActivities, localActivities, routeByRole, stages } from './activity-options';
import { approvalGate, registerApprovalHandlers, unboundOutcome } from './approval-gate';
import { runChangeAnalysis } from './change-analysis';
import { acquireLock, LOCK_SECRET_PATCH, releaseLock } from './lock-client';
import { causeOf, findingsSummary, lockLeaseMs, policySummary, rolloutSettingsFor, routeRisk } from './decisions';
import { scheduleRescanOf } from './rescan-schedule';
import { rollout } from './rollout';
import { upsertRiskLevel } from './search-attributes';
import { createContext, finish, stage, type PipelineContext } from './state';
import { rolloutSteps } from '../model/rollout';
import { outcomeEvent } from '../model/pipeline-events';
import { notify, NOTIFICATIONS_PATCH } from './notify';
import { promoteThrough } from './promotion';
import { awaitLater } from './later';
import { storeApprovalsLink } from './approvals-link';

/**
 * Pipelines started from this patch on take only identifiers from their input: the rollout and canary
 * analysis run with airlock.yaml's settings at the head commit (readManifest), whatever `rollout` and
 * `analysis` the input carries. Histories without it replay with the input's settings, as they ran.
 */
export const INPUT_IDENTIFIERS_PATCH = 'input-identifiers';

/**
 * Pipelines started from this patch on sign each link of the release's evidence chain as its stage ends
 * (build, SBOM + vulnerability scan, policy verdict, approvals, rollout) and push it next to the image; the
 * deploy admits the image only when the chain verifies for the environment (docs/evidence.md).
 */
export const EVIDENCE_PATCH = 'evidence-chain';

/**
 * Pipelines started from this patch on, once promoted, point the environment's rescan schedule
 * (`airlock-rescan/<service>/<env>`, Temporal Schedule) at the release they promoted (docs/compliance.md).
 */
export const COMPLIANCE_PATCH = 'compliance-schedule';

/**
 * Pipelines started from this patch on run independent steps side by side instead of one after the other:
 * the build's evidence link beside the scan, the scan's link beside the policy verdict (the links still
 * follow each other: each starts once the one before it is stored), and after the promotion the rollout
 * record beside the compliance schedules (the rescan and drift schedules beside each other). Fewer
 * sequential round trips: 4 fewer on the no-op benchmark, and the signing and pushing of the first two links
 * off the critical path (issue 13).
 */
export const OVERLAP_PATCH = 'overlap-independent-steps';

/**
 * Pipelines started from this patch on run the policy verdict over the policy they already read, and the two
 * schedule writes after a promotion, as local activities (in the worker running the workflow task: no
 * dispatch, no workflow task of their own; each takes milliseconds). Issue 13.
 */
export const LOCAL_STEPS_PATCH = 'local-quick-steps';

/**
 * Pipelines started from this patch on sign and store the scan and policy links after the verdict, beside
 * the lock and an automatic approval gate, and the approvals link beside them; all are stored before the
 * rollout (whose admission reads the chain). A gate that waits for people, and a blocked verdict, still have
 * both links stored first. The chain does not depend on the order of its links (model/evidence/chain.ts), and
 * one process's appends to a tag overlap their settle waits (activities/evidence/registry-attestations.ts):
 * about 0.9 s less on the critical path of a low-risk pipeline (issue 13). A link that fails is reported at the
 * stage running when its failure is awaited (lock or approval).
 */
export const EVIDENCE_BESIDE_GATE_PATCH = 'evidence-beside-gate';

/**
 * Pipelines started from this patch on leave the approvals link of a gate that waited for people to the
 * deploy when it runs on the workflow's own queue (deployCandidate's `admit.approvals`: recorded, then the
 * chain verified, then the candidate created), instead of a recordEvidence between the approval and the
 * deploy: one dispatch and one workflow task fewer from the approval to the deploy (issue 13). The link's
 * content is fixed when the gate passes, as before. An automatic gate keeps its approvals link beside the scan
 * and policy links (patch `evidence-beside-gate`): each link's attach ends with a settle wait of >= 300 ms, and
 * recording it after them, in the deploy, would add that wait to the lead time. A deploy on another queue, or
 * one the windows re-check blocks, has the link recorded by recordEvidence (rollout.ts).
 */
export const APPROVALS_IN_DEPLOY_PATCH = 'approvals-in-deploy';

/**
 * One change from trigger to promoted or rolled back. Workflow id `airlock/<service>/<env>/<headCommit>`
 * (model/names.ts pipelineId); started with conflict policy USE_EXISTING so a re-trigger attaches.
 * Every outcome, `failed` included, is returned as a PipelineResult (the CLI maps it to an exit code);
 * a thrown non-Temporal error is a bug and retries the workflow task until the code is fixed.
 */
export async function deploymentPipeline(input: PipelineInput): Promise<PipelineResult> {
  const ctx = createContext(input);
  registerApprovalHandlers(ctx);
  let outcome: Outcome;
  try {
    outcome = await run(ctx);
  } catch (err) {
    outcome = { kind: 'failed', stage: ctx.state.stage, cause: causeOf(err) };
  }
  await CancellationScope.nonCancellable(async () => {
    await releaseLock(ctx);
    finish(ctx, outcome);
    await notifyOutcome(ctx, outcome);
    await condition(allHandlersFinished);
  });
  const promotion = ctx.state.promotion;
  return { pipelineId: ctx.pipelineId, releaseId: promotion?.release ?? ctx.target.releaseId, outcome, ...(promotion ? { promotion } : {}) };
}

/** blocked, rolled back, expired: an alert to the webhooks of the protected policy (patch `notifications`). */
async function notifyOutcome(ctx: PipelineContext, outcome: Outcome): Promise<void> {
  const event = outcomeEvent(ctx.state, outcome);
  if (!event || !ctx.webhooks?.length || !patched(NOTIFICATIONS_PATCH)) return;
  try {
    await notify(ctx.webhooks, { ...event, subject: ctx.pipelineId });
  } catch (err) {
    // the outcome stands; a delivery that could not even start is logged, not a reason to fail the pipeline
    log.warn('the outcome alert was not sent', { type: event.type, error: String(err) });
  }
}

async function run(ctx: PipelineContext): Promise<Outcome> {
  const { input, state } = ctx;
  const key = { releaseId: ctx.target.releaseId };
  const { repo, headCommit, serviceDir } = input;
  await routeByRole(); // patch `queues-by-role`: build and deploy activities go to their role's queue

  const { snapshot, change, assessment, policy, settings, bootstrap, judgedBase } = await runChangeAnalysis(ctx);
  // From patch `input-identifiers` on, the rollout runs with airlock.yaml's settings at head, never the input's.
  const rolloutSettings = (state.rollout = rolloutSettingsFor(input, settings, settings !== undefined && patched(INPUT_IDENTIFIERS_PATCH)));
  ctx.settings = rolloutSettings;
  ctx.authors = [...new Set([input.author, ...change.authors])];
  ctx.snapshot = snapshot;
  // webhooks come only from the protected policy (read at its anchor), never from the change or its trigger
  if (policy && 'digest' in policy && policy.policy.notifications?.webhooks.length) ctx.webhooks = policy.policy.notifications.webhooks;
  // what signed decisions bind: the judged range and the protected policy's digest (approval-rules.ts boundSubject)
  state.judged = { base: judgedBase ?? input.baseCommit, head: headCommit, policyDigest: snapshot.policyDigest };
  const risk = (state.risk = routeRisk(assessment, change, bootstrap));
  upsertRiskLevel(risk.level);
  // airlock.yaml (at the anchor) has `promotion:` and the input's environment is in it (patch `promotion`)
  if (settings?.promotion) return promoteThrough(ctx, { snapshot, change, assessment, policy, settings, ...(bootstrap !== undefined ? { bootstrap } : {}), ...(judgedBase ? { judgedBase } : {}), plan: settings.promotion });

  const evidence = patched(EVIDENCE_PATCH);
  const ids = { ...key, pipelineId: ctx.pipelineId, runId: workflowInfo().runId };
  const now = () => new Date().toISOString();

  const buildStarted = now();
  const build = await stage(ctx, 'build', () =>
    stages.buildImage({ ...key, repo, commit: headCommit, service: input.service, serviceDir, ...(settings ? { build: settings.build } : {}) }),
  );
  const image = (state.image = pinned(build.image, build.digest));
  const recordBuild = () => evidenceActivities.recordEvidence({ ...ids, image, link: 'build', repo, commit: headCommit, serviceDir, startedOn: buildStarted, finishedOn: now() });
  // evidence links beside the next stage (patch `overlap-independent-steps`), one link after the other
  const overlap = evidence && patched(OVERLAP_PATCH);
  if (evidence && !overlap) await recordBuild();

  const scanStarted = now();
  const scanning = stage(ctx, 'scan', () => stages.scanImage({ ...key, image }));
  const [scan] = overlap ? await Promise.all([scanning, recordBuild()]) : [await scanning];
  state.findings = findingsSummary(scan);
  const recordScan = () => evidenceActivities.recordEvidence({ ...ids, image, link: 'scan', scan, startedOn: scanStarted, finishedOn: now() });
  if (evidence && !overlap) await recordScan();

  // a policy already read: the verdict is pure, a local activity (patch `local-quick-steps`)
  const judge = 'digest' in policy && patched(LOCAL_STEPS_PATCH) ? localActivities.evaluatePolicy : stages.evaluatePolicy;
  const besideGate = overlap && patched(EVIDENCE_BESIDE_GATE_PATCH);
  // With the links beside it, the lock is requested in the activation the verdict's local activity resolves
  // in. A query that comes while a local activity runs ends the workflow task there, and on replay a patch
  // decided after the local activity would be looked for in that earlier task and not found (a
  // nondeterminism error). So the lock's patch is decided now, before the local activity.
  if (besideGate) patched(LOCK_SECRET_PATCH);
  const judging = stage(ctx, 'policy', () => judge({ ...key, environment: input.environment, policy, scan, risk: assessment }));
  const [verdict] = overlap && !besideGate ? await Promise.all([judging, recordScan()]) : [await judging];
  state.policy = policySummary(verdict);
  // a blocked verdict is evidence too: the chain then fails at its policy link
  const recordPolicy = async () => {
    if (evidence && state.anchor) await evidenceActivities.recordEvidence({ ...ids, image, link: 'policy', environment: input.environment, verdict, origin: state.anchor, snapshot });
  };
  // patch `evidence-beside-gate`: the scan and policy links are stored while the lock is taken and an automatic gate passes
  const automatic = tally(snapshot.levels[risk.level], []).satisfied;
  const links = besideGate ? awaitLater(Promise.all([recordScan(), recordPolicy()])) : undefined;
  if (links && (!verdict.allowed || !automatic)) await links();
  if (!links) await recordPolicy();
  if (!verdict.allowed) return { kind: 'blocked_by_policy', violations: state.policy.violations };

  const leaseMs = lockLeaseMs(snapshot.approvalTimeoutMs, rolloutSettings.rollout, rolloutSettings.analysis);
  const leaseEndsAt = Date.now() + leaseMs;
  const stopped = async (o: Outcome) => {
    await links?.();
    return o;
  };
  const waited = await acquireLock(ctx, leaseMs);
  if (waited) return stopped(waited);

  const decided = await approvalGate(ctx, { snapshot, level: risk.level, imageDigest: build.digest });
  if (decided) return stopped(decided);
  const unbound = unboundOutcome(ctx);
  if (unbound) return stopped(unbound);
  // the approvals link, recorded here or, after a gate that waited for people, by the deploy from this patch on
  const approvals = evidence ? await storeApprovalsLink(ctx, { ids, image, rule: snapshot.levels[risk.level], automatic, patch: APPROVALS_IN_DEPLOY_PATCH, links }) : undefined;

  // Freeze windows and exception expiry are re-checked before the deploy and each traffic increase (patch
  // `recheck-windows`, in rollout): the approval wait can last days. The chain is verified right before the deploy.
  const admit = evidence ? { environment: input.environment, ...(snapshot.trustedKeys ? { trustedKeys: snapshot.trustedKeys } : {}), ...(approvals ? { approvals } : {}) } : undefined;
  const rolloutStarted = now();
  const loaded = policy && 'digest' in policy ? policy : undefined;
  // the runtime security stage judges with the protected policy and airlock.yaml's surface at head (patch `runtime-security`)
  const security = loaded && settings ? { ...(settings.security ? { surface: settings.security } : {}), requirements: loaded.policy.security_requirements, exceptions: loaded.policy.exceptions } : undefined;
  const outcome = await rollout(ctx, image, settings?.target, loaded ? { policy: loaded, scan, risk: assessment, leaseEndsAt } : undefined, admit, security);
  const recordRollout = async () => {
    if (!evidence || (outcome.kind !== 'promoted' && outcome.kind !== 'rolled_back')) return;
    try {
      await evidenceActivities.recordEvidence({
        ...ids,
        image,
        link: 'rollout',
        environment: input.environment,
        strategy: rolloutSettings.rollout.strategy,
        steps: rolloutSteps(rolloutSettings.rollout),
        analysis: state.analysis,
        outcome: outcome.kind,
        startedAt: rolloutStarted,
        finishedAt: now(),
      });
    } catch (err) {
      // the release is live (or rolled back) already: a missing rollout record does not undo that
      log.warn('the rollout record was not added to the evidence chain', { error: String(err) });
    }
  };
  const schedule = async () => {
    if (outcome.kind !== 'promoted' || !patched(COMPLIANCE_PATCH)) return;
    const target = { service: input.service, environment: input.environment, releaseId: outcome.releaseId, image: outcome.image, source: { repo, commit: headCommit, serviceDir }, pipelineId: ctx.pipelineId };
    await scheduleRescanOf(target, { sideBySide: overlap, local: patched(LOCAL_STEPS_PATCH) });
  };
  // neither throws (both log what failed): side by side from patch `overlap-independent-steps` on
  if (overlap) await Promise.all([recordRollout(), schedule()]);
  else {
    await recordRollout();
    await schedule();
  }
  return outcome;
}
