import { CancellationScope, condition, isCancellation, log, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { TargetRef } from '../model/activities';
import type { CanaryVerdict, DeployTarget, LeaseToken, PipelineAdmission } from '../model/deploy';
import type { LoadedPolicy, PolicyException, SecurityRequirements } from '../model/policy';
import type { LevelRule } from '../model/policy-snapshot';
import { blockingReasons } from '../model/runtime-security-report';
import type { SecuritySurface } from '../model/runtime-security';
import type { RiskAssessment } from '../model/risk';
import type { ScanSummary } from '../model/scan';
import { WORKFLOW_FAILURE } from '../model/failures';
import type { FailureCause, Outcome, PipelineState, Stage } from '../model/pipeline';
import { rolloutSteps } from '../model/rollout';
import { canaryAnalysisActivity, compensations, evidenceActivities, localActivities, onWorkflowQueue, rolloutActivities } from './activity-options';
import { abortedFailure } from './failures';
import type { AbortRequest } from './messages';
import { causeOf, type RolloutAndAnalysis } from './decisions';
import { Saga } from './saga';
import { awaitLater } from './later';
import { SEARCH_KEYS } from './search-attributes';
import { enterStage, type PipelineContext } from './state';

/** What a rollout reads and writes: the pipeline's context (PipelineContext is one), or deployRelease's own. */
export interface RolloutContext {
  target: TargetRef;
  /**
   * The steps and canary analysis thresholds: airlock.yaml's (the pipeline: as read at the head commit,
   * never the workflow input's; deployRelease: the target's).
   */
  settings: RolloutAndAnalysis;
  state: Pick<PipelineState, 'traffic' | 'analysis' | 'compensations'>;
  /** a candidate exists: failures from here on roll back */
  deployed: boolean;
  /** why compensations run (the rollback activity records it) */
  rollbackReason?: string;
  /** set by the pipeline's `abort` signal and `promote` update; they cancel the running analysis */
  abort?: AbortRequest;
  promoteBy?: unknown;
  canaryScope?: CancellationScope;
  /** The lock holder this run acts for (patch `lock-lease`): every environment-changing activity carries it. */
  lease?: LeaseToken;
}

/** `lease` for an environment-changing activity's input, when the run has one. */
const fenced = (ctx: RolloutContext): { lease?: LeaseToken } => (ctx.lease ? { lease: ctx.lease } : {});

/** What differs between the pipeline's rollout and deployRelease's. */
export interface RolloutWay<Stop> {
  /** Creates the candidate (no user traffic yet); returns an outcome instead when there is nothing to roll out. */
  deploy(): Promise<Stop | undefined>;
  /** The pipeline's stage (state query, search attribute); deployRelease has none. */
  enterStage(stage: Extract<Stage, 'deploy' | 'runtime-security' | 'analysis' | 'promote' | 'rollback'>): void;
  /**
   * Called once the candidate exists, before any traffic moves (the pipeline's, patch `runtime-security`):
   * says why the candidate must be rolled back instead, if it must.
   */
  verifyCandidate?: () => Promise<{ rollback: string } | undefined>;
  /**
   * true: the rollout moves the traffic itself, up to 100 before promote (blue-green's switch) and back to
   * stable as the first compensation. false only for deployRelease runs started before the
   * 'deploy-release-one-rollout' patch: promote switched and rollback took the traffic back by themselves.
   */
  movesTraffic: boolean;
  /**
   * Called before each traffic increase (the pipeline's, patch `recheck-windows`): resolves when the rollout
   * may go on (after holding, durably, through a freeze window), or says why it must roll back instead.
   */
  beforeTrafficIncrease?: (weight: number) => Promise<{ rollback: string } | undefined>;
  /** Called once the promotion's traffic is final, before the stack update records it (patch `settle-after-promote`). */
  promoted?: (outcome: Extract<RolloutOutcome, { kind: 'promoted' }>) => void;
  /** Called at 100%, before promote (the pipeline's soak, patch `promotion`): says why to roll back instead, if it must. */
  beforePromote?: () => Promise<{ rollback: string } | undefined>;
  /**
   * Given, the stack update after the promote is not awaited here (patch `settle-beside-records`): the way
   * gets it and must await it before the environment's lock is released.
   */
  settleBeside?: (settling: Promise<void>) => void;
}

export type RolloutOutcome =
  | Extract<Outcome, { kind: 'promoted' | 'rolled_back' }>
  | { kind: 'failed'; stage: Extract<Stage, 'deploy' | 'rollback'>; cause: FailureCause };

/**
 * Rollouts started from this patch on promote in two steps: `promote` makes the traffic final (all on the
 * candidate through the router's runtime API, the old release drained) and the outcome is reported then
 * (RolloutWay.promoted); `settleRelease`, still under the environment lock, runs the stack update that
 * destroys the old release and records the promotion. The `pulumi up` is then off the critical path of
 * the outcome, and the stack equals reality before the lock is released.
 */
export const SETTLE_PATCH = 'settle-after-promote';

/**
 * Pipelines started from this patch on run the stack update after a promotion (settleRelease) beside what
 * follows the outcome (the rollout record, the compliance schedules) instead of before it; it still ends
 * before the environment's lock is released, so the stack equals reality for the next holder. One round trip
 * fewer, and the lock free sooner by the records' time (issue 13).
 */
export const SETTLE_BESIDE_PATCH = 'settle-beside-records';

/**
 * Reports the promotion, then records it in the stack (retried like a compensation: unlimited while the
 * lock is held). A settle that cannot succeed (only a non-retryable error: the lease lost, a plan refused)
 * leaves the outcome as it is, since the traffic is final; the environment then still records the
 * candidate (at 100%) next to the old release, and its next deploy refuses until a settle or `airlock
 * rollback` (docs/deploy.md).
 */
async function settle(ctx: RolloutContext, way: RolloutWay<unknown>, promoted: Extract<RolloutOutcome, { kind: 'promoted' }>): Promise<void> {
  way.promoted?.(promoted);
  try {
    await CancellationScope.nonCancellable(() => compensations.settleRelease({ ...ctx.target, ...fenced(ctx) }));
  } catch (err) {
    log.error('the promotion is final but its stack update failed: the environment still records the old release next to this one', { ...causeOf(err) });
  }
}

/** The first move above 0 registers "all traffic back to stable" (before the move is scheduled). */
function restoreOnUndo(ctx: RolloutContext, saga: Saga, way: RolloutWay<unknown>, weight: number): void {
  if (way.movesTraffic && ctx.state.traffic === 0 && weight > 0) saga.add('restore-traffic', () => compensations.shiftTraffic({ ...ctx.target, weight: 0, ...fenced(ctx) }));
}

/** Moves the candidate's traffic share; the first move registers "all traffic back to stable". */
async function moveTraffic(ctx: RolloutContext, saga: Saga, way: RolloutWay<unknown>, weight: number): Promise<void> {
  restoreOnUndo(ctx, saga, way, weight);
  await rolloutActivities.shiftTraffic({ ...ctx.target, weight, ...fenced(ctx) });
  ctx.state.traffic = weight;
}

/**
 * Rollouts started from this patch on move the traffic of a step that is analyzed inside its analysis
 * activity (`analyze` with `shift: true`; activities/deploy/shift-traffic.ts shiftThenAnalyze) instead of a
 * shiftTraffic before it: one dispatch and one workflow task fewer per canary step (issue 13). Both run on the
 * target's deploy queue. The move is the same (lease check, record, runtime API), compensated the same way;
 * a move without an analysis (blue-green's switch, the last move to 100) is still shiftTraffic.
 */
export const SHIFT_IN_ANALYSIS_PATCH = 'shift-in-analysis';

/** One analysis at the current weight (`shift`: moved to it first, in the same activity); abort and promote cancel it (`interrupted`). */
export async function analyzeCanaryStep(ctx: RolloutContext, way: Pick<RolloutWay<unknown>, 'enterStage'>, step: number, shift = false): Promise<CanaryVerdict | 'interrupted'> {
  way.enterStage('analysis');
  const scope = new CancellationScope();
  ctx.canaryScope = scope;
  const move = shift ? { shift: true as const, ...fenced(ctx) } : {};
  try {
    const verdict = await scope.run(() => canaryAnalysisActivity(ctx.settings.analysis, shift)({ ...ctx.target, step, settings: ctx.settings.analysis, ...move }));
    ctx.state.analysis.push(verdict);
    return verdict;
  } catch (err) {
    if (isCancellation(err) && (ctx.abort || ctx.promoteBy) && !CancellationScope.current().consideredCancelled) return 'interrupted';
    throw err;
  } finally {
    ctx.canaryScope = undefined;
  }
}

async function rollBack(ctx: RolloutContext, saga: Saga, way: RolloutWay<unknown>, why: { reason: string; step?: number; cause?: FailureCause }): Promise<RolloutOutcome> {
  way.enterStage('rollback');
  ctx.rollbackReason = why.reason;
  const failures = await saga.compensate(ctx.state.compensations);
  if (failures[0]) return { kind: 'failed', stage: 'rollback', cause: failures[0] };
  ctx.state.traffic = 0;
  return { kind: 'rolled_back', ...why };
}

/**
 * deploy -> (shiftTraffic, analyze) per step -> promote, for the pipeline and deployRelease alike. A
 * failed analysis, an abort or any error once the candidate exists runs the compensations newest-first:
 * traffic back to stable, then the candidate destroyed. A failed deploy is cleaned up the same way and
 * ends `failed`.
 */
export async function runRollout<Stop>(ctx: RolloutContext, image: string, way: RolloutWay<Stop>): Promise<RolloutOutcome | Stop> {
  const { target, state } = ctx;
  const saga = new Saga();
  saga.add('rollback', () => compensations.rollback({ ...target, reason: ctx.rollbackReason ?? 'deploy failed', ...fenced(ctx) }));
  try {
    way.enterStage('deploy');
    // decided here, before deploy's first local activity (the windows recheck): see VERIFY_IN_DEPLOY_PATCH
    const shiftInAnalysis = patched(SHIFT_IN_ANALYSIS_PATCH);
    const stop = await way.deploy();
    if (stop !== undefined) {
      saga.clear();
      return stop;
    }
    ctx.deployed = true;
    const refused = await way.verifyCandidate?.();
    if (refused) return await rollBack(ctx, saga, way, { reason: refused.rollback, step: 0 });
    for (const step of rolloutSteps(ctx.settings.rollout)) {
      if (ctx.abort) throw abortedFailure(ctx.abort);
      if (ctx.promoteBy) break;
      if (!step.analyze && !way.movesTraffic) continue;
      way.enterStage('deploy');
      if (step.weight > state.traffic && way.beforeTrafficIncrease) {
        const stop = await way.beforeTrafficIncrease(step.weight);
        if (ctx.abort) throw abortedFailure(ctx.abort);
        if (stop) return await rollBack(ctx, saga, way, { reason: stop.rollback, step: state.traffic });
        if (ctx.promoteBy) break;
      }
      const inAnalysis = step.analyze && shiftInAnalysis && step.weight !== state.traffic;
      if (inAnalysis) {
        restoreOnUndo(ctx, saga, way, step.weight);
        state.traffic = step.weight; // the activity's first act; the compensation above covers a failure either way
      } else if (step.weight !== state.traffic) await moveTraffic(ctx, saga, way, step.weight);
      if (!step.analyze) continue;
      const verdict = await analyzeCanaryStep(ctx, way, step.weight, inAnalysis);
      if (verdict !== 'interrupted' && verdict.verdict === 'fail')
        return await rollBack(ctx, saga, way, { reason: verdict.reason ?? `analysis failed at ${step.weight}%`, step: step.weight });
    }
    if (ctx.abort) throw abortedFailure(ctx.abort);
    if (way.movesTraffic && state.traffic < 100 && way.beforeTrafficIncrease) {
      const stop = await way.beforeTrafficIncrease(100);
      if (ctx.abort) throw abortedFailure(ctx.abort);
      if (stop) return await rollBack(ctx, saga, way, { reason: stop.rollback, step: state.traffic });
    }
    if (way.movesTraffic && state.traffic < 100) await moveTraffic(ctx, saga, way, 100);
    const soaked = await way.beforePromote?.();
    if (ctx.abort) throw abortedFailure(ctx.abort);
    if (soaked) return await rollBack(ctx, saga, way, { reason: soaked.rollback, step: state.traffic });
    way.enterStage('promote');
    // From this patch on promote ends when the traffic is final; the stack update follows (settle below).
    const settleLater = patched(SETTLE_PATCH);
    await rolloutActivities.promote({ ...target, ...fenced(ctx), ...(settleLater ? { settle: 'later' as const } : {}) });
    saga.clear();
    const promoted = { kind: 'promoted' as const, releaseId: target.releaseId, image };
    if (settleLater && way.settleBeside && patched(SETTLE_BESIDE_PATCH)) way.settleBeside(settle(ctx, way, promoted));
    else if (settleLater) await settle(ctx, way, promoted);
    return promoted;
  } catch (err) {
    const cause = causeOf(err);
    if (!ctx.deployed) {
      await saga.compensate(state.compensations);
      return { kind: 'failed', stage: 'deploy', cause };
    }
    return rollBack(ctx, saga, way, { reason: cause.type === WORKFLOW_FAILURE.PipelineAborted ? cause.message : `${cause.type}: ${cause.message}`, cause });
  }
}

/**
 * The pipeline's rollout: the candidate from the head commit, stages in the state and search attributes.
 * `deployTarget` is airlock.yaml's settings as the pipeline read them; without it (pipelines started
 * before patch `read-once`) deployCandidate reads airlock.yaml at the head commit.
 */
export function rollout(
  ctx: PipelineContext,
  image: string,
  deployTarget?: DeployTarget,
  gate?: RecheckGate,
  admit?: Admission,
  security?: RuntimeSecurityGate,
  beforePromote?: () => Promise<{ rollback: string } | undefined>,
): Promise<Outcome> {
  const { input, target } = ctx;
  const where = deployTarget ? { target: deployTarget } : { repo: input.repo, commit: input.headCommit, serviceDir: input.serviceDir };
  // Pipelines started before this patch checked freeze windows and exceptions once, at the policy stage.
  const recheck = gate && patched('recheck-windows') ? windowsRecheck(ctx, gate) : undefined;
  let alreadyStable = false;
  return runRollout<Outcome>(ctx, image, {
    deploy: async () => {
      // decided before the windows recheck's local activity: a patch decided in the activation a local
      // activity resolves in does not replay when a query split that workflow task (workflows/pipeline.ts)
      const inDeploy = admit?.environment === target.environment && onWorkflowQueue('deployCandidate', target) && patched(VERIFY_IN_DEPLOY_PATCH);
      // the approvals link the pipeline left to the deploy (patch `approvals-in-deploy`), recorded here when it is not
      const recordApprovals = async () => {
        if (admit?.approvals) await evidenceActivities.recordEvidence({ releaseId: target.releaseId, image, link: 'approvals', ...admit.approvals });
      };
      const blocked = await recheck?.beforeDeploy();
      if (blocked) {
        await recordApprovals(); // approved, then not deployed: the approvals are evidence all the same
        return blocked;
      }
      // admission (patch `evidence-chain`): nothing is created for an image whose chain does not verify here
      if (admit && !inDeploy) {
        await recordApprovals();
        const { approvals: _recorded, ...checks } = admit;
        await evidenceActivities.verifyEvidence({ releaseId: target.releaseId, image, ...checks });
      }
      const admission = inDeploy ? { admit: pipelineAdmission(admit) } : {};
      const deployed = await rolloutActivities.deployCandidate({ ...target, image, ...where, ...fenced(ctx), ...admission });
      // mocks and older results may carry no flag: only an explicit `true` skips the probes
      alreadyStable = (deployed as { alreadyStable?: boolean } | undefined)?.alreadyStable === true;
      return undefined;
    },
    enterStage: (stage) => enterStage(ctx, stage),
    ...(security ? { verifyCandidate: () => (alreadyStable ? Promise.resolve(undefined) : verifyRuntimeSecurity(ctx, security)) } : {}),
    movesTraffic: true,
    ...(recheck ? { beforeTrafficIncrease: recheck.beforeTrafficIncrease } : {}),
    // the outcome is known once the traffic is final: the state query and `airlock list` show it while the stack update runs
    promoted: (outcome) => {
      // staging's `promoted` is not the pipeline's outcome: neither the state (`status`, `trigger --wait`, the
      // dashboard's controls) nor `airlock list --outcome promoted` may show it while the stack update runs and
      // production is ahead (patch `promotion-outcome-attribute`; older histories upserted the attribute)
      if (ctx.moreEnvironments) {
        if (!patched('promotion-outcome-attribute')) upsertSearchAttributes([{ key: SEARCH_KEYS.outcome, value: outcome.kind }]);
        return;
      }
      ctx.state.outcome = outcome;
      upsertSearchAttributes([{ key: SEARCH_KEYS.outcome, value: outcome.kind }]);
    },
    ...(beforePromote ? { beforePromote } : {}),
    settleBeside: (settling) => {
      ctx.settling = awaitLater(settling);
    },
  });
}

/** What the runtime security stage judges with: airlock.yaml's surface at head, the judging policy's requirements. */
export interface RuntimeSecurityGate {
  surface?: SecuritySurface;
  requirements: SecurityRequirements;
  exceptions: PolicyException[];
}

/** How many blocking findings the rollback reason names (the rest are in the activity's result). */
const REASONS_SHOWN = 3;

/**
 * The runtime security stage (patch `runtime-security`; histories from before it replay without it):
 * the candidate probed alone, before the first traffic move. A report that did not pass rolls back.
 */
async function verifyRuntimeSecurity(ctx: PipelineContext, security: RuntimeSecurityGate): Promise<{ rollback: string } | undefined> {
  if (!patched('runtime-security')) return undefined;
  enterStage(ctx, 'runtime-security');
  if (!security.surface) {
    ctx.state.runtimeSecurity = { passed: true, checks: { surface: 'not declared: airlock.yaml has no security.endpoints, nothing probed' }, blocking: [], requests: 0, durationMs: 0 };
    log.warn('runtime security not probed: airlock.yaml declares no security.endpoints');
    return undefined;
  }
  const report = await rolloutActivities.verifyRuntimeSecurity({ ...ctx.target, surface: security.surface, requirements: security.requirements, exceptions: security.exceptions });
  const blocking = blockingReasons(report);
  ctx.state.runtimeSecurity = {
    passed: report.passed,
    checks: Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, `${v.status}: ${v.detail}`])),
    blocking: blocking.slice(0, 20),
    requests: report.requests,
    durationMs: report.durationMs,
  };
  if (report.passed) return undefined;
  const more = blocking.length > REASONS_SHOWN ? ` (+${blocking.length - REASONS_SHOWN} more)` : '';
  return { rollback: `runtime security: ${blocking.slice(0, REASONS_SHOWN).join('; ')}${more}` };
}

