import { PlanError } from '../../infra/deploy/plan';
import { PreflightError } from '../../infra/deploy/preflight';
import { DockerDownError, StackLockedError, StackOperationError } from '../../infra/deploy/stack';
import { ToolMissingError } from '../../infra/local/tools';
import { AirlockError, ConcurrentUpdateError, DeployProgramError, DockerUnavailableError, InvalidInputError } from '../errors';

/**
 * Infra errors as activity errors (retry is decided by the class, activities/errors.ts): a locked stack
 * or a Docker engine that is down are retryable; a program that fails (a release that never gets healthy,
 * a plan that is not allowed), a missing tool or bad input are not.
 */
export function asActivityError(err: unknown, details: Record<string, unknown> = {}): unknown {
  if (err instanceof AirlockError) return err;
  if (err instanceof StackLockedError) return new ConcurrentUpdateError(err.message, details);
  if (err instanceof DockerDownError) return new DockerUnavailableError(err.message, details);
  if (err instanceof StackOperationError || err instanceof PlanError || err instanceof ToolMissingError) return new DeployProgramError(err.message, details);
  if (err instanceof PreflightError) return InvalidInputError.line('airlock.yaml', err.message);
  return err;
}

/** Wraps an activity body so infra errors leave it as AirlockErrors. */
export function mapErrors<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw asActivityError(err);
    }
  };
}
