import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { resolveDeps } from '../../activities/deploy/deps';
import { shiftTraffic } from '../../activities/deploy/shift-traffic';
import { rollback } from '../../activities/deploy/rollback';
import { promote, settleRelease } from '../../activities/deploy/promote';
import type { StackOutputs } from '../../infra/deploy/program';
import type { ReleaseSpec, StackSpec } from '../../infra/deploy/spec';
import type { StackDriver } from '../../infra/deploy/stack';
import { readTrafficRecord, specDigest, trafficRecordFile, withTrafficRecord, writeTrafficRecord, type TrafficRecord } from '../../infra/deploy/traffic-record';
import { routeWeights } from '../../infra/haproxy/route';
import { missingAppServers, reweightedServers, type ServerState } from '../../infra/haproxy/runtime-api';
import { loadConfig } from '../../infra/config';
import type { EnvironmentState } from '../../model/deploy';

// Issue 13: traffic shifts move weights through the router's runtime API only; the weight is recorded
// next to the stack's checkpoint until the next stack update records it there.

const release = (releaseId: string): ReleaseSpec => ({ releaseId, image: `r/x@sha256:${'a'.repeat(64)}`, replicas: 1, port: 8080, healthPath: '/healthz', metricsPath: null, env: {} });
const spec = (over: Partial<StackSpec> = {}): StackSpec => ({
  service: 'shop',
  environment: 'prod',
  stack: 'shop-prod',
  routerImage: 'airlock/router:1',
  routerPort: 18000,
  stable: release('shop-prod-111111111111'),
  candidate: release('shop-prod-222222222222'),
  candidateWeight: 0,
  history: [],
  targetsFile: '/t/shop-prod.json',
  routerAdminDir: '/run/r',
  healthIntervalMs: 1000,
  ...over,
});
const stateOf = (s: StackSpec, adminAddress = 'unix:/nowhere/admin.sock'): EnvironmentState => ({
  service: s.service,
  environment: s.environment,
  stack: s.stack,
  router: { url: 'http://127.0.0.1:18000', previewUrl: 'http://127.0.0.1:1', metricsUrl: 'http://127.0.0.1:2/metrics', adminAddress, container: 'airlock-shop-prod-router' },
  stable: s.stable && { releaseId: s.stable.releaseId, image: s.stable.image, containers: [`${s.stable.releaseId}-1`] },
  candidate: s.candidate && { releaseId: s.candidate.releaseId, image: s.candidate.image, containers: [`${s.candidate.releaseId}-1`], weight: s.candidateWeight },
  history: s.history,
});
const outputs = (s: StackSpec, adminAddress?: string): StackOutputs => ({ spec: s, state: stateOf(s, adminAddress) });
const recordFor = (s: StackSpec, weight: number, over: Partial<TrafficRecord> = {}): TrafficRecord => ({ stack: s.stack, releaseId: s.candidate!.releaseId, weight, base: specDigest(s), at: '2026-12-03T00:00:00Z', ...over });