/**
 * Pipelines started from this patch on have the deploy verify the evidence chain (deployCandidate's `admit`)
 * when it runs on the workflow's own task queue, where verifyEvidence would run: one activity and one workflow
 * task fewer between the gate and the candidate (issue 13). A deploy on another queue (a deploy host of a
 * fleet) still gets verifyEvidence first; that host checks again with its own keys either way.
 */
export const VERIFY_IN_DEPLOY_PATCH = 'verify-in-deploy';

/** deployCandidate's `admit`: the admission without its environment (the deploy's own is the one checked). */
const pipelineAdmission = (a: Admission): PipelineAdmission => ({
  ...(a.trustedKeys?.length ? { trustedKeys: a.trustedKeys } : {}),
  ...(a.passedIn !== undefined ? { passedIn: a.passedIn } : {}),
  ...(a.approvals ? { approvals: a.approvals } : {}),
});

/** The deploy's admission: the evidence chain must verify for this environment, with these worker keys. */
export interface Admission {
  environment: string;
  /** The policy's evidence.trustedKeys; absent: the verifying worker's own key. */
  trustedKeys?: string[];
  /** Promotion: the previous environment's `promoted` rollout record must be in the chain. */
  passedIn?: string;
  /**
   * The approvals link, not yet recorded (patch `approvals-in-deploy`): the deploy records it right before it
   * verifies the chain (deployCandidate's `admit.approvals`), or, when the deploy does not run on the
   * pipeline's queue or the re-check blocks it, a recordEvidence here does.
   */
  approvals?: { pipelineId: string; runId: string; state: PipelineState; rule: LevelRule; authors: string[] };
}

