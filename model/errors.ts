// The error base class and the one bad-input error. No imports: model/ code (schemas, pure decisions),
// activities and the CLI all throw these. The other classes, and their Temporal wire form, are in
// activities/errors.ts.

/**
 * An error with a meaning beyond "a bug". Its class name is its `type` on the wire (ApplicationFailure
 * type, failure cause in an outcome) and what the CLI maps to an exit code; `retryable` decides whether
 * Temporal tries the activity again.
 */
export abstract class AirlockError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * An input from outside (file, env, CLI flag, payload, repository content) that is wrong. `source` names
 * the input, `lines` say what is wrong with it (`path: message`); the message lists them under
 * `<source> is invalid:`. The same input fails the same way again.
 */
export class InvalidInputError extends AirlockError {
  readonly retryable = false;
  constructor(
    readonly source: string,
    readonly lines: string[],
    message = `${source} is invalid:\n${lines.map((l) => `  ${l}`).join('\n')}`,
  ) {
    super(message, { source, lines });
  }

  /** One thing wrong with `source`, said in one line (`path: message`, no header). */
  static line(source: string, line: string): InvalidInputError {
    return new InvalidInputError(source, [line], line);
  }
}
