import { BACKENDS, serverOptions, type HealthCheck, type RouterServer } from './config';

/**
 * HAProxy runtime API, the way weights and servers change without a reload. airlock's routers serve it on
 * a unix socket in a host directory only airlock can open (see router-container.ts); a TCP address is
 * still understood (a router run by hand). Pure parts (parsing, planning) are separate from the one
 * function that talks to the socket. Node modules are `require`d inside functions: this file is also
 * used by dynamic providers, whose code Pulumi serializes.
 */

/** Where the runtime API answers: a unix socket on the host, or a TCP address. */
export type AdminAddress = { path: string } | { host: string; port: number };

const UNIX = 'unix:';

/** The longest path a unix socket can have (sun_path: 108 bytes with its NUL); a longer one is truncated silently. */
export const MAX_SOCKET_PATH = 107;

/** The text form kept in the environment's state: `unix:/path/admin.sock` or `host:port`. */
export function formatAdminAddress(address: AdminAddress): string {
  return 'path' in address ? `${UNIX}${address.path}` : `${address.host}:${address.port}`;
}

/** A refused or failed runtime API command (a plain Error with a name: see dockerOpError). */
export function routerCommandError(message: string): Error {
  return Object.assign(new Error(message), { name: 'RouterCommandError' });
}

export interface ServerState {
  backend: string;
  name: string;
  address: string;
  port: number;
  weight: number;
  /** srv_admin_state bits: 0x01/0x02/0x04 maintenance, 0x08 drain. 0 = ready. */
  adminState: number;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  opState: number;
}

/** Parses `show servers state` (format version 1). */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').map((l) => l.trim());
  const header = lines.find((l) => l.startsWith('# be_id'));
  if (!header) {
    if (lines.every((l) => l === '' || /^\d+$/.test(l))) return [];
    throw routerCommandError(`unexpected answer to "show servers state": ${text.slice(0, 200)}`);
  }
  const cols = header.slice(2).split(/\s+/);
  const col = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw routerCommandError(`"show servers state" has no column ${name}`);
    return i;
  };
  const [be, name, addr, port, weight, admin, op] = ['be_name', 'srv_name', 'srv_addr', 'srv_port', 'srv_uweight', 'srv_admin_state', 'srv_op_state'].map(col) as [
    number, number, number, number, number, number, number,
  ];
  return lines
    .filter((l) => l !== '' && !l.startsWith('#') && !/^\d+$/.test(l))
    .map((l) => l.split(/\s+/))
    .map((f) => ({
      backend: f[be] ?? '',
      name: f[name] ?? '',
      address: f[addr] ?? '',
      port: Number(f[port]),
      weight: Number(f[weight]),
      adminState: Number(f[admin]),
      opState: Number(f[op]),
    }));
}

const key = (s: { backend: string; name: string }) => `${s.backend}/${s.name}`;

/**
 * Runtime API commands that turn the router's `current` servers into `desired`: new servers are added
 * (dynamic servers start in maintenance, so health checks are enabled and the server made ready), moved
 * ones get their address, reweighted ones their weight, and servers no longer desired are put in
 * maintenance, their sessions shut and the server deleted. Only airlock's backends are touched.
 */
export function planRuntimeCommands(current: ServerState[], desired: RouterServer[], health: HealthCheck): string[] {
  const ours = current.filter((s) => (BACKENDS as readonly string[]).includes(s.backend));
  const have = new Map(ours.map((s) => [key(s), s]));
  const want = new Map(desired.map((s) => [key(s), s]));
  const commands: string[] = [];
  for (const [k, s] of want) {
    const h = have.get(k);
    if (!h) {
      commands.push(`add server ${k} ${serverOptions(s, health)}`, `enable health ${k}`, `set server ${k} state ready`);
      continue;
    }
    if (h.address !== s.address || h.port !== s.port) commands.push(`set server ${k} addr ${s.address} port ${s.port}`);
    if (h.weight !== s.weight) commands.push(`set server ${k} weight ${s.weight}`);
    if (h.adminState !== 0) commands.push(`set server ${k} state ready`);
  }
  for (const [k] of have) {
    if (!want.has(k)) commands.push(`set server ${k} state maint`, `shutdown sessions server ${k}`, `del server ${k}`);
  }
  return commands;
}

