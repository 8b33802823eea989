import { routerAdminDir } from '../../activities/deploy/deps';
import { renderBackendsConfig, renderRouterConfig, ROUTER_PORTS, type RouterServer } from '../../infra/haproxy/config';
import { answerIsOk, formatAdminAddress, MAX_SOCKET_PATH, parseAdminAddress, parseServersState, planRuntimeCommands, planWeightCommands, sessionsOf, type ServerState } from '../../infra/haproxy/runtime-api';

const health = { path: '/healthz', intervalMs: 1000 };
const srv = (backend: 'app' | 'preview', name: string, weight: number, address = '172.30.0.2'): RouterServer => ({ backend, name, address, port: 8080, weight });
const state = (backend: string, name: string, weight: number, over: Partial<ServerState> = {}): ServerState => ({
  backend,
  name,
  address: '172.30.0.2',
  port: 8080,
  weight,
  adminState: 0,
  opState: 2,
  ...over,
});

describe('router config', () => {
  it('has the runtime API on a unix socket, the traffic, preview and metrics frontends', () => {
    const cfg = renderRouterConfig({ uid: 1000, gid: 1001 });
    expect(cfg).toContain('stats socket /run/airlock/admin.sock mode 600 uid 1000 gid 1001 level admin');
    // Nothing else listens: release containers share the router's network, so no runtime API on a port,
    // and no stats page (whose admin mode changes servers); the metrics frontend only exports.
    expect(cfg.match(/^\s*(bind|stats socket) .*/gm)).toEqual([
      '  stats socket /run/airlock/admin.sock mode 600 uid 1000 gid 1001 level admin',
      `  bind :${ROUTER_PORTS.traffic}`,
      `  bind :${ROUTER_PORTS.preview}`,
      `  bind :${ROUTER_PORTS.metrics}`,
    ]);
    expect(cfg).not.toMatch(/^\s*stats (enable|admin|uri)/m);
    expect(cfg).toMatch(/bind :8405\n\s+http-request use-service prometheus-exporter if \{ path \/metrics \}/);
    expect(cfg).not.toMatch(/^backend /m);
  });

  it('writes both backends with health checks and every server with its weight', () => {
    const cfg = renderBackendsConfig([srv('app', 'r1-1', 256), srv('app', 'r2-1', 26), srv('preview', 'r2-1', 100)], health);
    expect(cfg).toContain('backend app\n  balance roundrobin\n  option httpchk GET /healthz');
    expect(cfg).toContain('  server r1-1 172.30.0.2:8080 weight 256 check inter 1000 fall 2 rise 1');
    expect(cfg).toContain('  server r2-1 172.30.0.2:8080 weight 26 check');
    expect(cfg.split('backend preview')[1]).toContain('server r2-1 172.30.0.2:8080 weight 100');
    expect(renderBackendsConfig([], health)).toMatch(/backend app[\s\S]*backend preview/);
  });
});

describe('show servers state', () => {
  const text = [
    '1',
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
    '4 app 1 r1-1 172.30.0.3 2 0 256 256 10 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0',
    '5 preview 1 r2-1 172.30.0.4 0 1 100 100 0 1 0 0 0 0 0 0 - 8080 - 0 0 - - 0',
    '',
  ].join('\n');

  it('parses servers by column name', () => {
    expect(parseServersState(text)).toEqual([
      { backend: 'app', name: 'r1-1', address: '172.30.0.3', port: 8080, weight: 256, adminState: 0, opState: 2 },
      { backend: 'preview', name: 'r2-1', address: '172.30.0.4', port: 8080, weight: 100, adminState: 1, opState: 0 },
    ]);
  });

  it('reads an empty router as no servers, and refuses an error message', () => {
    expect(parseServersState('1\n')).toEqual([]);
    expect(() => parseServersState('Unknown command')).toThrow(/unexpected answer/);
  });
});

