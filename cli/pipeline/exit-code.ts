import type { Outcome } from '../../model/pipeline';
import { EXIT, exitCodeOfType } from '../errors';

/** The documented exit code of `airlock trigger --wait` for each outcome. */
export function exitCodeOf(outcome: Outcome): number {
  switch (outcome.kind) {
    case 'promoted':
      return EXIT.ok;
    case 'blocked_by_policy':
      return EXIT.blockedByPolicy;
    case 'rejected':
      return EXIT.rejected;
    case 'expired':
      return EXIT.expired;
    case 'rolled_back':
      return EXIT.rolledBack;
    case 'failed':
      return exitCodeOfType(outcome.cause.type);
    case 'superseded':
      return EXIT.failure;
  }
}

/** One line describing an outcome. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'promoted':
      return `promoted ${outcome.image}`;
    case 'rolled_back':
      return `rolled back${outcome.step !== undefined ? ` at ${outcome.step}%` : ''}: ${outcome.reason}`;
    case 'blocked_by_policy':
      return `blocked by policy: ${outcome.violations.join('; ')}`;
    case 'rejected':
      return `rejected by ${outcome.by}${outcome.comment ? `: ${outcome.comment}` : ''}`;
    case 'expired':
      return `expired: no decision within ${Math.round(outcome.afterMs / 1000)}s`;
    case 'superseded':
      return `superseded by ${outcome.by}`;
    case 'failed':
      return `failed at ${outcome.stage}: ${outcome.cause.type}: ${outcome.cause.message}`;
  }
}
