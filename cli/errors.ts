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
