import { execFileSync, spawnSync } from 'node:child_process';
import { pidAlive } from './e2e-world';

// A network namespace that plays another host (test/integration/two-hosts.test.ts): a veth pair to this
// machine, no default route, and only the listed TCP ports of this machine's loopback reachable from inside,
// under their usual addresses (127.0.0.1:<port> inside is DNATed to the host end of the veth, and there to
// 127.0.0.1). Everything else of the machine is dropped at the host end. Needs root, ip and iptables.

const TAG = 'airlock-netns';

const run = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface HostNamespace {
  name: string;
  /** This machine's end of the veth (what the namespace's 127.0.0.1:<port> goes to). */
  hostIp: string;
  /** `ip netns exec <name>`: prefix of a command run inside. */
  exec: string[];
  /** Whether a TCP connection to `host:port` from inside succeeds within 2 s. */
  canConnect(host: string, port: number): boolean;
  remove(): void;
}


/** The rules this helper added for `comment` (all when undefined), as `iptables -S` lines per table. */
function rules(match: (comment: string) => boolean): { table: string; rule: string }[] {
  const found: { table: string; rule: string }[] = [];
  for (const table of ['nat', 'filter']) {
    for (const line of run('iptables', '-t', table, '-S').split('\n')) {
      const m = new RegExp(`--comment "?(${TAG}-[a-z0-9-]+)"?`).exec(line);
      if (m && line.startsWith('-A ') && match(m[1]!)) found.push({ table, rule: line.slice(3) });
    }
  }
  return found;
}

function deleteRules(match: (comment: string) => boolean): void {
  for (const { table, rule } of rules(match)) spawnSync('sh', ['-c', `iptables -t ${table} -D ${rule}`], { stdio: 'ignore' });
}

/** Namespaces and rules of runs whose process is gone (a run killed before its clean-up). */
export function sweepDeadNamespaces(): void {
  const dead = (id: string) => {
    const pid = parseInt(/-([0-9a-z]+)$/.exec(id)?.[1] ?? '', 36);
    return Number.isInteger(pid) && !pidAlive(pid);
  };
  for (const line of run('ip', 'netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(`${TAG}-`) && dead(name)) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  }
  deleteRules(dead);
}

/**
 * Namespace `<TAG>-<label>-<pid>` (label: a few lowercase letters; index: 0..63, distinct per namespace of
 * this process) reaching only `ports` of this machine's loopback.
 */
export function createHostNamespace(label: string, index: number, ports: number[]): HostNamespace {
  const id = `${label}-${process.pid.toString(36)}`;
  const name = `${TAG}-${id}`;
  const comment = name;
  const vh = `alk${label.slice(0, 3)}${index}h`;
  const vn = `alk${label.slice(0, 3)}${index}n`;
  const net = `10.231.${process.pid % 250}.${index * 4}`;
  const base = net.split('.').map(Number);
  const ip = (n: number) => [...base.slice(0, 3), base[3]! + n].join('.');
  const hostIp = ip(1);
  const nsIp = ip(2);
  const inside = (...args: string[]) => run('ip', 'netns', 'exec', name, ...args);
  const list = ports.join(',');
  const remove = () => {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', vh], { stdio: 'ignore' });
    deleteRules((c) => c === comment);
  };
  try {
    run('ip', 'netns', 'add', name);
    run('ip', 'link', 'add', vh, 'type', 'veth', 'peer', 'name', vn);
    run('ip', 'link', 'set', vn, 'netns', name);
    run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', vh);
    run('ip', 'link', 'set', vh, 'up');
    run('sysctl', '-qw', `net.ipv4.conf.${vh}.route_localnet=1`);
    // this machine's end: the listed ports go to its loopback; anything else from the namespace is dropped
    run('iptables', '-t', 'nat', '-A', 'PREROUTING', '-i', vh, '-p', 'tcp', '-m', 'multiport', '--dports', list, '-m', 'comment', '--comment', comment, '-j', 'DNAT', '--to-destination', '127.0.0.1');
    run('iptables', '-I', 'INPUT', '1', '-i', vh, '-m', 'comment', '--comment', comment, '-j', 'DROP');
    run('iptables', '-I', 'INPUT', '1', '-i', vh, '-p', 'tcp', '-d', '127.0.0.1', '-m', 'multiport', '--dports', list, '-m', 'comment', '--comment', comment, '-j', 'ACCEPT');
    // inside: loopback, the veth (no default route), 127.0.0.1:<listed port> to this machine's end
    inside('ip', 'link', 'set', 'lo', 'up');
    inside('ip', 'addr', 'add', `${nsIp}/30`, 'dev', vn);
    inside('ip', 'link', 'set', vn, 'up');
    inside('sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1');
    inside('iptables', '-t', 'nat', '-A', 'OUTPUT', '-d', '127.0.0.1', '-p', 'tcp', '-m', 'multiport', '--dports', list, '-j', 'DNAT', '--to-destination', hostIp);
    inside('iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', vn, '-j', 'SNAT', '--to-source', nsIp);
  } catch (err) {
    remove();
    const e = err as { stderr?: string; message: string };
    throw new Error(`network namespace ${name}: ${e.stderr?.trim() || e.message}`);
  }
  const exec = ['ip', 'netns', 'exec', name];
  return {
    name,
    hostIp,
    exec,
    canConnect: (host, port) =>
      spawnSync('ip', [...exec.slice(1), 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { stdio: 'ignore' }).status === 0,
    remove,
  };
}
