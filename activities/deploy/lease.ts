import { WorkflowNotFoundError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { LeaseToken } from '../../model/deploy';
import { lockWorkflowId } from '../../model/names';
import { parseWith } from '../../model/parse';
import { LeaseLostError } from '../errors';
import type { ResolvedDeps } from './deps';

/** Who holds an environment's lock now: the run, or undefined when nobody does (or the lock is gone). */
export type LockHolderLookup = (service: string, environment: string) => Promise<{ pipelineId: string; runId: string } | undefined>;

// The lock workflow's `lockState` query answer (workflows/lock-queue.ts LockState), as far as the check reads it.
const lockStateSchema = z.object({ holder: z.object({ pipelineId: z.string(), runId: z.string() }).loose().optional() }).loose();

/**
 * Asks the environment's lock workflow (`lockState` query, through the worker's own Temporal client) who
 * holds it. A lock that ended (idle) has no holder. Transport errors propagate: the activity retries.
 */
export const queryLockHolder: LockHolderLookup = async (service, environment) => {
  const client = Context.current().client;
  try {
    const state = parseWith(lockStateSchema, await client.workflow.getHandle(lockWorkflowId(service, environment)).query('lockState'), 'lockState query answer');
    return state.holder && { pipelineId: state.holder.pipelineId, runId: state.holder.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
};

/**
 * Fencing: before an operation changes the environment, the lock must still name the run it acts for.
 * A run whose lease ran out (its worker was away longer than the lease, and another run may own the
 * environment now) is refused here, before it touches anything: LeaseLostError, not retryable. A request
 * without a lease (runs from before patch `lock-lease`, direct calls) is not checked.
 *
 * The check and the operation are not one atomic step: a lease that runs out during the operation is
 * not caught; the holder renews its lease long before it runs out (workflows/lock-client.ts), so that
 * needs a worker gone for a whole lease while the operation runs (docs/reliability.md).
 */
export async function checkLease(deps: Pick<ResolvedDeps, 'lockHolder'>, ref: { service: string; environment: string }, lease: LeaseToken | undefined): Promise<void> {
  if (!lease) return;
  const holder = await deps.lockHolder(ref.service, ref.environment);
  if (holder?.pipelineId === lease.pipelineId && holder.runId === lease.runId) return;
  const who = holder ? `${holder.pipelineId} (run ${holder.runId}) holds it now` : 'nobody holds it now';
  throw new LeaseLostError(
    `${ref.service}/${ref.environment}: the environment lock's lease of ${lease.pipelineId} (run ${lease.runId}) ran out and ${who}; this run must not change the environment`,
    { lease, holder: holder ?? null },
  );
}
