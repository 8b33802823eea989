import { ApplicationFailure } from '@temporalio/common';
import { InvalidInputError as InputSchemaError } from '../model/parse';

/**
 * Errors activities throw. Retry is decided here, once: `toFailure` turns each into an ApplicationFailure
 * whose `type` is the class name, non-retryable or retryable by class. Workflows branch on `cause.type`.
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

// Non-retryable: the same input fails the same way again.
export class ImageBuildError extends AirlockError {
  readonly retryable = false;
}
export class PolicyViolationError extends AirlockError {
  readonly retryable = false;
}
export class InvalidInputError extends AirlockError {
  readonly retryable = false;
}
export class DeployProgramError extends AirlockError {
  readonly retryable = false;
}
export class GitError extends AirlockError {
  readonly retryable = false;
}

// Retryable: the component may come back.
export class DockerUnavailableError extends AirlockError {
  readonly retryable = true;
}
export class RegistryError extends AirlockError {
  readonly retryable = true;
}
export class ScannerError extends AirlockError {
  readonly retryable = true;
}
export class ConcurrentUpdateError extends AirlockError {
  readonly retryable = true;
}
export class MetricsUnavailableError extends AirlockError {
  readonly retryable = true;
}

/** The Temporal wire form of an AirlockError (activities rethrow through this). */
export function toFailure(err: AirlockError): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [err.details],
  });
}

/**
 * Wraps an activity so AirlockErrors leave it as typed ApplicationFailures, and a schema failure of an
 * input (model/parse.ts) as a non-retryable InvalidInputError; other errors stay retryable.
 */
export function withFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof AirlockError) throw toFailure(err);
      if (err instanceof InputSchemaError) throw toFailure(new InvalidInputError(err.message, { source: err.source, lines: err.lines }));
      throw err;
    }
  };
}
