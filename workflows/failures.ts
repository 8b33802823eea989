import { ApplicationFailure } from '@temporalio/workflow';
import { WORKFLOW_FAILURE } from '../model/failures';
import type { AbortRequest } from './messages';

// The business failures the pipeline raises itself, built in one place (types: model/failures.ts).

export function abortedFailure(req: AbortRequest): ApplicationFailure {
  return ApplicationFailure.create({ type: WORKFLOW_FAILURE.PipelineAborted, message: `aborted by ${req.by}: ${req.reason}`, nonRetryable: true });
}

export function refusedFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WORKFLOW_FAILURE.ApprovalRefused, message, nonRetryable: true });
}

export function lockUnavailableFailure(lockId: string): ApplicationFailure {
  return ApplicationFailure.create({ type: WORKFLOW_FAILURE.LockUnavailable, message: `cannot reach ${lockId}`, nonRetryable: true });
}
