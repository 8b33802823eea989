import { canaryAnalysisSchema } from '../../model/manifest';
import { releaseIdForImage, type DeployTarget } from '../../model/deploy';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, dockerContainers, expectStackMatchesDocker, sample, uniqueService, type DeployTestKit } from './deploy-helpers';
import { freePort } from '../support/ports';

// Blue-green on the real stack: the candidate gets no user traffic while it is analyzed through the
// preview port, then takes everything at once; a bad one (800 ms latency) never sees a user request.
const ENV = 'staging';
const service = uniqueService('bluegreen');
let kit: DeployTestKit;
let target: DeployTarget;
const id = (image: string) => releaseIdForImage(service, ENV, image);
const ref = (image: string) => ({ releaseId: id(image), service, environment: ENV });

/** Responses the router's `app` backend (user traffic) got from a release's servers, from its exporter. */
async function userResponses(metricsUrl: string, releaseId: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('haproxy_server_http_responses_total{proxy="app",server="') && l.includes(`server="${releaseId}-`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

beforeAll(async () => {
  kit = await deployTestKit();
  target = demoTarget(service, ENV, await freePort(), {
    analysis: canaryAnalysisSchema.parse({ interval: '2s', checks: 2, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20 }),
  });
  expect(target.settings.rollout).toEqual({ strategy: 'blue-green' });
});
afterAll(async () => {
  if (kit) await destroyEnvironment(kit, service, ENV);
});

test('v1 then v2 (good): analyzed without user traffic, then switched at once', async () => {
  const [v1, v2] = [await buildDemoImage(kit, '1.0.0', 'none'), await buildDemoImage(kit, '2.0.0', 'none')];
  await kit.activities.deployCandidate({ ...ref(v1), image: v1, target });
  await kit.activities.promote(ref(v1));

  const deployed = await kit.activities.deployCandidate({ ...ref(v2), image: v2, target });
  const verdict = await kit.activities.analyze({ ...ref(v2), step: 0, settings: target.settings.analysis });
  expect(verdict).toMatchObject({ step: 0, verdict: 'pass', checks: 2, failedChecks: 0 });
  expect(verdict.measurements.map((m) => m.metric)).toEqual(expect.arrayContaining(['success-rate', 'latency-p95-ms', 'success-rate-drop']));
  expect(verdict.load?.map((l) => l.url)).toEqual([deployed.router.previewUrl, deployed.router.url]);
  expect(await userResponses(deployed.router.metricsUrl, id(v2))).toBe(0);
  expect(await sample(deployed.router.url, 6)).toEqual({ '1.0.0': 6 });

  await kit.activities.shiftTraffic({ ...ref(v2), weight: 100 });
  expect(await sample(deployed.router.url, 6)).toEqual({ '2.0.0': 6 });
  await kit.activities.promote(ref(v2));
  const state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.stable?.releaseId).toBe(id(v2));
  expect((await dockerContainers(kit.docker, service, ENV)).releases).toEqual([`${id(v2)}-1`]);
});

test('v3 (800 ms latency): analysis fails on p95 latency, v3 never served a user and is destroyed', async () => {
  const v3 = await buildDemoImage(kit, '3.0.0', 'latency');
  const deployed = await kit.activities.deployCandidate({ ...ref(v3), image: v3, target });
  const verdict = await kit.activities.analyze({ ...ref(v3), step: 0, settings: target.settings.analysis });
  expect(verdict.verdict).toBe('fail');
  const latency = verdict.measurements.find((m) => m.metric === 'latency-p95-ms')!;
  expect(latency).toMatchObject({ passed: false, threshold: 500 });
  expect(latency.value).toBeGreaterThan(500);
  expect(verdict.reason).toContain(`latency-p95-ms ${latency.value} > 500`);
  expect(await userResponses(deployed.router.metricsUrl, id(v3))).toBe(0);

  await kit.activities.rollback({ ...ref(v3), reason: verdict.reason });
  const state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.stable?.releaseId).toBe(deployed.stable?.releaseId);
  expect(state.candidate).toBeNull();
  expect(await sample(state.router!.url, 6)).toEqual({ '2.0.0': 6 });
});
