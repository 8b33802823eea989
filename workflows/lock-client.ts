import {
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Outcome } from '../model/pipeline';
import { environmentLock } from './lock';
import { lockWorkflowId } from '../model/names';
import type { LockRequest } from './lock-queue';
import { abortedFailure, lockUnavailableFailure } from './failures';
import { lockReleaseSignal, lockRequestSignal } from './messages';
import { enterStage, type PipelineContext } from './state';

/**
 * Starts the lock with us as holder (free lock: granted in one round trip), or queues in the running
 * one; tries again if the lock ends in between. Returns whether we hold it already.
 */
async function requestLock(ctx: PipelineContext, request: LockRequest): Promise<boolean> {
  const { service, environment } = ctx.input;
  const workflowId = lockWorkflowId(service, environment);
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await startChild(environmentLock, {
        workflowId,
        args: [{ service, environment, holder: { ...request, grantedAtMs: Date.now() }, requests: [] }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      return true;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      await getExternalWorkflowHandle(workflowId).signal(lockRequestSignal, request);
      return false;
    } catch (err) {
      log.info('lock workflow ended between start and signal; trying again', { attempt, error: String(err) });
    }
  }
  throw lockUnavailableFailure(workflowId);
}

/**
 * Waits for this environment's lock. Returns `superseded` if a newer pipeline queued first; throws
 * PipelineAborted on abort. The lock is held through approval and rollout, released by releaseLock.
 */
export async function acquireLock(ctx: PipelineContext, leaseMs: number): Promise<Outcome | undefined> {
  enterStage(ctx, 'lock');
  ctx.lock.requested = true;
  const { workflowId: pipelineId, runId } = workflowInfo();
  if (await requestLock(ctx, { pipelineId, runId, headCommit: ctx.input.headCommit, leaseMs })) ctx.lock.granted = true;
  await condition(() => ctx.lock.granted || ctx.lock.supersededBy !== undefined || ctx.abort !== undefined);
  if (ctx.abort) throw abortedFailure(ctx.abort);
  if (ctx.lock.supersededBy) return { kind: 'superseded', by: ctx.lock.supersededBy };
  return undefined;
}

/** Always runs (also after cancellation); a lock that is gone needs no release. */
export async function releaseLock(ctx: PipelineContext): Promise<void> {
  if (!ctx.lock.requested) return;
  const { workflowId: pipelineId, runId } = workflowInfo();
  const lockId = lockWorkflowId(ctx.input.service, ctx.input.environment);
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(lockId).signal(lockReleaseSignal, { pipelineId, runId });
    } catch (err) {
      log.warn('lock release not delivered (lock gone)', { lockId, error: String(err) });
    }
  });
}
