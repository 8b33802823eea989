import { EXIT } from '../../cli/errors';
import { exitCodeOf } from '../../cli/pipeline/exit-code';
import { SEARCH_KEYS } from '../../workflows';
import { lockWorkflowId } from '../../model/names';
import { useHarness, type Harness } from './support/harness';
import { scenarios } from './support/scenarios';

// Risk-routed, signed approvals on the real dev server (mocked activities).

let h: Harness;
useHarness((x) => (h = x));

// readChange is the one activity of the change analysis (patch read-change-together); the mock records its three parts too
const PRE_DEPLOY = ['resolveAnchor', 'readChange', 'readAnchorPolicy', 'readManifest', 'assessChange', 'buildImage', 'scanImage', 'evaluatePolicy'];
// Freeze windows and exception expiry are re-checked before the deploy and each traffic increase (patch recheck-windows).
const ROLLOUT = ['recheckWindows', 'deployCandidate', 'recheckWindows', 'shiftTraffic', 'analyze', 'recheckWindows', 'shiftTraffic', 'analyze', 'recheckWindows', 'shiftTraffic', 'analyze', 'promote', 'settleRelease'];
// Once promoted, the environment's rescan schedule points at the release (patch compliance-schedule), with its policy.
const SCHEDULE = ['readAnchorPolicy', 'scheduleRescan', 'ensureDriftSchedule'];
const sorted = (names: string[]) => [...names].sort();

test('low risk is approved automatically, with its reasons, and promoted', async () => {
  const run = await scenarios['low-auto-promote'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'promoted' });
  expect(run.mocks.names()[0]).toBe('resolveAnchor');
  expect(run.mocks.names()[1]).toBe('readChange');
  expect(sorted(run.mocks.names().slice(2, 4))).toEqual(sorted(PRE_DEPLOY.slice(2, 4))); // read in parallel
  // after the promote, the stack update runs beside the schedules (patch settle-beside-records): either may start first
  const rest = run.mocks.stageNames().slice(4);
  const promoted = rest.indexOf('promote') + 1;
  expect(rest.slice(0, promoted)).toEqual([...PRE_DEPLOY.slice(4), ...ROLLOUT.slice(0, -1)]);
  expect(sorted(rest.slice(promoted, promoted + 2))).toEqual(sorted(['settleRelease', SCHEDULE[0]!]));
  expect(rest.slice(promoted + 2)).toEqual(SCHEDULE.slice(1));
  expect(run.mocks.names()).not.toContain('rollback');
  // the evidence chain (patch evidence-chain): each link as its stage ends, verified right before the deploy
  // (scan and policy are stored side by side from patch evidence-beside-gate on: either may start first)
  const links = run.mocks.links();
  expect([links[0], sorted(links.slice(1, 3)), ...links.slice(3)]).toEqual(['build', ['policy', 'scan'], 'approvals', 'rollout']);
  // the deploy verifies the chain itself (patch verify-in-deploy: it runs on the workflow's queue), after every link but the rollout's
  const names = run.mocks.names();
  expect(names).not.toContain('verifyEvidence');
  const deploy = run.mocks.calls.find((c) => c.name === 'deployCandidate')!;
  expect(deploy.input.admit).toEqual({});
  expect(names.indexOf('deployCandidate')).toBeGreaterThan(names.lastIndexOf('recordEvidence', names.indexOf('deployCandidate')));
  const [auto] = run.states[0]!.approval!.decisions;
  expect(auto).toMatchObject({ approver: 'airlock', decision: 'approve', automatic: true });
  expect(auto!.reasons!.join('\n')).toMatch(/risk low \(score 10\)[\s\S]*no approval needed at low/);

  const desc = await h.env.client.workflow.getHandle(run.results[0]!.pipelineId).describe();
  const sa = desc.typedSearchAttributes;
  expect([SEARCH_KEYS.service, SEARCH_KEYS.environment, SEARCH_KEYS.stage, SEARCH_KEYS.riskLevel, SEARCH_KEYS.outcome, SEARCH_KEYS.author].map((k) => sa.get(k))).toEqual([
    'low-auto-promote',
    'prod',
    'done',
    'low',
    'promoted',
    'dana',
  ]);
  expect(sa.get(SEARCH_KEYS.commit)).toBe(run.states[0]!.headCommit);
});

