import { useHarness, type Harness } from './support/harness';
import { scenarios } from './support/scenarios';

// The runtime security stage between the candidate's deploy and the first traffic move (mocked activities).

let h: Harness;
useHarness((x) => (h = x));

test('a blocking runtime security finding rolls back before any traffic moves, naming the endpoint and check', async () => {
  const run = await scenarios['runtime-security-rollback'](h);
  const reason = 'runtime security: authentication: GET /api/entries: answered 200 to a request with no credentials: expected 401 or 403';
  expect(run.results[0]!.outcome).toEqual({ kind: 'rolled_back', reason, step: 0 });
  // deployed, probed, destroyed: never a traffic move, never an analysis
  expect(run.mocks.stageNames().slice(-3)).toEqual(['deployCandidate', 'verifyRuntimeSecurity', 'rollback']);
  expect(run.mocks.names()).not.toContain('shiftTraffic');
  expect(run.mocks.names()).not.toContain('analyze');
  expect(run.mocks.names()).not.toContain('promote');
  const probe = run.mocks.calls.find((c) => c.name === 'verifyRuntimeSecurity')!;
  expect(probe.input).toEqual({
    releaseId: run.results[0]!.releaseId,
    service: 'runtime-security-rollback',
    environment: 'prod',
    surface: { endpoints: [{ path: '/api/entries', method: 'GET', auth: 'required' }, { path: '/healthz', method: 'GET', auth: 'public' }] },
    requirements: {},
    exceptions: [],
  });
  expect(run.mocks.calls.find((c) => c.name === 'rollback')!.input).toMatchObject({ reason });
  const state = run.states[0]!;
  expect(state.traffic).toBe(0);
  expect(state.compensations).toEqual(['rollback']);
  expect(state.runtimeSecurity).toMatchObject({ passed: false, blocking: ['authentication: GET /api/entries: answered 200 to a request with no credentials: expected 401 or 403'] });
  expect(state.runtimeSecurity!.checks.authentication).toBe('violated: mock');
});

test('a passing report lets the rollout go on; a manifest without a surface is not probed', async () => {
  const run = await scenarios['runtime-security-passes'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  const names = run.mocks.names();
  expect(names.indexOf('verifyRuntimeSecurity')).toBeGreaterThan(names.indexOf('deployCandidate'));
  expect(names.indexOf('verifyRuntimeSecurity')).toBeLessThan(names.indexOf('shiftTraffic'));
  expect(run.states[0]!.runtimeSecurity).toMatchObject({ passed: true, blocking: [] });

  const undeclared = await scenarios['low-auto-promote'](h);
  expect(undeclared.results[0]!.outcome.kind).toBe('promoted');
  expect(undeclared.mocks.names()).not.toContain('verifyRuntimeSecurity');
  expect(undeclared.states[0]!.runtimeSecurity?.checks).toEqual({ surface: 'not declared: airlock.yaml has no security.endpoints, nothing probed' });
});
