import { Context } from '@temporalio/activity';
import { redactDeep } from '../../model/redact';
import { withFailures } from '../errors';

/** Structured logger: the activity logger inside a worker, a console-backed one in the CLI. */
export interface StageLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** How long-running stage code reports progress and learns it is cancelled, inside or outside an activity. */
export interface StageHooks {
  heartbeat?: (details: Record<string, unknown>) => void;
  signal?: AbortSignal;
}

export const silentLogger: StageLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/**
 * Turns stage code into an activity: hooks and logger come from the activity Context (heartbeats,
 * cancellation), schema errors become non-retryable InvalidInputError failures, AirlockErrors typed failures.
 * A cancelled activity ends with the cancellation (a CancelledFailure, which Temporal records as cancelled),
 * whatever the interrupted work threw on its way out (a build stream cut off reads as a connection reset).
 */
export function stageActivity<A, R>(
  log: StageLogger | undefined,
  fn: (input: A, hooks: StageHooks, log: StageLogger) => Promise<R>,
): (input: A) => Promise<R> {
  return withFailures(async (input: A) => {
    const ctx = Context.current();
    try {
      return await fn(input, { heartbeat: (d) => ctx.heartbeat(redactDeep(d)), signal: ctx.cancellationSignal }, log ?? ctx.log);
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      throw err;
    }
  });
}

/** A logger for the CLI: one `message key=value ...` line per entry at or above `level`. */
export function lineLogger(write: (line: string) => void, level: 'debug' | 'info' | 'warn' | 'error' = 'info'): StageLogger {
  const rank = { debug: 0, info: 1, warn: 2, error: 3 }[level];
  const line = (prefix: string, message: string, meta?: Record<string, unknown>) =>
    write(`${prefix}${message}${meta ? Object.entries(meta).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('') : ''}`);
  return {
    debug: (m, meta) => (rank <= 0 ? line('    ', m, meta) : undefined),
    info: (m, meta) => (rank <= 1 ? line('    ', m, meta) : undefined),
    warn: (m, meta) => (rank <= 2 ? line('    warning: ', m, meta) : undefined),
  };
}
