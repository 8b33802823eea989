import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { redactDeep, redactText } from '../model/redact';

/**
 * What an activity hands back goes into the workflow history (the audit trail anyone with Temporal read
 * access sees), the state query and `trigger --wait` output: its result and its failure pass through the
 * one redaction function (model/redact.ts) here, for every activity of the worker, so no stage can forget.
 */
export const redactingActivityInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return redactDeep(await next(input));
      } catch (err) {
        throw redactFailure(err);
      }
    },
  },
});

/** The same failure with its message, stack and details redacted (type, retryability and cause kept). */
export function redactFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) {
    const out = ApplicationFailure.create({
      type: err.type ?? undefined,
      message: redactText(err.message),
      nonRetryable: err.nonRetryable ?? undefined,
      details: err.details ? redactDeep([...err.details]) : undefined,
      ...(err.nextRetryDelay !== undefined && err.nextRetryDelay !== null ? { nextRetryDelay: err.nextRetryDelay } : {}),
      ...(err.cause ? { cause: redactFailure(err.cause) as Error } : {}),
    });
    out.stack = err.stack ? redactText(err.stack) : out.stack;
    return out;
  }
  if (err instanceof Error) {
    err.message = redactText(err.message);
    if (err.stack) err.stack = redactText(err.stack);
  }
  return err;
}
