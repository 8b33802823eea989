// The types of the ApplicationFailures that workflows raise themselves (activity failures are typed by
// the classes in activities/errors.ts). They are wire names: outcomes, the state query and saved
// histories carry them. Workflows build them in workflows/failures.ts; everything else compares a
// cause's `type` with these constants, never with a literal.
export const WORKFLOW_FAILURE = {
  /** `airlock abort`: the pipeline ends `failed`, or rolls back what it deployed. */
  PipelineAborted: 'PipelineAborted',
  /** An approval update's validator refused it (not recorded in the history). */
  ApprovalRefused: 'ApprovalRefused',
  /**
   * Before deploying, a recorded approval no longer verifies for the current run id (the workflow was reset
   * and its approval events replayed without validators): nothing is deployed.
   */
  ApprovalNotBound: 'ApprovalNotBound',
  /** The environment's lock workflow could not be reached. */
  LockUnavailable: 'LockUnavailable',
} as const;