test('medium risk: the validator refuses self, outsider, unknown and bad signatures; one approval promotes', async () => {
  const run = await scenarios['medium-one-approval'](h);
  const r = run.refusals;
  expect(r.self).toMatch(/"dana" is an author of this change and cannot approve it/);
  expect(r.outsider).toMatch(/"olga" \(groups: ops\) is not in a group that may approve a medium-risk change \(needs: dev, security\)/);
  expect(r.badSignature).toMatch(/signature of "alice" does not verify/);
  expect(r.unknown).toMatch(/unknown approver "mallory"/);
  expect(r.wrongDecision).toMatch(/does not verify .*decision approve/);
  expect(r.promoteEarly).toMatch(/is not in analysis \(stage: approval\)/);
  expect(run.receipts[0]).toEqual({ accepted: true, decision: 'approve', approvals: 1, needed: 1, missingGroups: [] });
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'promoted' });
  // refused updates leave no trace: only alice's approval is recorded
  expect(run.states[0]!.approval!.decisions.map((d) => d.approver)).toEqual(['alice']);
  expect(run.mocks.names()).toContain('promote');
});

// issue 13 (patch approvals-in-deploy)
test('medium risk: the approvals link is recorded by the deploy, before its admission; nothing is scheduled between the approval and the deploy', async () => {
  const run = await scenarios['medium-one-approval'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'promoted' });
  const at = run.mocks.names().indexOf('deployCandidate');
  const deploy = run.mocks.calls[at]!;
  expect(deploy.input.admit).toEqual({
    approvals: {
      pipelineId: run.results[0]!.pipelineId,
      runId: run.recorded[0]!.runId ?? expect.any(String),
      state: expect.objectContaining({ approval: expect.objectContaining({ decisions: [expect.objectContaining({ approver: 'alice', decision: 'approve' })] }) }),
      rule: expect.objectContaining({ approvals: 1 }),
      authors: expect.arrayContaining(['dana@example.com']),
    },
  });
  // recorded through the recordEvidence code, for the deploy's own release and image, before the chain is verified
  // (the mock's admission refuses a chain without it: the promotion shows the order)
  expect(run.mocks.calls[at + 1]).toMatchObject({ name: 'recordEvidence', input: { link: 'approvals', releaseId: run.results[0]!.releaseId, image: deploy.input.image } });
  expect(run.mocks.links().filter((l) => l === 'approvals')).toHaveLength(1);
  // in the history: the update accepted, then deployCandidate is the next activity scheduled
  const { workflowId, runId } = run.recorded[0]!;
  const events = (await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const next = events.slice(accepted).find((e) => e.activityTaskScheduledEventAttributes);
  expect(next?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('deployCandidate');
});

test('a change to the policy file is high risk: one approval is not enough, security must approve', async () => {
  const run = await scenarios['high-two-approvals'](h);
  const [afterOne, final] = run.states;
  expect(afterOne!.stage).toBe('approval');
  expect(afterOne!.risk!.level).toBe('high');
  expect(afterOne!.risk!.reasons.join('\n')).toMatch(/airlock\.policy\.yaml/);
  expect(run.receipts[0]).toMatchObject({ approvals: 1, needed: 2, missingGroups: ['security'] });
  expect(run.refusals.twice).toMatch(/"alice" already decided/);
  expect(run.refusals.noSecurity).toMatch(/needs an approval from security; "bob" \(dev\) cannot fill the remaining slot/);
  expect(run.receipts[1]).toMatchObject({ approvals: 2, needed: 2, missingGroups: [] });
  expect(final!.approval!.decisions.map((d) => [d.approver, d.groups])).toEqual([
    ['alice', ['dev']],
    ['sam', ['security']],
  ]);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
});

test('a signed rejection ends the pipeline as rejected; nothing is deployed', async () => {
  const run = await scenarios.rejected(h);
  expect(run.results[0]!.outcome).toEqual({ kind: 'rejected', by: 'bob' });
  expect(exitCodeOf(run.results[0]!.outcome)).toBe(EXIT.rejected); // trigger --wait exits 4
  expect(run.mocks.names()).toEqual(expect.arrayContaining(PRE_DEPLOY));
  expect(run.mocks.names()).not.toContain('deployCandidate');
});

test('an image whose evidence chain does not verify is not deployed (admission before the deploy)', async () => {
  const run = await scenarios['evidence-broken'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'failed', stage: 'deploy', cause: { type: 'EvidenceNotVerifiedError', message: expect.stringContaining('the approvals link: signature of alice does not verify') } });
  // the deploy's own admission refused it (patch verify-in-deploy): asked once, not retried, nothing created
  expect(run.mocks.names().filter((n) => n === 'deployCandidate')).toHaveLength(1);
  expect([...run.mocks.effects.keys()].filter((k) => k.startsWith('deploy:'))).toEqual([]);
});

test('no approval within the timeout: expired, nothing deployed', async () => {
  const run = await scenarios.expired(h);
  expect(run.results[0]!.outcome).toEqual({ kind: 'expired', afterMs: 1500 });
  expect(exitCodeOf(run.results[0]!.outcome)).toBe(EXIT.expired); // trigger --wait exits 5
  expect(run.mocks.names()).not.toContain('deployCandidate');
  expect(run.states[0]!.approval!.deadline).toBeDefined();
});

