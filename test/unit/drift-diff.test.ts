import { diffEnvironment, expectedEnvironment } from '../../activities/drift';
import type { StackSpec } from '../../infra/deploy/spec';
import type { ObservedEnvironment } from '../../model/drift';
import { policySchema } from '../../model/policy';

const release = (releaseId: string, replicas = 2) => ({ releaseId, image: `127.0.0.1:5000/shop@sha256:${releaseId.padEnd(64, '0').slice(0, 64)}`, replicas, port: 8080, healthPath: '/healthz', metricsPath: null, env: {} });
const spec = (over: Partial<StackSpec> = {}): StackSpec => ({
  service: 'shop',
  environment: 'prod',
  stack: 'shop-prod',
  routerImage: 'airlock/router:1',
  routerPort: 18080,
  stable: release('aaaa'),
  candidate: null,
  candidateWeight: 0,
  history: [],
  targetsFile: '/tmp/t.json',
  routerAdminDir: '/tmp/r',
  healthIntervalMs: 1000,
  ...over,
});

/** Reality exactly as the spec says. */
function inSync(s: StackSpec): ObservedEnvironment {
  const e = expectedEnvironment(s);
  return { containers: e.containers.map((c) => ({ name: c.name, image: c.image, running: true, state: 'running' })), servers: e.servers.map((x) => ({ ...x })) };
}

describe('expected state of a stack', () => {
  it('holds the router, every release container and the servers with the split weights', () => {
    const e = expectedEnvironment(spec({ candidate: release('bbbb', 1), candidateWeight: 10 }));
    expect(e.network).toBe('airlock-shop-prod');
    expect(e.containers.map((c) => `${c.role}:${c.name}`)).toEqual(['router:shop-prod-router', 'release:aaaa-1', 'release:aaaa-2', 'release:bbbb-1']);
    const app = Object.fromEntries(e.servers.filter((s) => s.backend === 'app').map((s) => [s.name, s.weight]));
    expect(app['aaaa-1']).toBe(app['aaaa-2']);
    expect(app['bbbb-1']! / (app['aaaa-1']! * 2 + app['bbbb-1']!)).toBeCloseTo(0.1, 2);
    expect(e.servers.filter((s) => s.backend === 'preview')).toEqual([{ backend: 'preview', name: 'bbbb-1', weight: 100 }]);
  });
});

describe('drift', () => {
  it('none when reality matches the state', () => {
    expect(diffEnvironment(expectedEnvironment(spec()), inSync(spec()))).toEqual([]);
  });

  it('finds a stopped, a missing and a swapped container, and an extra one', () => {
    const s = spec();
    const o = inSync(s);
    o.containers[1] = { ...o.containers[1]!, running: false, state: 'exited' };
    o.containers.splice(2, 1);
    o.containers[0] = { ...o.containers[0]!, image: 'evil/router:latest' };
    o.containers.push({ name: 'sidecar', image: 'alpine', running: true, state: 'running' });
    expect(diffEnvironment(expectedEnvironment(s), o).map((d) => `${d.kind} ${d.resource}`)).toEqual([
      'container-image shop-prod-router',
      'container-stopped aaaa-1',
      'container-missing aaaa-2',
      'container-extra sidecar',
    ]);
  });

  it('finds a changed weight and a missing or extra router server', () => {
    const s = spec();
    const o = inSync(s);
    o.servers![0] = { ...o.servers![0]!, weight: 7 };
    o.servers!.splice(1, 1);
    o.servers!.push({ backend: 'app', name: 'intruder', weight: 256 });
    const drift = diffEnvironment(expectedEnvironment(s), o);
    expect(drift.map((d) => `${d.kind} ${d.resource}`)).toEqual(['weight-differs app/aaaa-1', 'server-missing app/aaaa-2', 'server-extra app/intruder']);
    expect(drift[0]).toMatchObject({ expected: '256', actual: '7' });
  });

  it('an unanswering router is drift, said once', () => {
    const s = spec();
    expect(diffEnvironment(expectedEnvironment(s), { ...inSync(s), servers: null }).map((d) => d.kind)).toEqual(['router-unreachable']);
    const stopped = inSync(s);
    stopped.containers[0] = { ...stopped.containers[0]!, running: false, state: 'exited' };
    expect(diffEnvironment(expectedEnvironment(s), { ...stopped, servers: null }).map((d) => d.kind)).toEqual(['container-stopped']);
  });
});

describe('policy compliance section (drift)', () => {
  it('defaults to an hourly check that alerts, and takes reconcile', () => {
    expect(policySchema.parse({}).compliance).toMatchObject({ driftEvery: '1h', onDrift: 'alert' }); // next to the rescan settings (docs/compliance.md)
    expect(policySchema.parse({ compliance: { driftEvery: '15m', onDrift: 'reconcile' } }).compliance).toMatchObject({ driftEvery: '15m', onDrift: 'reconcile' });
    expect(policySchema.safeParse({ compliance: { onDrift: 'ignore' } }).success).toBe(false);
    expect(policySchema.safeParse({ compliance: { driftEvery: 'hourly' } }).success).toBe(false);
  });
});
