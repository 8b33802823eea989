import { useHarness, type Harness } from './support/harness';
import { deployReleaseScenarios as scenarios } from './support/deploy-release-scenarios';

// deployRelease (`airlock deploy`) runs the pipeline's rollout: the same steps, analysis and saga
// (mocked activities). Its outcomes are the ones the CLI maps to exit codes (test/unit/deploy-cli.test.ts).

let h: Harness;
useHarness((x) => (h = x));

const verdicts = (o: { analysis?: { step: number; verdict: string }[] }) => (o.analysis ?? []).map((a) => `${a.step}:${a.verdict}`);

test('canary: traffic and analysis at every step, then promote', async () => {
  const run = await scenarios['deploy-release-promoted'](h);
  expect(run.outcome).toMatchObject({ kind: 'promoted', image: expect.stringMatching(/@sha256:/) });
  expect(verdicts(run.outcome as never)).toEqual(['10:pass', '50:pass', '100:pass']);
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(100)', 'analyze(100)']);
  // admitted by its evidence chain (patch deploy-release-evidence); the rollout's record joins the chain
  expect(run.mocks.names()).toEqual(['findGateRecord', 'verifyEvidence', 'deployCandidate', 'shiftTraffic', 'analyze', 'shiftTraffic', 'analyze', 'shiftTraffic', 'analyze', 'promote', 'settleRelease', 'recordEvidence', 'rescanTargetNow']);
  expect(run.mocks.calls.at(-2)!.input).toMatchObject({ link: 'rollout', environment: 'prod', outcome: 'promoted', strategy: 'canary' });
});

test('blue-green: analysis of the idle colour, the switch, then promote (like the pipeline)', async () => {
  const run = await scenarios['deploy-release-blue-green'](h);
  expect(run.outcome).toMatchObject({ kind: 'promoted' });
  expect(verdicts(run.outcome as never)).toEqual(['0:pass']);
  expect(run.mocks.steps()).toEqual(['analyze(0)', 'shiftTraffic(100)']);
  // then the rescan schedule follows the release (none here: no pipeline of the environment set one up)
  expect(run.mocks.stageNames().slice(-3)).toEqual(['promote', 'settleRelease', 'rescanTargetNow']); // settleRelease: patch settle-after-promote
});

test('failed analysis: the saga puts the traffic back, then destroys the candidate', async () => {
  const run = await scenarios['deploy-release-analysis-fails'](h);
  expect(run.outcome).toMatchObject({ kind: 'rolled_back', reason: 'success-rate 0.71 < 0.99', step: 50 });
  expect(verdicts(run.outcome as never)).toEqual(['10:pass', '50:fail']);
  expect(run.mocks.steps()).toEqual(['shiftTraffic(10)', 'analyze(10)', 'shiftTraffic(50)', 'analyze(50)', 'shiftTraffic(0)']);
  expect(run.mocks.stageNames().slice(-2)).toEqual(['shiftTraffic', 'rollback']);
  expect(run.mocks.calls.find((c) => c.name === 'rollback')!.input).toMatchObject({ reason: 'success-rate 0.71 < 0.99' });
  expect(run.mocks.calls.at(-1)!.input).toMatchObject({ link: 'rollout', outcome: 'rolled_back' });
  expect(run.mocks.names()).not.toContain('promote');
});

test('an error after traffic moved rolls back, with the cause as the reason', async () => {
  const run = await scenarios['deploy-release-error-after-traffic'](h);
  expect(run.outcome).toEqual(expect.objectContaining({ kind: 'rolled_back', reason: 'DeployProgramError: router rejected weight 50: backend down' }));
  expect(run.outcome).not.toHaveProperty('step');
  expect(run.mocks.stageNames().slice(-2)).toEqual(['shiftTraffic', 'rollback']);
});

test('a failed deploy is cleaned up and ends failed at stage deploy', async () => {
  const run = await scenarios['deploy-release-deploy-fails'](h);
  expect(run.outcome).toMatchObject({ kind: 'failed', stage: 'deploy', cause: { type: 'DeployProgramError', message: 'port 8080 already allocated' }, analysis: [] });
  expect(run.mocks.names()).toEqual(['findGateRecord', 'verifyEvidence', 'deployCandidate', 'rollback']);
});

test('the release already serving: unchanged, nothing rolled out', async () => {
  const run = await scenarios['deploy-release-unchanged'](h);
  expect(run.outcome).toEqual({ kind: 'unchanged', releaseId: run.outcome.releaseId, reason: `${run.outcome.releaseId} already is the stable release`, gate: { kind: 'evidence-verified', links: expect.arrayContaining(['approvals']) } });
  expect(run.mocks.names()).toEqual(['findGateRecord', 'verifyEvidence', 'deployCandidate']);
});
