import {
  CancellationScope,
  ChildWorkflowCancellationType,
  type ChildWorkflowHandle,
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Outcome } from '../model/pipeline';
import { environmentLock } from './lock';
import { lockWorkflowId } from '../model/names';
import type { LockRequest } from './lock-queue';
import { abortedFailure, lockUnavailableFailure } from './failures';
import { lockReleaseSignal, lockRenewSignal, lockRequestSignal } from './messages';
import type { LockHold } from './lock-holder';
import { enterStage, type PipelineContext } from './state';

/**
 * Starts the lock with us as holder (free lock: granted in one round trip), or queues in the running
 * one; tries again if the lock ends in between. Returns whether we hold it already.
 */
async function requestLock({ service, environment, lock }: LockOwner, request: LockRequest): Promise<boolean> {
  const workflowId = lockWorkflowId(service, environment);
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const child = await startChild(environmentLock, {
        workflowId,
        args: [{ service, environment, holder: { ...request, grantedAtMs: Date.now() }, requests: [] }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      lockRuns.set(lock, child);
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

/** The lock run this run started (as its child), by the run's LockHold: see LOCK_END_PATCH. */
const lockRuns = new WeakMap<LockHold, ChildWorkflowHandle<typeof environmentLock>>();

/**
 * Runs that started the lock (as its child) wait, from this patch on, once their release is delivered, up to
 * LOCK_END_WAIT_MS for that lock run to end. An idle lock ends right after the release, and its end is an
 * event in its parent's history: arriving while the parent completes, it made the server reject the
 * completion, and the worker then replayed the whole history (a workflow task of 100-200 ms instead of
 * ~10 ms, in most pipelines once the transfer queue no longer delayed every task; issue 13). A lock that
 * serves other runs after this one does not end: the wait then costs LOCK_END_WAIT_MS, after the outcome.
 */
export const LOCK_END_PATCH = 'await-lock-end';
export const LOCK_END_WAIT_MS = 200;

/** Who asks for the lock: a pipeline, or `airlock deploy` / `airlock rollback` (workflows/deploy-release.ts). */
export interface LockOwner {
  service: string;
  environment: string;
  /** What the owner deploys (a commit, or a release id): shown in the lock's state. */
  headCommit: string;
  lock: LockHold;
}

/** Lock requests carry a per-run secret from this patch on (see waitForLock). */
export const LOCK_SECRET_PATCH = 'lock-secret';

/**
 * Requests the environment's lock and waits until it is granted, the run is superseded or `stopped()`.
 * Since patch `lock-secret` the request carries a fresh per-run secret, and whatever lock message came in
 * before it (a forgery: the lock did not know this run yet) is forgotten.
 */
export async function waitForLock(owner: LockOwner, leaseMs: number, stopped: () => boolean): Promise<void> {
  const { lock } = owner;
  lock.requested = true;
  const { workflowId: pipelineId, runId } = workflowInfo();
  if (patched(LOCK_SECRET_PATCH)) {
    lock.secret = uuid4();
    lock.granted = false;
    delete lock.supersededBy;
  }
  const request: LockRequest = { pipelineId, runId, headCommit: owner.headCommit, leaseMs, ...(lock.secret !== undefined ? { secret: lock.secret } : {}) };
  if (await requestLock(owner, request)) lock.granted = true;
  await condition(() => lock.granted || lock.supersededBy !== undefined || stopped());
  if (lock.granted && !lock.supersededBy && patched(LOCK_LEASE_PATCH)) {
    lock.lease = { pipelineId, runId };
    keepLeaseAlive(owner, leaseMs);
  }
}

/**
 * Runs that hold the lock from this patch on renew its lease while they hold it, and their environment-
 * changing activities carry `lease` (the fencing check, activities/deploy/lease.ts).
 */
export const LOCK_LEASE_PATCH = 'lock-lease';

/**
 * How often a holder renews: a quarter of its lease (so three renewals can be late before it runs out), at
 * most every 10 minutes (pipeline leases are hours: a renewal costs 3 history events), at least every second.
 */
export const renewEveryMs = (leaseMs: number): number => Math.max(Math.min(Math.floor(leaseMs / 4), 10 * 60_000), 1000);

/**
 * Renews the lease every renewEveryMs until the run releases the lock. Compensations that retry through
 * a long Docker outage keep the lock this way; a run whose worker is gone sends nothing, so its lease still
 * runs out. Detached and not cancellable (an abort must not stop it); a lock that is gone ends it.
 */
function keepLeaseAlive(owner: LockOwner, leaseMs: number): void {
  const { lock } = owner;
  const { workflowId: pipelineId, runId } = workflowInfo();
  const lockId = lockWorkflowId(owner.service, owner.environment);
  const held = () => lock.granted && !lock.released;
  const every = renewEveryMs(leaseMs);
  void CancellationScope.nonCancellable(async () => {
    while (held()) {
      if (await condition(() => !held(), every)) return;
      try {
        await getExternalWorkflowHandle(lockId).signal(lockRenewSignal, { pipelineId, runId, ...(lock.secret !== undefined ? { secret: lock.secret } : {}) });
      } catch (err) {
        log.warn('lease renewal not delivered (lock gone); renewals stop', { lockId, error: String(err) });
        return;
      }
    }
  });
}

/**
 * Waits for this environment's lock. Returns `superseded` if a newer pipeline queued first; throws
 * PipelineAborted on abort. The lock is held through approval and rollout, released by releaseLock.
 */
export async function acquireLock(ctx: PipelineContext, leaseMs: number): Promise<Outcome | undefined> {
  enterStage(ctx, 'lock');
  const { service, environment, headCommit } = ctx.input;
  await waitForLock({ service, environment, headCommit, lock: ctx.lock }, leaseMs, () => ctx.abort !== undefined);
  if (ctx.abort) throw abortedFailure(ctx.abort);
  if (ctx.lock.supersededBy) return { kind: 'superseded', by: ctx.lock.supersededBy };
  if (ctx.lock.lease) ctx.lease = ctx.lock.lease;
  return undefined;
}

/**
 * Always runs (also after cancellation); a lock that is gone needs no release. A stack update still running
 * beside the records (patch `settle-beside-records`) ends first: the next holder finds the stack as it is.
 */
export async function releaseLock(ctx: PipelineContext): Promise<void> {
  await settled(ctx);
  const { service, environment, headCommit } = ctx.input;
  await releaseLockOf({ service, environment, headCommit, lock: ctx.lock });
}

/** Waits for the stack update after a promotion when it ran beside the records (PipelineContext.settling). */
export async function settled(ctx: PipelineContext): Promise<void> {
  const settling = ctx.settling;
  if (!settling) return;
  delete ctx.settling;
  await settling();
}

/** Releases `owner`'s lock with its secret (a lock without the run, or gone, needs nothing). */
export async function releaseLockOf(owner: LockOwner): Promise<void> {
  if (!owner.lock.requested) return;
  owner.lock.released = true;
  const { workflowId: pipelineId, runId } = workflowInfo();
  const lockId = lockWorkflowId(owner.service, owner.environment);
  const secret = owner.lock.secret !== undefined ? { secret: owner.lock.secret } : {};
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(lockId).signal(lockReleaseSignal, { pipelineId, runId, ...secret });
    } catch (err) {
      log.warn('lock release not delivered (lock gone)', { lockId, error: String(err) });
      return;
    }
    const started = lockRuns.get(owner.lock);
    if (!started || !patched(LOCK_END_PATCH)) return;
    lockRuns.delete(owner.lock);
    let ended = false;
    started.result().then(
      () => (ended = true),
      () => (ended = true),
    );
    await condition(() => ended, LOCK_END_WAIT_MS);
  });
}
