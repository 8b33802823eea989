import { canaryAnalysisSchema } from '../../model/manifest';
import { effectivePercent } from '../../infra/deploy/traffic';
import { releaseIdForImage, type DeployTarget } from '../../model/deploy';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, dockerContainers, expectStackMatchesDocker, routerServers, sample, uniqueService, type DeployTestKit } from './deploy-helpers';
import { freePort } from '../support/ports';

// Canary on real Docker, HAProxy, Prometheus and Pulumi: v1, then v2 (good) through 10 -> 50 -> 100,
// then v3 (30% errors) caught at the first step and rolled back, then a manual rollback to v1.
const ENV = 'production';
const service = uniqueService('canary');
let kit: DeployTestKit;
let target: DeployTarget;
const images: Record<'v1' | 'v2' | 'v3', string> = { v1: '', v2: '', v3: '' };
const id = (image: string) => releaseIdForImage(service, ENV, image);
const ref = (image: string) => ({ releaseId: id(image), service, environment: ENV });

beforeAll(async () => {
  kit = await deployTestKit();
  target = demoTarget(service, ENV, await freePort(), {
    replicas: 2,
    analysis: canaryAnalysisSchema.parse({ interval: '2s', checks: 2, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20 }),
  });
  images.v1 = await buildDemoImage(kit, '1.0.0', 'none');
  images.v2 = await buildDemoImage(kit, '2.0.0', 'none');
  images.v3 = await buildDemoImage(kit, '3.0.0', 'errors');
});

afterAll(async () => {
  if (kit) await destroyEnvironment(kit, service, ENV);
});

test('v1: the first release is deployed, promoted and reached through the router', async () => {
  const deployed = await kit.activities.deployCandidate({ ...ref(images.v1), image: images.v1, target });
  expect(deployed).toMatchObject({ releaseId: id(images.v1), stable: null, reused: false, alreadyStable: false });
  expect(deployed.containers).toEqual([`${id(images.v1)}-1`, `${id(images.v1)}-2`]);
  expect(deployed.router.url).toBe(`http://127.0.0.1:${target.settings.routerPort}`);
  await kit.activities.promote(ref(images.v1));

  const state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.stable?.releaseId).toBe(id(images.v1));
  expect(await sample(state.router!.url, 20)).toEqual({ '1.0.0': 20 });
  const labels = (await kit.docker.getContainer(deployed.containers[0]!).inspect()).Config.Labels;
  expect(labels).toMatchObject({ 'airlock.service': service, 'airlock.env': ENV, 'airlock.release': id(images.v1) });
  expect((await kit.docker.getContainer(deployed.containers[0]!).inspect()).Config.Image).toBe(images.v1);
  // airlock.yaml sets no run.resources: the safe defaults bound the container (docs/reliability.md)
  const host = (await kit.docker.getContainer(deployed.containers[0]!).inspect()).HostConfig;
  expect(host).toMatchObject({ Memory: 512 * 1024 * 1024, MemorySwap: 512 * 1024 * 1024, NanoCpus: 1e9, PidsLimit: 256 });

  // Idempotent by release id: a retried deploy or promote changes nothing.
  expect(await kit.activities.deployCandidate({ ...ref(images.v1), image: images.v1, target })).toMatchObject({ reused: true, alreadyStable: true });
  expect(await kit.activities.promote(ref(images.v1))).toMatchObject({ reused: true });
});