/** What the gate judged (the workflow carries it), for re-checking its time-dependent part. */
export interface RecheckGate {
  policy: LoadedPolicy;
  scan: ScanSummary;
  risk: RiskAssessment;
  /** Workflow time when the environment lock's lease ends: a freeze holds the rollout no longer than this. */
  leaseEndsAt: number;
}

/** Pipelines started from this patch on re-check freeze windows and exceptions in a local activity. */
export const RECHECK_LOCAL_PATCH = 'recheck-local';

/** Re-checks freeze windows and exception expiry by the worker's clock before the deploy and each traffic increase. */
function windowsRecheck(ctx: PipelineContext, gate: RecheckGate) {
  // A pure check of what the workflow carries by the worker's clock: a local activity (patch `recheck-local`)
  // saves a dispatch and a workflow task at each of its four calls per rollout.
  const recheck = patched(RECHECK_LOCAL_PATCH) ? localActivities.recheckWindows : rolloutActivities.recheckWindows;
  const check = () => recheck({ releaseId: ctx.target.releaseId, environment: ctx.input.environment, policy: gate.policy, scan: gate.scan, risk: gate.risk });
  const blockedBy = (violations: string[]) => {
    ctx.state.policy = { allowed: false, policyDigest: gate.policy.digest, violations };
    log.warn('not deployed: the gate no longer passes', { violations });
  };
  return {
    /** An expired exception or a freeze window that started during the approval wait: not deployed. */
    async beforeDeploy(): Promise<Outcome | undefined> {
      const r = await check();
      if (r.allowed) return undefined;
      const violations = r.violations.map((v) => `${v} (re-checked before the deploy at ${r.checkedAt})`);
      blockedBy(violations);
      return { kind: 'blocked_by_policy', violations };
    },
    /** A freeze window that started mid-rollout: hold at the current step until it ends (or the lease does), or roll back. */
    async beforeTrafficIncrease(weight: number): Promise<{ rollback: string } | undefined> {
      for (;;) {
        const r = await check();
        if (r.allowed) {
          if (ctx.state.hold) log.info('freeze window over: the rollout goes on', { window: ctx.state.hold.window, weight });
          delete ctx.state.hold;
          return undefined;
        }
        if (!r.freeze || r.otherBlocking > 0) return { rollback: `the gate no longer passes before ${weight}%: ${r.violations.join('; ')}` };
        const why = `freeze window "${r.freeze.name}" (until ${r.freeze.endsAt}) started during the rollout`;
        if (r.freeze.duringRollout === 'rollback') return { rollback: `${why}: the policy says roll back (freeze.duringRollout: rollback)` };
        const endsAt = Date.parse(r.freeze.endsAt);
        if (endsAt > gate.leaseEndsAt) return { rollback: `${why}: it ends after the environment lock's lease, so the release is rolled back instead of held` };
        if (!ctx.state.hold) {
          ctx.state.hold = { window: r.freeze.name, since: r.checkedAt, until: r.freeze.endsAt, traffic: ctx.state.traffic };
          log.warn('rollout held by a freeze window', { window: r.freeze.name, until: r.freeze.endsAt, traffic: ctx.state.traffic, next: weight });
        }
        // Durable wait: a timer in the history; abort and promote end it early.
        await condition(() => ctx.abort !== undefined || ctx.promoteBy !== undefined, Math.max(1000, Math.min(endsAt - Date.now() + 1000, 10 * 60_000)));
        if (ctx.abort || ctx.promoteBy) return undefined;
      }
    },
  };
}
