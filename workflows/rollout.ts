import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { TargetRef } from '../model/activities';
import type { CanaryVerdict, DeployTarget } from '../model/deploy';
import { WORKFLOW_FAILURE } from '../model/failures';
import type { FailureCause, Outcome, PipelineState, Stage } from '../model/pipeline';
import { rolloutSteps } from '../model/rollout';
import { canaryAnalysisActivity, compensations, rolloutActivities } from './activity-options';
import { abortedFailure } from './failures';
import type { AbortRequest } from './messages';
import { causeOf, type RolloutAndAnalysis } from './decisions';
import { Saga } from './saga';
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
}

/** What differs between the pipeline's rollout and deployRelease's. */
export interface RolloutWay<Stop> {
  /** Creates the candidate (no user traffic yet); returns an outcome instead when there is nothing to roll out. */
  deploy(): Promise<Stop | undefined>;
  /** The pipeline's stage (state query, search attribute); deployRelease has none. */
  enterStage(stage: Extract<Stage, 'deploy' | 'analysis' | 'promote' | 'rollback'>): void;
  /**
   * true: the rollout moves the traffic itself, up to 100 before promote (blue-green's switch) and back to
   * stable as the first compensation. false only for deployRelease runs started before the
   * 'deploy-release-one-rollout' patch: promote switched and rollback took the traffic back by themselves.
   */
  movesTraffic: boolean;
}

export type RolloutOutcome =
  | Extract<Outcome, { kind: 'promoted' | 'rolled_back' }>
  | { kind: 'failed'; stage: Extract<Stage, 'deploy' | 'rollback'>; cause: FailureCause };

/** Moves the candidate's traffic share; the first move registers "all traffic back to stable". */
async function moveTraffic(ctx: RolloutContext, saga: Saga, way: RolloutWay<unknown>, weight: number): Promise<void> {
  if (way.movesTraffic && ctx.state.traffic === 0 && weight > 0) saga.add('restore-traffic', () => compensations.shiftTraffic({ ...ctx.target, weight: 0 }));
  await rolloutActivities.shiftTraffic({ ...ctx.target, weight });
  ctx.state.traffic = weight;
}

/** One analysis at the current weight; abort and promote cancel it (`interrupted`). */
async function analyzeCanaryStep(ctx: RolloutContext, way: RolloutWay<unknown>, step: number): Promise<CanaryVerdict | 'interrupted'> {
  way.enterStage('analysis');
  const scope = new CancellationScope();
  ctx.canaryScope = scope;
  try {
    const verdict = await scope.run(() => canaryAnalysisActivity(ctx.settings.analysis)({ ...ctx.target, step, settings: ctx.settings.analysis }));
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
  saga.add('rollback', () => compensations.rollback({ ...target, reason: ctx.rollbackReason ?? 'deploy failed' }));
  try {
    way.enterStage('deploy');
    const stop = await way.deploy();
    if (stop !== undefined) {
      saga.clear();
      return stop;
    }
    ctx.deployed = true;
    for (const step of rolloutSteps(ctx.settings.rollout)) {
      if (ctx.abort) throw abortedFailure(ctx.abort);
      if (ctx.promoteBy) break;
      if (!step.analyze && !way.movesTraffic) continue;
      way.enterStage('deploy');
      if (step.weight !== state.traffic) await moveTraffic(ctx, saga, way, step.weight);
      if (!step.analyze) continue;
      const verdict = await analyzeCanaryStep(ctx, way, step.weight);
      if (verdict !== 'interrupted' && verdict.verdict === 'fail')
        return await rollBack(ctx, saga, way, { reason: verdict.reason ?? `analysis failed at ${step.weight}%`, step: step.weight });
    }
    if (ctx.abort) throw abortedFailure(ctx.abort);
    if (way.movesTraffic && state.traffic < 100) await moveTraffic(ctx, saga, way, 100);
    way.enterStage('promote');
    await rolloutActivities.promote(target);
    saga.clear();
    return { kind: 'promoted', releaseId: target.releaseId, image };
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
export function rollout(ctx: PipelineContext, image: string, deployTarget?: DeployTarget): Promise<Outcome> {
  const { input, target } = ctx;
  const where = deployTarget ? { target: deployTarget } : { repo: input.repo, commit: input.headCommit, serviceDir: input.serviceDir };
  return runRollout<never>(ctx, image, {
    deploy: async () => {
      await rolloutActivities.deployCandidate({ ...target, image, ...where });
      return undefined;
    },
    enterStage: (stage) => enterStage(ctx, stage),
    movesTraffic: true,
  });
}
