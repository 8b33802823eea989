import type { RetryPolicy } from '@temporalio/workflow';
import type { FlagActivities } from '../model/flag-activities';
import { routedActivities } from './activity-options';

// Activity options of the flag workflows (issue 18). A kill must be quick: short timeouts, fast retries.

const NON_RETRYABLE = ['InvalidInputError', 'AnchorError', 'FlagKilledError', 'GitError'];
const retry = (maximumAttempts: number): RetryPolicy => ({ initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE });

// routed by role (patch `queues-by-role`): the flag files are the target's, the anchor and policy the pipeline's
export const flagActivities = routedActivities<FlagActivities>({ startToCloseTimeout: '1m', retry: retry(5) });
/** The analysis window runs inside the activity (load + two Prometheus readings): heartbeats every second. */
export const flagAnalysis = routedActivities<FlagActivities>({ startToCloseTimeout: '15m', heartbeatTimeout: '30s', retry: retry(3) });
