import { EMPTY_TREE } from '../../model/names';
import { useHarness, type Harness } from './support/harness';
import { ANCHOR_COMMIT } from './support/mock-activities';
import { scenarios } from './support/scenarios';

// Issue 11 items 1-2 (patch `policy-anchor`): the policy that judges a change is the one at the commit the
// environment runs now; the judged range is stable..head; a first release is a bootstrap (mocked activities).

let h: Harness;
useHarness((x) => (h = x));

test('anchored policy: read at the stable release commit, the change judged on stable..head, both recorded', async () => {
  const run = await scenarios['anchored-policy'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  const input = (name: string) => run.mocks.calls.filter((c) => c.name === name).map((c) => c.input);
  // the second read: the promoted commit's policy, for the rescan schedule (patch compliance-schedule)
  const head = run.results[0]!.releaseId.split('-').pop()!;
  expect(input('readAnchorPolicy')).toEqual([expect.objectContaining({ anchor: ANCHOR_COMMIT }), expect.objectContaining({ anchor: expect.stringMatching(new RegExp(`^${head}`)) })]);
  expect(input('assessChange')).toEqual([expect.objectContaining({ baseCommit: ANCHOR_COMMIT, policyPath: 'airlock.policy.yaml' })]);
  expect(run.states[0]!.anchor).toEqual({
    commit: ANCHOR_COMMIT,
    stableReleaseId: `anchored-policy-prod-${ANCHOR_COMMIT.slice(0, 12)}`,
    policyDigest: 'sha256:' + 'ab'.repeat(32),
    policySource: expect.stringMatching(new RegExp(`^git:.*@${ANCHOR_COMMIT}:airlock.policy.yaml$`)),
    branch: 'main',
  });
  expect(run.states[0]!.risk?.level).toBe('low');
});

test('first release: bootstrap, whole tree judged, forced high, the bootstrap approvers decide', async () => {
  const run = await scenarios['bootstrap-first-release'](h);
  const waiting = run.states[0]!;
  expect(waiting.risk?.level).toBe('high');
  expect(waiting.risk?.reasons.join('\n')).toMatch(/first release \(bootstrap\)/);
  expect(waiting.anchor).toMatchObject({ commit: 'bootstrap', policySource: 'bootstrap:/etc/airlock/bootstrap.policy.yaml', policyDigest: 'sha256:' + 'b0'.repeat(32) });
  expect(waiting.approval).toMatchObject({ needed: 2, require: ['security'] });
  const input = (name: string) => run.mocks.calls.filter((c) => c.name === name).map((c) => c.input);
  expect(input('readAnchorPolicy')).toEqual([expect.objectContaining({ anchor: null }), expect.objectContaining({ anchor: expect.stringMatching(/^[0-9a-f]{40}$/) })]);
  expect(input('assessChange')).toEqual([expect.objectContaining({ baseCommit: EMPTY_TREE })]);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
});

test('a head that does not descend from the stable release: refused before anything is built', async () => {
  const run = await scenarios['not-a-descendant'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'failed', stage: 'change-analysis', cause: { type: 'AnchorError', message: expect.stringMatching(/does not descend from/) } });
  expect(run.mocks.names()).toEqual(['resolveAnchor']);
});
