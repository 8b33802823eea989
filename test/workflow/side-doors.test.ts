import { lockWorkflowId } from '../../model/names';
import { useHarness, type Harness } from './support/harness';
import { EXPIRES, REASON, sideDoorScenarios as scenarios } from './support/side-door-scenarios';

// Issue 11, item 6 (side doors to production), with mocked activities on the dev server. The attack
// tests through the CLI on the real stack are test/e2e/attacks/side-doors.test.ts.

let h: Harness;
useHarness((x) => (h = x));

test('airlock deploy of an image no pipeline of the environment promoted: refused, nothing deployed, no lock taken', async () => {
  const run = await scenarios['deploy-release-gate-refused'](h);
  // since patch deploy-release-evidence the gate is the image's evidence chain (issue 12)
  expect(run.outcome).toMatchObject({ kind: 'failed', stage: 'deploy', cause: { type: 'EvidenceNotVerifiedError', message: expect.stringContaining('does not verify: the build link is missing') } });
  expect(run.mocks.names()).toEqual(['findGateRecord', 'verifyEvidence']);
  await expect(h.env.client.workflow.getHandle(lockWorkflowId('deploy-release-gate-refused', 'prod')).describe()).rejects.toThrow(/not found/i);
});

const QUEUED_ONLY = (l: { holder?: { pipelineId: string }; queue: unknown[] }) => ({ holder: l.holder?.pipelineId, queued: l.queue.length });

test('airlock deploy waits for the environment lock; forged lockGranted, superseded and lockRelease change nothing', async () => {
  const run = await scenarios['deploy-release-waits-for-lock'](h);
  const held = run.whileHeld!;
  expect(QUEUED_ONLY(held.lock)).toEqual({ holder: held.holder, queued: 1 });
  expect(held.lock.queue[0]).not.toHaveProperty('secret'); // the lockState query does not show secrets
  expect(held.callsBefore).toEqual(['findGateRecord', 'verifyEvidence']);
  expect(held.callsAfterForgery).toEqual(['findGateRecord', 'verifyEvidence']);
  expect(QUEUED_ONLY(held.lockAfterForgedRelease)).toEqual({ holder: held.holder, queued: 1 });
  expect(held.holderOutcome).toBe('promoted');
  expect(run.outcome).toMatchObject({ kind: 'promoted', gate: { kind: 'evidence-verified', links: ['build', 'sbom', 'vuln', 'policy', 'approvals'] } });
  // promoted, then the environment's schedules (set up by the pipeline that held the lock) follow the deployed release
  expect(run.mocks.stageNames().slice(-6)).toEqual(['promote', 'settleRelease', 'rescanTargetNow', 'readAnchorPolicy', 'scheduleRescan', 'ensureDriftSchedule']);
  expect(run.mocks.links().slice(-1)).toEqual(['rollout']); // the deploy's rollout record joins the image's chain
});

test('airlock rollback waits for the environment lock, and ignores forged lock messages too', async () => {
  const run = await scenarios['rollback-release-waits-for-lock'](h);
  const held = run.whileHeld!;
  expect(QUEUED_ONLY(held.lock)).toEqual({ holder: held.holder, queued: 1 });
  expect(held.callsAfterForgery).toEqual([]);
  expect(QUEUED_ONLY(held.lockAfterForgedRelease)).toEqual({ holder: held.holder, queued: 1 });
  expect(held.holderOutcome).toBe('promoted');
  expect(run.mocks.names().filter((n) => (n as string) === 'restoreRelease')).toHaveLength(1);
});

test('a pipeline waiting for the lock ignores a forged lockGranted and superseded', async () => {
  const run = await scenarios['pipeline-ignores-forged-lock-messages'](h);
  const held = run.whileHeld!;
  expect(held.callsBefore).toEqual([]);
  expect(held.callsAfterForgery).toEqual([]);
  expect(QUEUED_ONLY(held.lockAfterForgedRelease)).toEqual({ holder: held.holder, queued: 1 });
  expect(held.holderOutcome).toBe('promoted');
  expect((run.outcome as unknown as { outcome: { kind: string } }).outcome.kind).toBe('promoted');
});

test('break-glass with too few valid signatures (non-member, approval-domain, wrong reason, duplicate): refused', async () => {
  const run = await scenarios['deploy-release-break-glass-too-few'](h);
  expect(run.outcome).toMatchObject({ kind: 'failed', cause: { type: 'BreakGlassRefusedError' } });
  const message = (run.outcome as { cause: { message: string } }).cause.message;
  expect(message).toContain('break-glass needs 2 valid signatures of group oncall, got 1');
  expect(message).toContain('bob: not in group oncall');
  expect(message).toContain('olga: signature does not verify over the break-glass message');
  expect(message).toContain('sam: signature does not verify');
  expect(message).toContain('alice: signed twice');
  expect(run.mocks.names()).toEqual(['findGateRecord', 'readBasePolicy']);
});

test('break-glass with 2 of 3 of the oncall group: deployed (holding the lock) and marked with reason and signers', async () => {
  const run = await scenarios['deploy-release-break-glass'](h);
  expect(run.outcome).toMatchObject({
    kind: 'promoted',
    gate: { kind: 'break-glass', reason: REASON, signers: ['alice', 'olga'], group: 'oncall', expiresAt: EXPIRES, policyDigest: expect.stringMatching(/^sha256:/) },
  });
  // the break-glass signatures are a signed link of the image's chain, before anything is deployed
  expect(run.mocks.names().slice(0, 4)).toEqual(['findGateRecord', 'readBasePolicy', 'recordEvidence', 'deployCandidate']);
  expect(run.mocks.links()).toEqual(['break-glass', 'rollout']);
  expect(run.mocks.calls.find((c) => c.name === 'recordEvidence')!.input).toMatchObject({ link: 'break-glass', signers: ['alice', 'olga'], group: 'oncall' });
});
