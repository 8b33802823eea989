import { NON_RETRYABLE, UNDO_RETRY } from '../../workflows/activity-options';

// A Docker or Pulumi outage longer than the old ~10 minute retry budget must not leave the candidate
// taking traffic: compensations retry until the component is back (docs/reliability.md).
describe('compensation retry policy', () => {
  it('has no attempt limit and no overall deadline', () => {
    expect(UNDO_RETRY.maximumAttempts).toBeUndefined(); // the TypeScript SDK's unlimited (0 is refused)
    expect(UNDO_RETRY).not.toHaveProperty('scheduleToCloseTimeout');
  });

  it('backs off to at most a minute, so the undo runs soon after the outage ends', () => {
    expect(UNDO_RETRY.maximumInterval).toBe('1m');
  });

  it('still stops at once on errors the same input repeats', () => {
    expect(UNDO_RETRY.nonRetryableErrorTypes).toEqual([...NON_RETRYABLE]);
    expect(UNDO_RETRY.nonRetryableErrorTypes).not.toContain('DockerUnavailableError');
  });
});
