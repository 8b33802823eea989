import { ApplicationFailure } from '@temporalio/common';
import { AirlockError } from '../model/errors';

/**
 * Errors activities throw. Retry is decided here, once: `toFailure` turns each into an ApplicationFailure
 * whose `type` is the class name, non-retryable or retryable by class. Workflows branch on `cause.type`.
 * The base class and InvalidInputError live in model/errors.ts, so that model code (schemas, manifests,
 * policies) throws the same InvalidInputError as activities do.
 */
export { AirlockError, InvalidInputError } from '../model/errors';

// Non-retryable: the same input fails the same way again.
export class ImageBuildError extends AirlockError {
  readonly retryable = false;
}
export class DeployProgramError extends AirlockError {
  readonly retryable = false;
}
export class GitError extends AirlockError {
  readonly retryable = false;
}
/** `airlock deploy` of an image no pipeline of that environment promoted (exit 3, like a policy block). */
export class GateNotPassedError extends AirlockError {
  readonly retryable = false;
}
/** An image whose evidence chain does not verify for the environment (docs/evidence.md): not deployed (exit 3). */
export class EvidenceNotVerifiedError extends AirlockError {
  readonly retryable = false;
}
/** `airlock deploy --break-glass` without the signatures the policy's breakGlass rule asks for (exit 3). */
export class BreakGlassRefusedError extends AirlockError {
  readonly retryable = false;
}
/**
 * The change cannot be judged for the environment: head does not descend from the stable release, is not
 * on a protected branch, or the stable release's commit cannot be found (issue 11 items 1-2). Exit 2.
 */
export class AnchorError extends AirlockError {
  readonly retryable = false;
}

/**
 * The environment lock no longer names this run as its holder (its lease ran out while its worker was
 * away, and another run may own the environment now): the run must not touch the environment (fencing,
 * docs/reliability.md). Not retryable: waiting does not give the lease back.
 */
export class LeaseLostError extends AirlockError {
  readonly retryable = false;
}
/** A webhook answered 4xx (not 408/429): the same request is refused again (wrong URL, auth, payload). */
export class WebhookRejectedError extends AirlockError {
  readonly retryable = false;
}
/** The policy names a webhook secret variable the worker does not have: airlock refuses to send unsigned. */
export class WebhookSecretMissingError extends AirlockError {
  readonly retryable = false;
}

/** A flag killed while its rollout ran: the rollout must not raise it again (activities/flags/store.ts). */
export class FlagKilledError extends AirlockError {
  readonly retryable = false;
  constructor(flag: string, by: string, reason: string) {
    super(`flag ${flag} was killed by ${by} (${reason}): it stays off`, { flag, by, reason });
  }
}

// Retryable: the component may come back.
/** A webhook receiver down, unreachable, slow, or answering 5xx/408/429: delivery retries with backoff. */
export class WebhookUnavailableError extends AirlockError {
  readonly retryable = true;
}
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
/** Fetching a service repository into the worker's cache failed in transport (remote down, network). */
export class RepoFetchError extends AirlockError {
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
 * Wraps an activity so AirlockErrors (a schema failure of an input included: InvalidInputError) leave it
 * as typed ApplicationFailures; other errors stay retryable.
 */
export function withFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof AirlockError) throw toFailure(err);
      throw err;
    }
  };
}
