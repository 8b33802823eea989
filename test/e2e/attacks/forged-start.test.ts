// Attack (issue 11, item 4): the workflow input is trusted. Anyone who can reach Temporal starts
// deploymentPipeline directly, with the rollout and canary analysis settings of their choosing
// (`rollout.steps: [100]`, `analysis.minSuccessRate: 0`) and any author, for a real repository on the real
// stack (worker, Temporal, Docker, registry, Trivy, Pulumi, HAProxy, Prometheus). The pipeline must roll
// out with airlock.yaml's settings at the head commit; the forged ones leave no trace in what it does.
// And a commit that weakens airlock.yaml's rollout or analysis, triggered as CI does, scores high with a
// reason naming each weakened field.
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { connectClient } from '../../../infra/temporal/connection';
import type { PipelineResult } from '../../../model/pipeline';
import { canaryAnalysisSchema } from '../../../model/manifest';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS, SERVICE } from '../../support/e2e-world';

let world: E2eWorld;
let client: Client;
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;

// The environment's airlock.yaml block (test/support/e2e-world.ts): canary 10/50/100, minSuccessRate 0.99.
useE2eWorld({ name: 'forged', steps: [10, 50, 100] }, (w) => (world = w));

beforeAll(async () => {
  client = await connectClient(world.config.temporal);
}, 60_000);
afterAll(async () => client?.connection.close());

/** What an attacker with Temporal access sends: the old input shape, every setting theirs. */
function forgedInput(commit: string, base: string, service = SERVICE) {
  return {
    service,
    environment: world.environment,
    repo: world.repo.dir,
    serviceDir: '.',
    baseCommit: base,
    headCommit: commit,
    author: 'someone-else',
    trigger: { ci: 'forged' },
    policyPath: 'airlock.policy.yaml',
    rollout: { strategy: 'canary', steps: [100] },
    analysis: { interval: '1s', checks: 1, failureLimit: 100, minSuccessRate: 0, maxLatencyP95Ms: 600_000, maxSuccessRateDrop: 1, loadRps: 0 },
  };
}

/** Starts deploymentPipeline with a raw Temporal client, as anyone reaching the frontend API can. */
async function forgedStart(input: ReturnType<typeof forgedInput>) {
  return client.workflow.start('deploymentPipeline', {
    taskQueue: world.env.TEMPORAL_TASK_QUEUE!,
    workflowId: `airlock/${input.service}/${input.environment}/${input.headCommit}`,
    args: [input],
  });
}

/** The inputs of every scheduled activity of `name`, in order, from the workflow's history. */
async function scheduled(workflowId: string, name: string): Promise<Record<string, unknown>[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e: temporal.api.history.v1.IHistoryEvent) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === name)
    .map((a) => defaultPayloadConverter.fromPayload(a!.input!.payloads![0]!) as Record<string, unknown>);
}

test('a forged start with rollout.steps [100], minSuccessRate 0 and another author rolls out with airlock.yaml\'s settings', async () => {
  const base = world.repo.head();
  world.repo.edit('README.md', (t) => `${t}\nA forged start deploys this.\n`);
  const commit = world.repo.commit('docs: a line');
  const handle = await forgedStart(forgedInput(commit, base));
  const result = (await handle.result()) as PipelineResult;
  expect(result.outcome).toMatchObject({ kind: 'promoted' });

  const analyses = await scheduled(handle.workflowId, 'analyze');
  // each analyzed step's move is made by its analysis (`shift: true`, patch `shift-in-analysis`), any other by shiftTraffic
  const shifts = [...(await scheduled(handle.workflowId, 'shiftTraffic')).map((s) => s.weight), ...analyses.filter((a) => a.shift === true).map((a) => a.step)];
  // before the fix: shifts [100], one analysis with minSuccessRate 0 and failureLimit 100
  expect({ shifts, analyses: analyses.map((a) => [a.step, a.settings]) }).toEqual({
    shifts: [10, 50, 100],
    analyses: [10, 50, 100].map((step) => [
      step,
      canaryAnalysisSchema.parse({ interval: '2s', checks: 2, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20 }),
    ]),
  });
  const state = await handle.query<{ author: string; analysis: { step: number }[] }>('state');
  expect(state.analysis.map((v) => v.step)).toEqual([10, 50, 100]);
  expect(state.author).toBe('someone-else'); // recorded as claimed, nothing more
}, PIPELINE);

test('a forged start naming a service that airlock.yaml at head does not name is refused', async () => {
  const base = world.repo.head();
  world.repo.edit('README.md', (t) => `${t}\nAnother line.\n`);
  const commit = world.repo.commit('docs: another line');
  const handle = await forgedStart(forgedInput(commit, base, 'payments'));
  const result = (await handle.result()) as PipelineResult;
  expect(result.outcome).toMatchObject({
    kind: 'failed',
    stage: 'change-analysis',
    cause: { type: 'InvalidInputError', message: expect.stringMatching(/service: is demo, but the workflow input names payments/) },
  });
  expect(await scheduled(handle.workflowId, 'buildImage')).toEqual([]);
}, PIPELINE);

test('a commit that weakens airlock.yaml (steps [10, 50, 100] -> [100], minSuccessRate 0.99 -> 0) scores high, naming each field', async () => {
  const env = world.environment;
  world.repo.edit('airlock.yaml', (t) => {
    // only this test's environment block (the demo's own environments say the same)
    const at = t.indexOf(`  ${env}:\n`);
    expect(at).toBeGreaterThan(0);
    const block = t.slice(at).replace(/steps: \[10, 50, 100\]/, 'steps: [100]').replace(/minSuccessRate: 0\.99/, 'minSuccessRate: 0');
    expect(block).not.toBe(t.slice(at));
    return t.slice(0, at) + block;
  });
  const commit = world.repo.commit('airlock.yaml: faster rollout');
  const id = world.pipelineId(commit);
  const r = world.trigger();
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  const state = await world.waitForState(id, (s) => s.risk !== undefined || s.status !== 'RUNNING', 'scored');
  expect(state.risk).toMatchObject({ level: 'high' });
  const reasons = state.risk!.reasons.join('\n');
  // before the fix: high only because airlock.yaml is a gate file ("airlock.yaml (modified)"), no field named
  expect(reasons).toContain(`environments.${env}.rollout.steps: [10, 50, 100] -> [100]`);
  expect(reasons).toContain(`environments.${env}.analysis.minSuccessRate: 0.99 -> 0`);
  expect(reasons).not.toContain('environments.production.');
  await client.workflow.getHandle(id).terminate('forged-start test: scored');
}, PIPELINE);
