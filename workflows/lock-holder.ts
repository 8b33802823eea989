import { log, setHandler } from '@temporalio/workflow';
import type { LeaseToken } from '../model/deploy';
import { lockGrantedSignal, supersededSignal } from './messages';

/** A run's side of the environment lock: what it asked for and what the lock told it. */
export interface LockHold {
  requested: boolean;
  granted: boolean;
  supersededBy?: string;
  /** This run's secret (patch `lock-secret`): lock messages without it are forged and ignored. */
  secret?: string;
  /** Set once granted (patch `lock-lease`): the run the environment-changing activities act for (fencing). */
  lease?: LeaseToken;
  /** The run sent lockRelease: renewals stop. */
  released?: boolean;
}

/**
 * lockGranted and superseded for a run that may request the lock. Once the run has a secret (it is set
 * when it requests the lock), only messages carrying it count; anything else is logged and dropped.
 * What arrives before the request is wiped by the request itself (lock-client.ts waitForLock).
 */
export function registerLockHandlers(lock: LockHold): void {
  setHandler(lockGrantedSignal, (msg) => {
    if (lock.secret !== undefined && msg?.secret !== lock.secret) return log.warn("lockGranted without this run's secret ignored");
    lock.granted = true;
  });
  setHandler(supersededSignal, ({ by, secret }) => {
    if (lock.secret !== undefined && secret !== lock.secret) return log.warn("superseded without this run's secret ignored", { by });
    lock.supersededBy ??= by;
  });
}
