import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { FlagActivities } from '../model/flag-activities';

// Activity options of the flag workflows (issue 18). A kill must be quick: short timeouts, fast retries.

const NON_RETRYABLE = ['InvalidInputError', 'AnchorError', 'FlagKilledError', 'GitError'];
const retry = (maximumAttempts: number): RetryPolicy => ({ initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts, nonRetryableErrorTypes: NON_RETRYABLE });

export const flagActivities = proxyActivities<FlagActivities>({ startToCloseTimeout: '1m', retry: retry(5) });
/** The analysis window runs inside the activity (load + two Prometheus readings): heartbeats every second. */
export const flagAnalysis = proxyActivities<FlagActivities>({ startToCloseTimeout: '15m', heartbeatTimeout: '30s', retry: retry(3) });
