import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { AnalysisVerdict, DeployTarget } from '../model/deploy';
import type { FailureCause, Outcome } from '../model/pipeline';
import { analysisActivity, compensations, rolloutActivities as act } from './activity-options';
import { causeOf, rolloutPlan } from './plan';
import { Saga } from './saga';
import { abortedFailure, enterStage, type PipelineContext } from './state';

/** Moves the candidate's traffic share; the first move registers "all traffic back to stable". */
async function moveTraffic(ctx: PipelineContext, saga: Saga, weight: number): Promise<void> {
  if (ctx.state.traffic === 0 && weight > 0) saga.add('restore-traffic', () => compensations.shiftTraffic({ ...ctx.target, weight: 0 }));
  await act.shiftTraffic({ ...ctx.target, weight });
  ctx.state.traffic = weight;
}

/** One analysis at the current weight; abort and promote cancel it (`interrupted`). */
async function analyzeStep(ctx: PipelineContext, step: number): Promise<AnalysisVerdict | 'interrupted'> {
  enterStage(ctx, 'analysis');
  const scope = new CancellationScope();
  ctx.analysisScope = scope;
  try {
    const verdict = await scope.run(() => analysisActivity(ctx.input.analysis)({ ...ctx.target, step, settings: ctx.input.analysis }));
    ctx.state.analysis.push(verdict);
    return verdict;
  } catch (err) {
    if (isCancellation(err) && (ctx.abort || ctx.promoteBy) && !CancellationScope.current().consideredCancelled) return 'interrupted';
    throw err;
  } finally {
    ctx.analysisScope = undefined;
  }
}

async function rollBack(ctx: PipelineContext, saga: Saga, why: { reason: string; step?: number; cause?: FailureCause }): Promise<Outcome> {
  enterStage(ctx, 'rollback');
  ctx.rollbackReason = why.reason;
  const failures = await saga.compensate(ctx.state.compensations);
  if (failures[0]) return { kind: 'failed', stage: 'rollback', cause: failures[0] };
  ctx.state.traffic = 0;
  return { kind: 'rolled_back', ...why };
}

/**
 * deployCandidate -> (shiftTraffic, analyze) per step -> promote. A failed analysis, an abort or any error
 * once the candidate exists runs the compensations newest-first: traffic back to stable, then the
 * candidate destroyed. A failed deployCandidate is cleaned up the same way and ends `failed`.
 * `deployTarget` is airlock.yaml's settings as the pipeline read them; without it (pipelines started
 * before patch `read-once`) deployCandidate reads airlock.yaml at the head commit.
 */
export async function rollout(ctx: PipelineContext, image: string, deployTarget?: DeployTarget): Promise<Outcome> {
  const { input, target, state } = ctx;
  const saga = new Saga();
  saga.add('rollback', () => compensations.rollback({ ...target, reason: ctx.rollbackReason ?? 'deploy failed' }));
  try {
    enterStage(ctx, 'deploy');
    const where = deployTarget ? { target: deployTarget } : { repo: input.repo, commit: input.headCommit, serviceDir: input.serviceDir };
    await act.deployCandidate({ ...target, image, ...where });
    ctx.deployed = true;
    for (const step of rolloutPlan(input.rollout)) {
      if (ctx.abort) throw abortedFailure(ctx.abort);
      if (ctx.promoteBy) break;
      enterStage(ctx, 'deploy');
      if (step.weight !== state.traffic) await moveTraffic(ctx, saga, step.weight);
      if (!step.analyze) continue;
      const verdict = await analyzeStep(ctx, step.weight);
      if (verdict !== 'interrupted' && verdict.verdict === 'fail')
        return await rollBack(ctx, saga, { reason: verdict.reason ?? `analysis failed at ${step.weight}%`, step: step.weight });
    }
    if (ctx.abort) throw abortedFailure(ctx.abort);
    if (state.traffic < 100) await moveTraffic(ctx, saga, 100);
    enterStage(ctx, 'promote');
    await act.promote(target);
    saga.clear();
    return { kind: 'promoted', releaseId: target.releaseId, image };
  } catch (err) {
    const cause = causeOf(err);
    if (!ctx.deployed) {
      await saga.compensate(state.compensations);
      return { kind: 'failed', stage: 'deploy', cause };
    }
    return rollBack(ctx, saga, { reason: cause.type === 'PipelineAborted' ? cause.message : `${cause.type}: ${cause.message}`, cause });
  }
}
