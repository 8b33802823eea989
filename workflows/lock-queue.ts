// Pure state of the per-environment lock (workflows/lock.ts). One holder; waiters in arrival order.
// A newer request supersedes every older waiter (deploying an older commit after a newer one would undo
// it) and asks the holder to step aside; the holder obeys only while it waits for approval, so the
// queue holds at most one waiter behind a deploying holder.

/** One pipeline run (a re-run of the same commit is a new run with the same pipeline id). */
export interface LockRunRef {
  pipelineId: string;
  runId: string;
}

export interface LockRequest extends LockRunRef {
  headCommit: string;
  /** Upper bound on how long the holder may keep the lock (approval timeout + rollout budget). */
  leaseMs: number;
  /**
   * Per-run secret (the requester's `uuid4()`): the lock sends it back in lockGranted and superseded, and
   * accepts a lockRelease for this run only with it. Absent in requests of runs before patch `lock-secret`.
   */
  secret?: string;
}

/** lockRelease's payload: the run, and its secret when its request carried one. */
export interface LockReleaseMessage extends LockRunRef {
  secret?: string;
}

/** lockGranted's payload (none from locks before patch `lock-secret`). */
export interface LockGrantMessage {
  secret?: string;
}

export interface LockHolder extends LockRequest {
  grantedAtMs: number;
  /** The holder's last renewal (lockRenew): the lease runs from here instead of grantedAtMs. */
  renewedAtMs?: number;
}

export interface LockQueue {
  holder?: LockHolder;
  queue: LockRequest[];
}

export interface LockState extends LockQueue {
  service: string;
  environment: string;
}

export const sameRun = (a: LockRunRef, b: LockRunRef): boolean => a.pipelineId === b.pipelineId && a.runId === b.runId;

/** Adds a request; returns the runs to notify as superseded (older waiters are dropped from the queue). */
export function enqueue(q: LockQueue, req: LockRequest): { next: LockQueue; supersede: LockRequest[] } {
  if ((q.holder && sameRun(q.holder, req)) || q.queue.some((r) => sameRun(r, req))) return { next: q, supersede: [] };
  const supersede = [...(q.holder ? [q.holder] : []), ...q.queue];
  return { next: { holder: q.holder, queue: [req] }, supersede };
}

/** Removes a run, whether it holds the lock or waits. Unknown runs are ignored (release is idempotent). */
export function release(q: LockQueue, run: LockRunRef): LockQueue {
  return {
    holder: q.holder && sameRun(q.holder, run) ? undefined : q.holder,
    queue: q.queue.filter((r) => !sameRun(r, run)),
  };
}

/** Why a release must be ignored: the run's request carried a secret and the message does not. */
export function forgedRelease(q: LockQueue, msg: LockReleaseMessage): boolean {
  const known = [...(q.holder ? [q.holder] : []), ...q.queue].find((r) => sameRun(r, msg));
  return known?.secret !== undefined && known.secret !== msg.secret;
}

/** The queue without secrets: what the lockState query shows. */
export function withoutSecrets(q: LockQueue): LockQueue {
  const strip = <T extends LockRequest>({ secret: _secret, ...r }: T): Omit<T, 'secret'> => r;
  return { ...(q.holder ? { holder: strip(q.holder) } : {}), queue: q.queue.map(strip) };
}

/** When the holder's lease runs out: a lease from its grant, or from its last renewal. */
export const leaseEndsAtMs = (h: LockHolder): number => (h.renewedAtMs ?? h.grantedAtMs) + h.leaseMs;

/**
 * The holder renews its lease (lockRenew with its secret). Anyone else's renewal, or one without the
 * holder's secret, changes nothing: a run whose lease ran out cannot take the lock back this way.
 */
export function renew(q: LockQueue, msg: LockReleaseMessage, nowMs: number): LockQueue {
  const h = q.holder;
  if (!h || !sameRun(h, msg) || (h.secret !== undefined && h.secret !== msg.secret)) return q;
  return { ...q, holder: { ...h, renewedAtMs: nowMs } };
}

/** Grants the lock to the first waiter when it is free. */
export function grantNext(q: LockQueue, nowMs: number): LockQueue {
  const [first, ...rest] = q.queue;
  if (q.holder || !first) return q;
  return { holder: { ...first, grantedAtMs: nowMs }, queue: rest };
}

export const isIdle = (q: LockQueue): boolean => !q.holder && q.queue.length === 0;
