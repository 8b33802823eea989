import { useHarness, type Harness } from './support/harness';
import { concurrencyScenarios as scenarios } from './support/concurrency-scenarios';

// Durability (worker restart), the per-environment lock, supersede and attach-on-retrigger.

let h: Harness;
useHarness((x) => (h = x));

test('a worker shut down mid-deploy: a new worker finishes, no side effect repeated', async () => {
  const run = await scenarios['worker-restart'](h);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  // deployCandidate was retried on the new worker (attempt 2) and found its release by idempotency key
  expect(run.mocks.calls.filter((c) => c.name === 'deployCandidate').map((c) => c.attempt)).toEqual([1, 2]);
  for (const [effect, times] of run.mocks.effects) expect([effect, times]).toEqual([effect, 1]);
  // completed activities were replayed from history, not run again
  const counts = run.mocks.names().reduce<Record<string, number>>((n, name) => ({ ...n, [name]: (n[name] ?? 0) + 1 }), {});
  // readAnchorPolicy twice: the gate's policy, and the promoted commit's for the rescan schedule (patch compliance-schedule)
  expect(counts).toMatchObject({ resolveAnchor: 1, readAnchorPolicy: 2, readManifest: 1, assessChange: 1, buildImage: 1, scanImage: 1, evaluatePolicy: 1, promote: 1 });
});

const releaseOf = (run: { results: { releaseId: string }[] }, i: number) => run.results[i]!.releaseId;

test('two pipelines for the same env run one after the other', async () => {
  const run = await scenarios['sequential-same-env'](h);
  expect(run.results.map((r) => r.outcome.kind)).toEqual(['promoted', 'promoted']);
  expect(run.lock!.holder!.pipelineId).toBe(run.results[0]!.pipelineId);
  expect(run.lock!.queue.map((q) => q.pipelineId)).toEqual([run.results[1]!.pipelineId]);
  const calls = run.mocks.calls.map((c) => `${c.name}:${c.input.releaseId as string}`);
  expect(calls.indexOf(`promote:${releaseOf(run, 0)}`)).toBeLessThan(calls.indexOf(`deployCandidate:${releaseOf(run, 1)}`));
});

test('a newer commit supersedes a pipeline waiting for approval', async () => {
  const run = await scenarios['superseded-at-approval'](h);
  const [a, b] = run.results;
  expect(a!.outcome).toEqual({ kind: 'superseded', by: b!.pipelineId });
  expect(b!.outcome.kind).toBe('promoted');
  const deployed = run.mocks.calls.filter((c) => c.name === 'deployCandidate').map((c) => c.input.releaseId);
  expect(deployed).toEqual([b!.releaseId]);
});

test('a newer commit supersedes one queued behind a deploying pipeline', async () => {
  const run = await scenarios['superseded-in-queue'](h);
  const [a, b, c] = run.results;
  expect([a!.outcome.kind, b!.outcome, c!.outcome.kind]).toEqual(['promoted', { kind: 'superseded', by: c!.pipelineId }, 'promoted']);
  expect(run.mocks.calls.filter((x) => x.name === 'deployCandidate').map((x) => x.input.releaseId)).toEqual([a!.releaseId, c!.releaseId]);
});

test('triggering the same commit again attaches to the running pipeline', async () => {
  const run = await scenarios['retrigger-attaches'](h);
  expect(run.attached!.again).toBe(run.attached!.first);
  expect(run.results[0]!.outcome.kind).toBe('promoted');
  expect(run.mocks.names().filter((n) => n === 'buildImage')).toHaveLength(1);
});