describe('planRuntimeCommands', () => {
  it('adds new servers ready with health checks, reweights, and deletes what is no longer wanted', () => {
    const current = [state('app', 'old-1', 256), state('app', 'keep-1', 256), state('stats', 'x', 1)];
    const cmds = planRuntimeCommands(current, [srv('app', 'keep-1', 26), srv('app', 'new-1', 256), srv('preview', 'new-1', 100)], health);
    expect(cmds).toEqual([
      'set server app/keep-1 weight 26',
      'add server app/new-1 172.30.0.2:8080 weight 256 check inter 1000 fall 2 rise 1',
      'enable health app/new-1',
      'set server app/new-1 state ready',
      'add server preview/new-1 172.30.0.2:8080 weight 100 check inter 1000 fall 2 rise 1',
      'enable health preview/new-1',
      'set server preview/new-1 state ready',
      'set server app/old-1 state maint',
      'shutdown sessions server app/old-1',
      'del server app/old-1',
    ]);
  });

  it('moves a server whose container got a new address, and readies one left in maintenance', () => {
    const cmds = planRuntimeCommands([state('app', 'a-1', 10, { address: '172.30.0.9', adminState: 1 })], [srv('app', 'a-1', 10)], health);
    expect(cmds).toEqual(['set server app/a-1 addr 172.30.0.2 port 8080', 'set server app/a-1 state ready']);
  });

  it('changes nothing when the router already matches', () => {
    expect(planRuntimeCommands([state('app', 'a-1', 10)], [srv('app', 'a-1', 10)], health)).toEqual([]);
  });
});

describe('planWeightCommands', () => {
  it('sets only app servers whose weight differs and that exist', () => {
    const current = [state('app', 's-1', 256), state('app', 'c-1', 26), state('preview', 'c-1', 100)];
    expect(planWeightCommands(current, { 's-1': 256, 'c-1': 0, 'gone-1': 5 })).toEqual(['set server app/c-1 weight 0']);
  });
});

describe('answers', () => {
  it('knows success for each verb', () => {
    expect(answerIsOk('add server app/x 1.2.3.4:80', 'New server registered.\n\n')).toBe(true);
    expect(answerIsOk('del server app/x', 'Server deleted.\n')).toBe(true);
    expect(answerIsOk('set server app/x weight 3', '\n')).toBe(true);
    expect(answerIsOk('set server app/x weight 3', 'No such server.\n')).toBe(false);
    expect(answerIsOk('enable health app/x', 'Health check was not configured on this server, cannot enable.\n')).toBe(false);
  });

  it('parses the admin address: a unix socket or a TCP address', () => {
    expect(parseAdminAddress('unix:/home/a/.local/state/airlock/run/routers/demo-prod/admin.sock')).toEqual({ path: '/home/a/.local/state/airlock/run/routers/demo-prod/admin.sock' });
    expect(parseAdminAddress('127.0.0.1:32770')).toEqual({ host: '127.0.0.1', port: 32770 });
    for (const text of ['unix:/run/x/admin.sock', '127.0.0.1:9999']) expect(formatAdminAddress(parseAdminAddress(text))).toBe(text);
  });
});

describe('sessionsOf', () => {
  it('sums current sessions of the named servers from typed stats', () => {
    const typed = [
      'S.4.1.0.pxname.1:KNS:str:app',
      'S.4.1.1.svname.1:KNS:str:old-1',
      'S.4.1.4.scur.1:MGP:u32:3',
      'S.4.2.1.svname.1:KNS:str:new-1',
      'S.4.2.4.scur.1:MGP:u32:7',
      'S.5.1.1.svname.1:KNS:str:old-1',
      'S.5.1.4.scur.1:MGP:u32:1',
    ].join('\n');
    expect(sessionsOf(typed, ['old-1'])).toBe(4);
    expect(sessionsOf(typed, ['nope'])).toBe(0);
  });
});

describe('routerAdminDir', () => {
  const dirs = (run: string) => ({ dirs: { run } }) as Parameters<typeof routerAdminDir>[0];

  it('is run/routers/<stack>, or a digest of the stack where the socket path would be too long', () => {
    expect(routerAdminDir(dirs('/home/a/.local/state/airlock/run'), 'demo-production')).toBe('/home/a/.local/state/airlock/run/routers/demo-production');
    const long = routerAdminDir(dirs('/home/a/.local/state/airlock/run'), `demo-${'x'.repeat(63)}`);
    expect(long).toMatch(/^\/home\/a\/\.local\/state\/airlock\/run\/routers\/[0-9a-f]{16}$/);
    expect(Buffer.byteLength(`${long}/admin.sock`)).toBeLessThanOrEqual(MAX_SOCKET_PATH);
  });
});