test('v2 (good): traffic goes 10 -> 50 -> 100 with analysis at each step, then v1 is gone', async () => {
  const deployed = await kit.activities.deployCandidate({ ...ref(images.v2), image: images.v2, target });
  expect(deployed.stable?.releaseId).toBe(id(images.v1));
  let state = await expectStackMatchesDocker(kit, service, ENV);
  expect(await sample(state.router!.url, 10)).toEqual({ '1.0.0': 10 }); // no user traffic before the first step
  expect(await sample(state.router!.previewUrl, 4)).toEqual({ '2.0.0': 4 }); // the preview port reaches it alone

  for (const step of [10, 50, 100]) {
    const shifted = await kit.activities.shiftTraffic({ ...ref(images.v2), weight: step });
    expect(effectivePercent(shifted.servers, deployed.containers)).toBeCloseTo(step, 0);
    state = await expectStackMatchesDocker(kit, service, ENV);
    const servers = await routerServers(state);
    for (const c of deployed.containers) expect(servers).toContain(`app/${c} ${shifted.servers[c]}`);
    const verdict = await kit.activities.analyze({ ...ref(images.v2), step, settings: target.settings.analysis });
    expect({ step: verdict.step, verdict: verdict.verdict, reason: verdict.reason }).toEqual({ step, verdict: 'pass', reason: undefined });
    expect(verdict).toMatchObject({ failedChecks: 0, inconclusiveChecks: 0 });
    expect(verdict.measurements.length).toBeGreaterThanOrEqual(4);
    expect(verdict.measurements.every((m) => m.passed)).toBe(true);
    const candidateValues = verdict.measurements.filter((m) => ['requests', 'success-rate', 'latency-p95-ms'].includes(m.metric)).map((m) => m.value);
    expect(candidateValues.length).toBeGreaterThanOrEqual(3);
    expect(verdict.requests!.candidate).toBeGreaterThanOrEqual(50);
    expect(candidateValues.every((v) => v !== null)).toBe(true);
    // At 100% the stable release gets no requests: the comparison is recorded as skipped (no stable data).
    const drops = verdict.measurements.filter((m) => m.metric === 'success-rate-drop');
    if (step < 100) expect(drops.every((m) => m.value !== null && m.status === 'pass')).toBe(true);
    else expect(drops.every((m) => m.status === 'skipped')).toBe(true);
  }
  const mixed = await sample(state.router!.url, 10);
  expect(mixed).toEqual({ '2.0.0': 10 }); // at 100% the candidate serves everything

  const promoted = await kit.activities.promote(ref(images.v2));
  expect(promoted).toMatchObject({ removed: [id(images.v1)], reused: false });
  state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.stable?.releaseId).toBe(id(images.v2));
  expect(state.candidate).toBeNull();
  expect((await dockerContainers(kit.docker, service, ENV)).releases.some((n) => n.startsWith(id(images.v1)))).toBe(false);
  expect(await sample(state.router!.url, 10)).toEqual({ '2.0.0': 10 });
  expect(state.history.map((h) => h.releaseId)).toEqual([id(images.v2), id(images.v1)]);
});

test('v3 (30% errors): analysis fails at the first step, traffic returns to v2, v3 is destroyed', async () => {
  await kit.activities.deployCandidate({ ...ref(images.v3), image: images.v3, target });
  const badFrom = Date.now();
  await kit.activities.shiftTraffic({ ...ref(images.v3), weight: 10 });
  const verdict = await kit.activities.analyze({ ...ref(images.v3), step: 10, settings: target.settings.analysis });
  expect(verdict.verdict).toBe('fail');
  expect(verdict.checks).toBe(1); // failureLimit 1: the first failed check decides
  const sr = verdict.measurements.find((m) => m.metric === 'success-rate')!;
  expect(sr.passed).toBe(false);
  expect(sr.value).toBeLessThan(0.99);
  expect(sr.status).toBe('fail');
  expect(sr.pValue).toBeLessThan(0.05);
  expect(verdict.reason).toContain(`success-rate ${sr.value} < 0.99`);
  expect(verdict.load?.[0]?.sent).toBeGreaterThan(0);

  const rolledBack = await kit.activities.rollback({ ...ref(images.v3), reason: verdict.reason });
  const restoredMs = Date.now() - badFrom;
  expect(rolledBack).toMatchObject({ removed: [id(images.v3)], reused: false });
  expect(rolledBack.stable?.releaseId).toBe(id(images.v2));
  expect(rolledBack.trafficRestoredMs).toBeLessThan(restoredMs);
  const state = await expectStackMatchesDocker(kit, service, ENV);
  expect(state.candidate).toBeNull();
  expect((await dockerContainers(kit.docker, service, ENV)).releases.some((n) => n.startsWith(id(images.v3)))).toBe(false);
  expect(await sample(state.router!.url, 10)).toEqual({ '2.0.0': 10 });
  expect(await kit.activities.rollback({ ...ref(images.v3), reason: 'again' })).toMatchObject({ reused: true });
});

test('manual rollback to v1 puts it back from its digest and removes v2', async () => {
  const restored = await kit.activities.restoreRelease({ service, environment: ENV, toReleaseId: id(images.v1), reason: 'test' });
  expect(restored).toMatchObject({ removed: [id(images.v2)], reused: false });
  expect(restored.stable.releaseId).toBe(id(images.v1));
  const state = await expectStackMatchesDocker(kit, service, ENV);
  expect(await sample(state.router!.url, 10)).toEqual({ '1.0.0': 10 });
  expect(state.history[0]?.releaseId).toBe(id(images.v1));
});
