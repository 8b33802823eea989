/**
 * HAProxy configuration of an environment's router, in two files: `router.cfg` (global, defaults and the
 * frontends; fixed for the router's life) and `backends.cfg` (the release servers and their weights).
 * Live changes go through the runtime API; backends.cfg is rewritten alongside so a restarted router
 * comes back with the same servers and weights.
 */

/**
 * Ports inside the router container. The host side is published on 127.0.0.1 only. Release containers
 * share the router's network and reach all of them: none may change state (the exporter only reads).
 */
export const ROUTER_PORTS = { traffic: 8080, preview: 8081, metrics: 8405 } as const;

/**
 * The runtime API is a unix socket in a directory of the host bind-mounted here, never a port: release
 * containers share the router's network, and whoever reaches the runtime API decides where traffic goes.
 */
export const ADMIN_SOCKET_DIR = '/run/airlock';
export const ADMIN_SOCKET = 'admin.sock';

/** Who owns the admin socket: airlock's own user on the host (the socket is mode 600). */
export interface AdminSocketOwner {
  uid: number;
  gid: number;
}

export const BACKENDS = ['app', 'preview'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface RouterServer {
  backend: BackendName;
  name: string;
  address: string;
  port: number;
  weight: number;
}

export interface HealthCheck {
  path: string;
  intervalMs: number;
}

export const CONFIG_DIR = '/etc/airlock';
export const ROUTER_CFG = 'router.cfg';
export const BACKENDS_CFG = 'backends.cfg';

export function renderRouterConfig(owner: AdminSocketOwner): string {
  const p = ROUTER_PORTS;
  return [
    '# Written by airlock (infra/haproxy/config.ts). Servers live in backends.cfg.',
    'global',
    '  maxconn 4096',
    // The runtime API: weights and servers change here without a reload. A unix socket for airlock alone.
    `  stats socket ${ADMIN_SOCKET_DIR}/${ADMIN_SOCKET} mode 600 uid ${owner.uid} gid ${owner.gid} level admin`,
    '  stats timeout 30s',
    '  hard-stop-after 30s',
    '',
    'defaults',
    '  mode http',
    '  option http-server-close',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    '',
    'frontend traffic',
    `  bind :${p.traffic}`,
    '  http-response set-header X-Airlock-Server %s',
    '  default_backend app',
    '',
    '# The candidate alone: blue-green analysis and smoke tests reach it here before it takes user traffic.',
    'frontend preview',
    `  bind :${p.preview}`,
    '  http-response set-header X-Airlock-Server %s',
    '  default_backend preview',
    '',
    'frontend metrics',
    `  bind :${p.metrics}`,
    '  http-request use-service prometheus-exporter if { path /metrics }',
    '  http-request return status 404 content-type text/plain string "not found" unless { path /metrics }',
    '',
  ].join('\n');
}

/** `server` keywords shared by the config file and the runtime API's `add server`. */
export function serverOptions(server: RouterServer, health: HealthCheck): string {
  return `${server.address}:${server.port} weight ${server.weight} check inter ${health.intervalMs} fall 2 rise 1`;
}

export function renderBackendsConfig(servers: RouterServer[], health: HealthCheck): string {
  const lines = ['# Written by airlock (infra/haproxy/config.ts): the release servers of this environment.'];
  for (const backend of BACKENDS) {
    lines.push(
      `backend ${backend}`,
      '  balance roundrobin',
      `  option httpchk GET ${health.path}`,
      '  http-check expect status 200',
      ...servers.filter((s) => s.backend === backend).map((s) => `  server ${s.name} ${serverOptions(s, health)}`),
      '',
    );
  }
  return lines.join('\n');
}