describe('traffic record', () => {
  it('applies its weight to the checkpoint it was written over, spec and state alike', () => {
    const s = spec();
    const out = withTrafficRecord(outputs(s), recordFor(s, 50));
    expect(out.spec.candidateWeight).toBe(50);
    expect(out.state.candidate?.weight).toBe(50);
    expect(out.spec.stable).toEqual(s.stable);
  });

  it('is void once any update wrote the checkpoint since, for another candidate or stack, or with none', () => {
    const s = spec();
    const r = recordFor(s, 50);
    // the candidate promoted (a new spec): the record of its last shift no longer applies
    expect(withTrafficRecord(outputs(spec({ stable: s.candidate, candidate: null })), r).spec.candidateWeight).toBe(0);
    // a checkpoint written since for the same candidate (e.g. the weight 10 recorded by an update)
    expect(withTrafficRecord(outputs(spec({ candidateWeight: 10 })), r).spec.candidateWeight).toBe(10);
    expect(withTrafficRecord(outputs(s), { ...r, releaseId: 'shop-prod-333333333333' }).spec.candidateWeight).toBe(0);
    expect(withTrafficRecord(outputs(s), { ...r, stack: 'other-prod' }).spec.candidateWeight).toBe(0);
    expect(withTrafficRecord(outputs(s), null)).toEqual(outputs(s));
  });

  it('the digest does not depend on key order (the checkpoint is JSON read back)', () => {
    const s = spec();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(s).reverse()))) as StackSpec;
    expect(specDigest(reordered)).toBe(specDigest(s));
    expect(specDigest(spec({ candidateWeight: 10 }))).not.toBe(specDigest(s));
  });

  it('round-trips through its file; a malformed or out-of-range file counts as no record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-traffic-'));
    try {
      const s = spec();
      expect(readTrafficRecord(dir, s.stack)).toBeNull();
      writeTrafficRecord(dir, recordFor(s, 10));
      expect(readTrafficRecord(dir, s.stack)).toEqual(recordFor(s, 10));
      writeFileSync(trafficRecordFile(dir, s.stack), JSON.stringify({ ...recordFor(s, 10), weight: 1000 }));
      expect(readTrafficRecord(dir, s.stack)).toBeNull();
      writeFileSync(trafficRecordFile(dir, s.stack), '{"stack":');
      expect(readTrafficRecord(dir, s.stack)).toBeNull();
      expect(() => writeTrafficRecord(dir, { ...recordFor(s, 10), weight: -1 })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const srv = (backend: string, name: string, weight: number, address = '172.30.0.2'): ServerState => ({ backend, name, address, port: 8080, weight, adminState: 0, opState: 2 });

describe('reweighted servers', () => {
  const current = [srv('app', 'a-1', 256), srv('app', 'b-1', 1, '172.30.0.3'), srv('preview', 'b-1', 100, '172.30.0.3'), srv('stats', 'x', 1)];
  it('keeps addresses, the preview backend and servers not named; changes only app weights', () => {
    expect(reweightedServers(current, { 'a-1': 128, 'b-1': 128 })).toEqual([
      { backend: 'app', name: 'a-1', address: '172.30.0.2', port: 8080, weight: 128 },
      { backend: 'app', name: 'b-1', address: '172.30.0.3', port: 8080, weight: 128 },
      { backend: 'preview', name: 'b-1', address: '172.30.0.3', port: 8080, weight: 100 },
    ]);
  });
  it('names the servers the router lacks', () => {
    expect(missingAppServers(current, { 'a-1': 1, 'c-1': 1 })).toEqual(['c-1']);
  });
});

/** A stand-in for HAProxy's runtime API on a unix socket: answers `show servers state`, logs every command. */
async function fakeRouter(dir: string, servers: string[], refuse?: RegExp, stat = '') {
  const log: string[] = [];
  const path = join(dir, 'admin.sock');
  const header = '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord';
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (!buf.endsWith('\n')) return;
      const command = buf.trim();
      log.push(`router: ${command}`);
      if (command === 'show servers state') socket.end(['1', header, ...servers, ''].join('\n'));
      else if (command.startsWith('show stat')) socket.end(`${stat}\n`);
      else socket.end(refuse?.test(command) ? 'No such server.\n' : '');
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { log, address: `unix:${path}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function fakeDocker(log: string[]): Docker {
  return {
    getContainer: (name: string) => ({
      putArchive: async (_tar: Buffer, opts: { path: string }) => {
        log.push(`backends.cfg -> ${name}:${opts.path}`);
      },
    }),
  } as unknown as Docker;
}

describe('routeWeights', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'airlock-route-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const servers = ['4 app 1 a-1 172.30.0.3 2 0 256 256 10 6 3 4 6 0 0 0 - 8080 -', '4 app 2 b-1 172.30.0.4 2 0 1 1 10 6 3 4 6 0 0 0 - 8080 -'];

  it("writes the router's config before it sets the live weights: a restart never comes back with older weights", async () => {
    const router = await fakeRouter(dir, servers);
    try {
      const commands = await routeWeights(fakeDocker(router.log), 'r', { path: join(dir, 'admin.sock') }, { 'a-1': 128, 'b-1': 128 }, { path: '/healthz', intervalMs: 1000 });
      expect(commands).toEqual(['set server app/a-1 weight 128', 'set server app/b-1 weight 128']);
      expect(router.log).toEqual(['router: show servers state', 'backends.cfg -> r:/etc', 'router: set server app/a-1 weight 128', 'router: set server app/b-1 weight 128']);
    } finally {
      await router.close();
    }
  });

  it('refuses a weight for a server the router does not have, before it writes anything', async () => {
    const router = await fakeRouter(dir, servers.slice(0, 1));
    try {
      await expect(routeWeights(fakeDocker(router.log), 'r', { path: join(dir, 'admin.sock') }, { 'a-1': 1, 'b-1': 1 }, { path: '/', intervalMs: 1000 })).rejects.toThrow(/has no server b-1/);
      expect(router.log).toEqual(['router: show servers state']);
    } finally {
      await router.close();
    }
  });
});

describe('shiftTraffic', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'airlock-shift-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const stableServer = '4 app 1 shop-prod-111111111111-1 172.30.0.3 2 0 256 256 10 6 3 4 6 0 0 0 - 8080 -';
  const candidateServer = '4 app 2 shop-prod-222222222222-1 172.30.0.4 2 0 1 1 10 6 3 4 6 0 0 0 - 8080 -';

  function kit(adminAddress: string, log: string[]) {
    const s = spec();
    const driver = {
      outputs: async () => outputs(s, adminAddress),
      recordTraffic: async (_svc: string, _env: string, releaseId: string, weight: number) => void log.push(`record ${releaseId} ${weight}`),
      up: async (next: StackSpec) => {
        log.push(`pulumi up ${next.candidateWeight}`);
        return { ...outputs(next, adminAddress), durationMs: 1, changes: {} };
      },
    } as unknown as StackDriver;
    return resolveDeps({ config: loadConfig({}), driver, docker: fakeDocker(log), heartbeat: () => undefined, log: { info: () => undefined, warn: (m) => void log.push(`warn ${m}`) } });
  }
  const target = { service: 'shop', environment: 'prod', releaseId: 'shop-prod-222222222222' };

  it('records the weight, writes the config, then sets it live: no stack update', async () => {
    const router = await fakeRouter(dir, [stableServer, candidateServer]);
    try {
      const result = await shiftTraffic(kit(router.address, router.log))({ ...target, weight: 50 });
      expect(result.weight).toBe(50);
      expect(router.log[0]).toBe('record shop-prod-222222222222 50');
      expect(router.log.slice(1, 3)).toEqual(['router: show servers state', 'backends.cfg -> airlock-shop-prod-router:/etc']);
      expect(router.log.slice(3).every((l) => l.startsWith('router: set server app/'))).toBe(true);
      expect(router.log.some((l) => l.startsWith('pulumi up'))).toBe(false);
    } finally {
      await router.close();
    }
  });

  it('falls back to the stack update when the router cannot take it (unreachable)', async () => {
    const log: string[] = [];
    const result = await shiftTraffic(kit(`unix:${join(dir, 'gone.sock')}`, log))({ ...target, weight: 10 });
    expect(result.weight).toBe(10);
    expect(log[0]).toBe('record shop-prod-222222222222 10');
    expect(log.at(-1)).toBe('pulumi up 10');
  });

  it('rollback: back to stable in the recorded state and the config before the live weights, then the stack update', async () => {
    const router = await fakeRouter(dir, [stableServer, candidateServer]);
    try {
      await rollback(kit(router.address, router.log))({ ...target, reason: 'analysis failed' });
      expect(router.log.slice(0, 3)).toEqual(['record shop-prod-222222222222 0', 'router: show servers state', 'backends.cfg -> airlock-shop-prod-router:/etc']);
      expect(router.log.at(-1)).toBe('pulumi up 0');
    } finally {
      await router.close();
    }
  });

  it("promote with settle 'later': all traffic to the candidate, drained, no stack update; settleRelease makes it", async () => {
    const stat = ['S.3.1.1.svname.1:KNS:str:shop-prod-111111111111-1', 'S.3.1.4.scur.1:MGP:u32:0'].join('\n');
    const router = await fakeRouter(dir, [stableServer, candidateServer], undefined, stat);
    try {
      const deps = kit(router.address, router.log);
      expect(await promote(deps)({ ...target, settle: 'later' })).toMatchObject({ reused: false, settled: false, removed: [] });
      expect(router.log[0]).toBe('record shop-prod-222222222222 100');
      expect(router.log).toContain('router: show stat -1 4 -1 typed');
      expect(router.log.some((l) => l.startsWith('pulumi up'))).toBe(false);
      router.log.length = 0;
      expect(await settleRelease(deps)(target)).toMatchObject({ reused: false, settled: true, removed: ['shop-prod-111111111111'] });
      expect(router.log.at(-1)).toBe('pulumi up 0'); // the promoted spec: the candidate is the stable release
    } finally {
      await router.close();
    }
  });

  it('falls back to the stack update when HAProxy refuses a command', async () => {
    const router = await fakeRouter(dir, [stableServer, candidateServer], /^set server/);
    try {
      await shiftTraffic(kit(router.address, router.log))({ ...target, weight: 100 });
      expect(router.log.at(-1)).toBe('pulumi up 100');
    } finally {
      await router.close();
    }
  });
});
