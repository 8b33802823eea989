import net from 'node:net';
import { createDeployActivities } from '../../activities/deploy';
import { freePort } from '../support/ports';
import { canaryAnalysisSchema, type CanaryAnalysisSettings } from '../../model/manifest';
import type { DeployTarget } from '../../model/deploy';
import { releaseId } from '../../model/names';
import { buildDemoImage, demoTarget, deployTestKit, destroyEnvironment, type DeployTestKit } from './deploy-helpers';

// Canary analysis against the real router and Prometheus (issue 14): the signals that must fail a release
// (a 401 storm, errors on one API path the load names, a custom PromQL check) and the evidence that must
// never pass one (too few requests, NaN, no data, Prometheus gone mid-step).

jest.setTimeout(600_000);

const ENV = 'production';
let kit: DeployTestKit;
let service: string;
let target: DeployTarget;
const images: Record<string, string> = {};
const id = (image: string) => releaseId(service, ENV, image.split('@')[1]!.slice(7, 19));
const ref = (image: string) => ({ releaseId: id(image), service, environment: ENV });
const analysis = (over: Partial<CanaryAnalysisSettings> = {}) => canaryAnalysisSchema.parse({ interval: '1s', checks: 2, failureLimit: 1, loadRps: 20, evidenceWait: '10s', ...over });