/** What a successful answer to `command` looks like (anything else is HAProxy refusing it). */
export function answerIsOk(command: string, answer: string): boolean {
  const a = answer.trim();
  if (command.startsWith('add server ')) return a === 'New server registered.';
  if (command.startsWith('del server ')) return a === 'Server deleted.';
  if (command.startsWith('show ') || command.startsWith('get ')) return !/^(Unknown|No such|Can't|Require)/i.test(a);
  return a === '';
}

/** Sends one command on its own connection and returns HAProxy's answer. */
export function runtimeCommand(address: AdminAddress, command: string, timeoutMs = 5000): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi serializes provider code: modules must be required inside it
  const net = require('node:net') as typeof import('node:net');
  const where = `router ${formatAdminAddress(address)}`;
  return new Promise((resolve, reject) => {
    if ('path' in address && Buffer.byteLength(address.path) > MAX_SOCKET_PATH) {
      return reject(routerCommandError(`${where}: the socket path is longer than ${MAX_SOCKET_PATH} bytes (set a shorter AIRLOCK_HOME)`));
    }
    let answer = '';
    const socket = 'path' in address ? net.connect({ path: address.path }) : net.connect(address.port, address.host);
    socket.once('connect', () => socket.end(`${command}\n`));
    socket.setTimeout(timeoutMs, () => socket.destroy(routerCommandError(`${where}: no answer to "${command}" within ${timeoutMs} ms`)));
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.on('error', (e) => reject(routerCommandError(`${where}: ${command}: ${e.message}`)));
    socket.on('close', () => resolve(answer));
  });
}

/** Runs commands in order, failing on the first one HAProxy refuses. */
export async function runRuntimeCommands(address: AdminAddress, commands: string[]): Promise<void> {
  for (const command of commands) {
    const answer = await runtimeCommand(address, command);
    if (!answerIsOk(command, answer)) throw routerCommandError(`router refused "${command}": ${answer.trim()}`);
  }
}

export async function showServers(address: AdminAddress): Promise<ServerState[]> {
  return parseServersState(await runtimeCommand(address, 'show servers state'));
}

/** Makes the router's servers `desired`, returning the commands it ran. */
export async function applyServers(address: AdminAddress, desired: RouterServer[], health: HealthCheck): Promise<string[]> {
  const commands = planRuntimeCommands(await showServers(address), desired, health);
  await runRuntimeCommands(address, commands);
  return commands;
}

/** Waits until the given servers carry no sessions (drained), or the deadline passes. Returns what is left. */
export async function waitDrained(address: AdminAddress, servers: string[], timeoutMs: number, pollMs = 200): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stat = await runtimeCommand(address, 'show stat -1 4 -1 typed');
    const left = sessionsOf(stat, servers);
    if (left === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Current sessions (scur) of the named servers, from `show stat ... typed` output. */
export function sessionsOf(typedStat: string, servers: string[]): number {
  // Lines look like: S.3.1.4.scur.1:MGP:u32:0  (type.proxy_id.obj_id.field_pos.field_name.process:tags:type:value)
  const names = new Map<string, string>(); // "proxyid.objid" -> server name
  let total = 0;
  const lines = typedStat.split('\n');
  for (const l of lines) {
    const m = /^S\.(\d+)\.(\d+)\.\d+\.svname\.\d+:[^:]*:[^:]*:(.*)$/.exec(l);
    if (m) names.set(`${m[1]}.${m[2]}`, m[3]!.trim());
  }
  for (const l of lines) {
    const m = /^S\.(\d+)\.(\d+)\.\d+\.scur\.\d+:[^:]*:[^:]*:(\d+)/.exec(l);
    if (m && servers.includes(names.get(`${m[1]}.${m[2]}`) ?? '')) total += Number(m[3]);
  }
  return total;
}

/** `set server app/<name> weight N` for every app server whose weight differs (servers not present are skipped). */
export function planWeightCommands(current: ServerState[], weights: Record<string, number>): string[] {
  return current
    .filter((s) => s.backend === 'app' && weights[s.name] !== undefined && weights[s.name] !== s.weight)
    .map((s) => `set server app/${s.name} weight ${weights[s.name]}`);
}

/** Changes app weights at once, without Pulumi (rollback and promotion move traffic first, then clean up). */
export async function setWeights(address: AdminAddress, weights: Record<string, number>): Promise<string[]> {
  const commands = planWeightCommands(await showServers(address), weights);
  await runRuntimeCommands(address, commands);
  return commands;
}

export function parseAdminAddress(text: string): AdminAddress {
  if (text.startsWith(UNIX)) return { path: text.slice(UNIX.length) };
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

/** The router's servers of airlock's backends with the `app` weights replaced by `weights` (what backends.cfg must say after a shift). */
export function reweightedServers(current: ServerState[], weights: Record<string, number>): RouterServer[] {
  return current
    .filter((s) => (BACKENDS as readonly string[]).includes(s.backend))
    .map((s) => ({
      backend: s.backend as RouterServer['backend'],
      name: s.name,
      address: s.address,
      port: s.port,
      weight: s.backend === 'app' && weights[s.name] !== undefined ? weights[s.name]! : s.weight,
    }));
}

/** Servers `weights` names that the router's `app` backend does not have (a weight cannot be set on them). */
export function missingAppServers(current: ServerState[], weights: Record<string, number>): string[] {
  const have = new Set(current.filter((s) => s.backend === 'app').map((s) => s.name));
  return Object.keys(weights).filter((name) => !have.has(name));
}
