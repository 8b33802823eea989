import type * as activityErrors from '../activities/errors';
import { AirlockError } from '../model/errors';
import { causeOf } from '../workflows/decisions';

/** Exit codes of the airlock command (documented in README). */
export const EXIT = {
  ok: 0,
  failure: 1,
  badInput: 2,
  blockedByPolicy: 3,
  rejected: 4,
  expired: 5,
  rolledBack: 6,
} as const;

/** Thrown by a command to end the process with `code` after printing `message` (one line, no stack). */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const badInput = (message: string): ExitError => new ExitError(EXIT.badInput, message);

type ErrorType = Extract<keyof typeof activityErrors, `${string}Error`>;

/**
 * Error types that mean "you called me wrong": a flag, file, manifest or policy that is invalid, or a
 * repository or revision git cannot find or read, a head the environment cannot take (AnchorError: not
 * descending from its stable release, not on a protected branch). Every other AirlockError class and failure type (a
 * build, scan, deploy or analysis that failed, a component that is down, an abort) is a failure.
 */
const BAD_INPUT: ReadonlySet<string> = new Set<ErrorType>(['InvalidInputError', 'GitError', 'AnchorError']);

/** Refused by the gate outside a pipeline: `airlock deploy` of an image that did not pass it, a refused break-glass. */
const BLOCKED: ReadonlySet<string> = new Set<ErrorType>(['GateNotPassedError', 'BreakGlassRefusedError', 'EvidenceNotVerifiedError']);

/**
 * The exit code of an error type: an AirlockError's class name, which is also the `type` of the
 * ApplicationFailure it becomes and of the cause in a `failed` outcome.
 */
export function exitCodeOfType(type: string): number {
  if (BLOCKED.has(type)) return EXIT.blockedByPolicy;
  return BAD_INPUT.has(type) ? EXIT.badInput : EXIT.failure;
}

/**
 * How the process ends for an error a command threw (the one mapping; cli/main.ts applies it):
 * an ExitError as it is; an AirlockError by its class, with its message and any last lines of output
 * it carries; a failed workflow (`handle.result()`) by the type of its cause. Undefined for anything
 * else: a bug.
 */
export function exitErrorOf(command: string, err: unknown): ExitError | undefined {
  if (err instanceof ExitError) return err;
  if (err instanceof AirlockError) return new ExitError(exitCodeOfType(err.name), `airlock ${command}: ${err.message}${lastLinesOf(err)}`);
  // by name: loading @temporalio/client here would slow down every command
  if (err instanceof Error && err.name === 'WorkflowFailedError') {
    const cause = causeOf(err);
    return new ExitError(exitCodeOfType(cause.type), `airlock ${command}: ${cause.message}`);
  }
  return undefined;
}

function lastLinesOf(err: AirlockError): string {
  const lines = Array.isArray(err.details.lastLines) ? (err.details.lastLines as unknown[]).map(String) : [];
  return lines.length ? `\nlast lines of output:\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
}
