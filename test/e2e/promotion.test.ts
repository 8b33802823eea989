// Promotion on the real stack (worker process, Temporal, Docker, registry, Trivy, Pulumi, HAProxy,
// Prometheus): airlock.yaml says `promotion: [staging, production]` (staging blue-green with a soak,
// production canary). A good change is built once and reaches production: the same image digest runs
// behind both routers. A bad release is caught in staging and rolled back there; production keeps
// serving the previous release and no production deploy of the bad one ever starts.
import { execFileSync } from 'node:child_process';
import { SCENARIOS } from '../../cli/demo/scenarios';
import { E2eWorld, environmentContainers, useE2eWorld, PIPELINE_TIMEOUT_MS } from '../support/e2e-world';

const [docs, , bad] = SCENARIOS;
let world: E2eWorld;
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;

useE2eWorld({ name: 'promote', promotion: { soak: '10s' } }, (w) => (world = w));

const commitScenario = (s: (typeof SCENARIOS)[number]) => world.repo.commit(s.change(world.repo));

/** The image (repo@sha256:...) each release container of an environment runs, by release. */
async function running(environment: string): Promise<Map<string, string>> {
  const { releases } = await environmentContainers(world.config, environment);
  const out = new Map<string, string>();
  for (const r of releases) out.set(r.release, execFileSync('docker', ['inspect', '--format', '{{.Config.Image}}', r.name], { encoding: 'utf8' }).trim());
  return out;
}

let good: { commit: string; image: string };

test('a good change: built once, staging (blue-green + soak) then production (canary), the same digest behind both routers: exit 0', async () => {
  const commit = commitScenario(docs!);
  const r = world.trigger('--wait');
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  expect(r.stderr).toContain(`demo -> ${world.environment}`);
  expect(r.stderr).toMatch(new RegExp(`soaking in ${world.staging} for 10s`));
  expect(r.stderr).toMatch(new RegExp(`passed in ${world.staging} \\(sha256:[0-9a-f]{64}\\)`));
  expect(r.stderr).toMatch(new RegExp(`environment ${world.environment} \\(2 of 2\\)`));
  expect(r.stderr).toMatch(/outcome: promoted 127\.0\.0\.1:5000\/demo@sha256:[0-9a-f]{64}/);
  const state = (await world.status(world.pipelineId(commit)))!;
  expect(state.promotion!.environments.map((e) => [e.environment, e.status])).toEqual([
    [world.staging, 'passed'],
    [world.environment, 'passed'],
  ]);
  const image = state.image!;
  expect(state.promotion!.environments.map((e) => e.digest)).toEqual([image.split('@')[1], image.split('@')[1]]);
  // one release id (image tag) for the commit, no environment in it
  expect(image).toMatch(/^127\.0\.0\.1:5000\/demo@sha256:/);
  expect(state.promotion!.release).toBe(`demo-${commit.slice(0, 12)}`);
  const [stg, prod] = [await running(world.staging!), await running(world.environment)];
  expect(stg.get(`demo-${world.staging}-${commit.slice(0, 12)}`)).toBe(image);
  expect(prod.get(`demo-${world.environment}-${commit.slice(0, 12)}`)).toBe(image);
  good = { commit, image };
}, 2 * PIPELINE);

test('a bad release is rolled back in staging; production still serves the previous release: exit 6', async () => {
  const commit = commitScenario(bad!);
  const id = world.pipelineId(commit);
  const waiting = world.cliAsync(world.triggerArgs('--wait'), PIPELINE);
  // medium or low risk: approve in staging when asked (the demo policy's rule), never in production
  const s = await world.waitForState(id, (x) => x.status !== 'RUNNING' || x.stage === 'approval' || x.stage === 'deploy', 'approval or deploy in staging');
  if (s.stage === 'approval') {
    expect(s.environment).toBe(world.staging);
    const a = await world.cliAsync(['approve', id, '--as', 'alice', '--comment', 'staging will tell']);
    expect({ code: a.code, stderr: a.stderr }).toMatchObject({ code: 0 });
  }
  const r = await waiting;
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 6 });
  expect(r.stderr).toMatch(/outcome: rolled back/);
  const state = (await world.status(id))!;
  expect(state.promotion!.environments.map((e) => [e.environment, e.status])).toEqual([
    [world.staging, 'failed'],
    [world.environment, 'not-reached'],
  ]);
  const prod = await running(world.environment);
  expect([...prod.entries()]).toEqual([[`demo-${world.environment}-${good.commit.slice(0, 12)}`, good.image]]);
  const stg = await running(world.staging!);
  expect([...stg.keys()]).toEqual([`demo-${world.staging}-${good.commit.slice(0, 12)}`]);
}, 2 * PIPELINE);