beforeAll(async () => {
  kit = await deployTestKit();
  service = `an-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  target = demoTarget(service, ENV, await freePort(), { replicas: 1, analysis: analysis() });
  images.v1 = await buildDemoImage(kit, '1.0.0', 'none');
  images.v2 = await buildDemoImage(kit, '2.0.0', 'none');
  images.auth = await buildDemoImage(kit, '3.0.0', 'auth-storm');
  images.api = await buildDemoImage(kit, '4.0.0', 'api-errors');
  await kit.activities.deployCandidate({ ...ref(images.v1), image: images.v1, target });
  await kit.activities.promote(ref(images.v1));
});

afterAll(async () => {
  if (kit) await destroyEnvironment(kit, service, ENV);
});

/** Deploys `image` as the candidate at 10% and returns a function that rolls it back. */
async function candidateAt10(image: string) {
  await kit.activities.deployCandidate({ ...ref(image), image, target });
  await kit.activities.shiftTraffic({ ...ref(image), weight: 10 });
  return () => kit.activities.rollback({ ...ref(image), reason: 'test done' });
}

test('a 401 storm (health green) fails the 401/403 comparison with stable at the first step', async () => {
  const undo = await candidateAt10(images.auth!);
  try {
    const v = await kit.activities.analyze({ ...ref(images.auth!), step: 10, settings: analysis() });
    expect(v.verdict).toBe('fail');
    expect(v.checks).toBe(1);
    const auth = v.measurements.find((m) => m.metric === 'auth-refusal-change')!;
    // the default load asks /healthz (still 200) and / (now 401): compared path by path, / fails, every
    // answer of the candidate refused against none of stable's
    expect(auth.status).toBe('fail');
    expect(auth.value).toBe(1);
    expect(auth.note).toMatch(/^on GET \/ \(compared path by path, 2 paths/);
    expect(auth.counts!.stable![0]).toBe(0);
    expect(v.reason).toMatch(/auth-refusal-change \+1 beyond 0\.05 either way on GET \/ /);
    expect(v.requests!.candidate).toBeGreaterThan(0);
  } finally {
    await undo();
  }
});

test('errors on one API path pass the default load and are caught when the load names the path', async () => {
  const undo = await candidateAt10(images.api!);
  try {
    const quiet = await kit.activities.analyze({ ...ref(images.api!), step: 10, settings: analysis() });
    expect(quiet).toMatchObject({ verdict: 'pass' });
    expect(quiet.settings).toMatchObject({ loadDefaulted: true, load: [{ path: '/healthz' }, { path: '/' }] });

    const named = await kit.activities.analyze({ ...ref(images.api!), step: 10, settings: analysis({ load: [{ path: '/api/ping', method: 'GET', weight: 3 }, { path: '/', method: 'GET', weight: 1 }] }) });
    expect(named.verdict).toBe('fail');
    expect(named.checks).toBe(1);
    expect(named.reason).toMatch(/success-rate 0\.\d+ < 0\.99/);
    const perPath = named.load!.find((l) => l.url.includes(':'))!.byPath!;
    expect(perPath['GET /api/ping']!['500']).toBeGreaterThan(0);
    expect(named.settings).toMatchObject({ loadDefaulted: false });
  } finally {
    await undo();
  }
});

test("custom PromQL checks: resolved queries and values in the verdict, pass and fail, NaN and no data inconclusive", async () => {
  const undo = await candidateAt10(images.v2!);
  try {
    const buildInfo = 'max(demo_build_info{airlock_service="{{service}}",airlock_release="{{release}}"})';
    const pass = await kit.activities.analyze({ ...ref(images.v2!), step: 10, settings: analysis({ metrics: [{ name: 'build-info', query: buildInfo, min: 1, failOnNoData: true }] }) });
    expect(pass.verdict).toBe('pass');
    const m = pass.measurements.find((x) => x.metric === 'custom:build-info')!;
    expect(m).toMatchObject({ status: 'pass', value: 1, query: `max(demo_build_info{airlock_service="${service}",airlock_release="${id(images.v2!)}"})` });

    const fail = await kit.activities.analyze({ ...ref(images.v2!), step: 10, settings: analysis({ metrics: [{ name: 'build-info', query: buildInfo, max: 0, failOnNoData: true }] }) });
    expect(fail).toMatchObject({ verdict: 'fail' });
    expect(fail.reason).toContain('custom:build-info 1 > 0');

    const nan = await kit.activities.analyze({ ...ref(images.v2!), step: 10, settings: analysis({ evidenceWait: '2s', metrics: [{ name: 'nan', query: 'vector(0) / vector(0)', max: 1, failOnNoData: true }] }) });
    expect(nan.verdict).toBe('fail');
    expect(nan.measurements.find((x) => x.metric === 'custom:nan')).toMatchObject({ status: 'inconclusive', value: null, note: 'NaN' });

    const none = await kit.activities.analyze({ ...ref(images.v2!), step: 10, settings: analysis({ evidenceWait: '2s', metrics: [{ name: 'absent', query: 'sum(airlock_no_such_series{release="{{release}}"})', max: 1, failOnNoData: true }] }) });
    expect(none.verdict).toBe('fail');
    expect(none.measurements.find((x) => x.metric === 'custom:absent')).toMatchObject({ status: 'inconclusive', note: 'no data' });
  } finally {
    await undo();
  }
});

test('too few requests is inconclusive, never a pass (no load, nobody calling)', async () => {
  const undo = await candidateAt10(images.v2!);
  try {
    const started = Date.now();
    const v = await kit.activities.analyze({ ...ref(images.v2!), step: 10, settings: analysis({ loadRps: 0, evidenceWait: '3s' }) });
    expect(v).toMatchObject({ verdict: 'fail', inconclusiveChecks: 1, failedChecks: 0 });
    expect(v.reason).toMatch(/^requests: inconclusive, only \d+ requests \(minRequests 50\)/);
    expect(Date.now() - started).toBeLessThan(60_000); // the wait for evidence is bounded
  } finally {
    await undo();
  }
});

test('Prometheus gone mid-step: the next check is inconclusive and the step fails safe', async () => {
  const prom = new URL(kit.config.prometheusUrl);
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(prom.port), prom.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as net.AddressInfo).port;
  const cut = () => {
    proxy.close();
    for (const s of sockets) s.destroy();
  };
  // Prometheus answers the warm-up and the first check, then stops answering (its port closes).
  const heartbeat = (d: unknown) => {
    if ((d as { phase?: string; check?: number }).phase === 'analysis' && (d as { check?: number }).check === 1) cut();
  };
  const viaProxy = createDeployActivities({ config: { ...kit.config, prometheusUrl: `http://127.0.0.1:${port}` }, driver: kit.driver, heartbeat, log: { info: () => {}, warn: () => {} } });
  const undo = await candidateAt10(images.v2!);
  try {
    const v = await viaProxy.analyze({ ...ref(images.v2!), step: 10, settings: analysis({ checks: 4, failureLimit: 1, evidenceWait: '3s' }) });
    expect(v.verdict).toBe('fail');
    expect(v.inconclusiveChecks).toBe(1);
    expect(v.reason).toMatch(/inconclusive, Prometheus at http:\/\/127\.0\.0\.1:\d+ did not answer/);
  } finally {
    cut();
    await undo();
  }
});