test('abort while waiting for approval ends the pipeline failed (PipelineAborted), nothing deployed', async () => {
  const run = await scenarios['abort-at-approval'](h);
  expect(run.results[0]!.outcome).toEqual({ kind: 'failed', stage: 'approval', cause: { type: 'PipelineAborted', message: 'aborted by sam: wrong branch' } });
  // the unsigned signal sent first was recorded and ignored (patch signed-abort); the signed abort stopped it
  expect(run.states[0]!.ignoredAborts).toEqual([expect.objectContaining({ by: 'mallory', reason: 'unsigned' })]);
  expect(run.states[0]!.abort).toMatchObject({ approver: 'sam', decision: 'abort', comment: 'wrong branch' });
  expect(run.mocks.names()).not.toContain('deployCandidate');
});

test('a policy block never reaches the lock or deploy', async () => {
  const run = await scenarios['blocked-by-policy'](h);
  expect(run.results[0]!.outcome).toEqual({ kind: 'blocked_by_policy', violations: ['secrets.none (critical): aws-access-key-id in /app/config.js:3'] });
  expect(sorted(run.mocks.stageNames())).toEqual(sorted(PRE_DEPLOY));
  // the blocked verdict is in the chain: the chain of this image never verifies
  expect([run.mocks.links()[0], sorted(run.mocks.links().slice(1))]).toEqual(['build', ['policy', 'scan']]);
  expect(run.states[0]!.approval).toBeUndefined();
});

// issue 13 (patch evidence-beside-gate)
test('low risk: the scan and policy links are stored beside the lock, the approvals link beside them, all before the deploy', async () => {
  const run = await scenarios['evidence-beside-gate'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'promoted' });
  const at = (e: string) => run.events.indexOf(e);
  // the approvals link started while the (700 ms) scan and policy links were still being stored
  expect(at('start:approvals')).toBeGreaterThan(-1);
  expect(at('start:approvals')).toBeLessThan(at('end:policy'));
  expect(at('start:approvals')).toBeLessThan(at('end:scan'));
  // the rollout's admission reads the chain: every link is stored before the candidate is deployed
  for (const link of ['build', 'scan', 'policy', 'approvals']) expect(at(`end:${link}`)).toBeLessThan(at('start:deployCandidate'));
  expect([...run.mocks.links()].sort()).toEqual(['approvals', 'build', 'policy', 'rollout', 'scan']);
});

// issue 13 (patch settle-beside-records)
test('after the promote, the stack update runs beside the rollout record and the schedules, and ends before the lock is released', async () => {
  const run = await scenarios['settle-beside-records'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'promoted' });
  const at = (e: string) => run.events.indexOf(e);
  // the rollout record and the schedule's policy read started while the (700 ms) stack update ran
  expect(at('start:settleRelease')).toBeGreaterThan(-1);
  expect(at('start:rollout')).toBeLessThan(at('end:settleRelease'));
  expect(at('end:rollout')).toBeLessThan(at('end:settleRelease'));
  const lastRead = run.events.lastIndexOf('start:readAnchorPolicy'); // (the first is the change analysis')
  expect(lastRead).toBeGreaterThan(at('start:approvals'));
  expect(lastRead).toBeLessThan(at('end:settleRelease'));
  // the lock is released only once the stack records the promotion: the next holder finds it as it is
  const lockId = lockWorkflowId('settle-beside-records', 'prod');
  const history = await h.env.client.workflow.getHandle(lockId).fetchHistory();
  const release = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'lockRelease');
  expect(release).toBeDefined();
  const releasedAt = Number(release!.eventTime!.seconds) * 1000 + Math.floor((release!.eventTime!.nanos ?? 0) / 1e6);
  expect(releasedAt).toBeGreaterThanOrEqual(run.settledAt() - 5); // (the same machine's clock; ms rounding)
});

test('medium risk: the scan and policy links are stored before the gate opens for people', async () => {
  const run = await scenarios['evidence-before-human-gate'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'promoted' });
  expect(run.refusals.storedAtGate!.split(',').sort()).toEqual(['build', 'policy', 'scan']);
});

test('a link that cannot be stored beside the gate fails the pipeline before anything is deployed, and frees the lock', async () => {
  const run = await scenarios['evidence-link-fails-beside-gate'](h);
  expect(run.results[0]!.outcome).toMatchObject({ kind: 'failed', cause: { type: 'RegistryError' } });
  expect(run.mocks.names()).not.toContain('deployCandidate');
  const lock = await h.env.client.workflow.getHandle(lockWorkflowId('evidence-link-fails-beside-gate', 'prod')).describe();
  expect(lock.status.name).not.toBe('RUNNING');
});
