import { useHarness, type Harness } from './support/harness';
import { scenarios } from './support/scenarios';

// Issue 11 item 7 (patch `recheck-windows`): freeze windows and exception expiry are re-checked by the
// worker's clock immediately before the deploy and before each traffic increase (mocked activities).

let h: Harness;
useHarness((x) => (h = x));

test('a freeze window that starts during the approval wait: approved after its start, not deployed, says why', async () => {
  const run = await scenarios['freeze-during-approval'](h);
  expect(run.receipts[0]).toMatchObject({ accepted: true });
  const outcome = run.results[0]!.outcome;
  expect(outcome).toMatchObject({ kind: 'blocked_by_policy', violations: [expect.stringMatching(/^freeze-window: deploys to prod are frozen by window "year-end".*re-checked before the deploy at /)] });
  expect(run.mocks.names()).not.toContain('deployCandidate');
  expect(run.mocks.names()).not.toContain('shiftTraffic');
  expect(run.states[0]!.policy).toMatchObject({ allowed: false, violations: [expect.stringMatching(/^freeze-window/)] });
  // approved, then not deployed: the approvals link is still recorded (by recordEvidence, since the deploy that
  // would have recorded it does not run; patch approvals-in-deploy)
  expect(run.mocks.links()).toContain('approvals');
});

test('an exception that expired during the approval wait: the finding blocks again, not deployed', async () => {
  const run = await scenarios['exception-expired-during-approval'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'blocked_by_policy', violations: [expect.stringMatching(/^vulnerabilities.max-severity: CVE-2021-44906/)] });
  expect(run.mocks.names()).not.toContain('deployCandidate');
});

test('a freeze window that starts between steps holds the rollout at its step (state says so), then it goes on', async () => {
  const run = await scenarios['freeze-between-steps'](h);
  const held = run.states[0]!;
  expect(held.hold).toMatchObject({ window: 'year-end', traffic: 10 });
  expect(held.traffic).toBe(10);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(100)', 'analyze(100)']);
  expect(run.mocks.names().filter((n) => n === 'recheckWindows').length).toBeGreaterThanOrEqual(5);
  expect(run.states.at(-1)!.hold).toBeUndefined();
  // the check comes before the move: nothing moved while frozen
  const names = run.mocks.names();
  expect(names.indexOf('deployCandidate')).toBeGreaterThan(names.indexOf('recheckWindows'));
});

test('freeze.duringRollout: rollback rolls the release back at its step, saying why', async () => {
  const run = await scenarios['freeze-between-steps-rollback'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'rolled_back', step: 10, reason: expect.stringMatching(/freeze window "year-end" .* started during the rollout: the policy says roll back/) });
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(0)']);
  expect(run.mocks.stageNames().at(-1)).toBe('rollback'); // rollback stays allowed in a freeze
});
