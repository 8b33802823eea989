import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { lockGrantedSignal, lockReleaseSignal, lockRenewSignal, lockRequestSignal, lockStateQuery, supersededSignal } from './messages';
import { enqueue, forgedRelease, grantNext, isIdle, leaseEndsAtMs, release, renew, withoutSecrets, type LockHolder, type LockQueue, type LockRequest } from './lock-queue';

export interface LockInit {
  service: string;
  environment: string;
  holder?: LockHolder;
  requests: LockRequest[];
}

/**
 * One deployment at a time per (service, env). Started by the first pipeline that needs it, as an
 * abandoned child with that pipeline as holder (the workflow-side equivalent of signal-with-start: a free
 * lock is granted in one round trip), fed by signals afterwards; it ends when idle and the next pipeline
 * starts it again. A holder that vanished (terminated) is dropped when a signal to it fails or when its
 * lease runs out. See docs/architecture.md "Pipeline workflow".
 */
export async function environmentLock(init: LockInit): Promise<void> {
  let q: LockQueue = { holder: init.holder, queue: [] };
  const notices: { to: LockRequest; by: string }[] = [];
  const accept = (req: LockRequest) => {
    const { next, supersede } = enqueue(q, req);
    q = next;
    for (const to of supersede) notices.push({ to, by: req.pipelineId });
  };
  init.requests.forEach(accept);
  setHandler(lockRequestSignal, accept);
  setHandler(lockReleaseSignal, (msg) => {
    if (forgedRelease(q, msg)) return log.warn('lockRelease without the run\'s secret ignored', { pipelineId: msg.pipelineId, runId: msg.runId });
    q = release(q, msg);
  });
  // A renewal from the holder replaces q.holder, which wakes the wait below: the lease is measured again.
  setHandler(lockRenewSignal, (msg) => {
    q = renew(q, msg, Date.now());
  });
  setHandler(lockStateQuery, () => ({ service: init.service, environment: init.environment, ...withoutSecrets(q) }));

  for (;;) {
    const notice = notices.shift();
    if (notice) {
      try {
        const secret = notice.to.secret !== undefined ? { secret: notice.to.secret } : {};
        await getExternalWorkflowHandle(notice.to.pipelineId, notice.to.runId).signal(supersededSignal, { by: notice.by, ...secret });
      } catch (err) {
        log.warn('superseded run is gone; dropping it', { run: notice.to, error: String(err) });
        q = release(q, notice.to);
      }
      continue;
    }
    if (!q.holder && q.queue.length) {
      q = grantNext(q, Date.now());
      const holder = q.holder!;
      try {
        const to = getExternalWorkflowHandle(holder.pipelineId, holder.runId);
        await (holder.secret !== undefined ? to.signal(lockGrantedSignal, { secret: holder.secret }) : to.signal(lockGrantedSignal));
        log.info('lock granted', { pipelineId: holder.pipelineId });
      } catch (err) {
        log.warn('lock holder is gone; granting the next one', { holder, error: String(err) });
        q = release(q, holder);
      }
      continue;
    }
    if (isIdle(q)) break;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof environmentLock>({ ...init, holder: q.holder, requests: q.queue });
    }
    const holder = q.holder!;
    const remaining = leaseEndsAtMs(holder) - Date.now();
    const changed = remaining > 0 && (await condition(() => q.holder !== holder || notices.length > 0, remaining));
    if (!changed) {
      log.warn('lock lease expired; releasing it', { holder });
      q = release(q, holder);
    }
  }
  // Idle: end in this same activation. A request signalled meanwhile makes the server reject the
  // completion and replay with it, so no request is lost; the next pipeline starts a new run otherwise.
}
