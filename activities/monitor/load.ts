import http from 'node:http';
import type { LoadPath } from '../../model/manifest';

/**
 * Synthetic load through the router during analysis, so a quiet service still produces evidence. Bounded:
 * it stops when told to, and by itself after `maxMs` whatever happens. Only loopback URLs are accepted.
 * Each answer is attributed to the release that served it by the router's `X-Airlock-Server` header (set
 * by HAProxy, replacing anything the app sends), so airlock sees each release's status codes and latency
 * itself, without trusting the release's own metrics.
 */
export interface LoadStats {
  url: string;
  rps: number;
  sent: number;
  byStatus: Record<string, number>;
  errors: number;
  /** "GET /api/entries" -> answers by status */
  byPath: Record<string, Record<string, number>>;
}

/** One answer as airlock saw it. */
export interface Observation {
  /** ms since the epoch when the answer ended */
  at: number;
  /** the release that answered (server name without its `-<n>`), null when the router named none */
  release: string | null;
  status: number;
  latencyMs: number;
  path: string;
}

export interface LoadRun {
  /** Answers received so far (the analysis reads them at each check). */
  observations(): readonly Observation[];
  stop(): Promise<LoadStats>;
}

/** Synthetic requests (load, security probes) only go to this machine: 127.0.0.0/8, localhost, [::1]. */
export function loopbackUrl(url: string, what: string): URL {
  const target = new URL(url);
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(target.hostname)) throw new RangeError(`${what} only goes to loopback addresses, not ${target.hostname}`);
  return target;
}

/** The most the main port's rate is raised over `loadRps` (at 90% stable would otherwise need 10x). */
export const MAIN_PORT_MAX_FACTOR = 4;

/**
 * The rate of the load through the main port at a canary step: the router gives stable `100 - step`% of
 * it, so it is raised until stable gets `loadRps` whatever the weight (at most MAIN_PORT_MAX_FACTOR x, and
 * within the schema's 1000 rps). Without it stable had 10 rps at 50% and its first check always waited for
 * `minRequests`. The candidate gets `loadRps` through the preview port besides.
 */
export function mainPortRps(loadRps: number, step: number): number {
  if (step <= 0 || step >= 100) return loadRps;
  return Math.min(1000, loadRps * Math.min(MAIN_PORT_MAX_FACTOR, 100 / (100 - step)));
}

/** The health path and `/`, requested when the manifest names no load. */
export const defaultLoad = (health: string): LoadPath[] => [
  { path: health, method: 'GET', weight: 1 },
  { path: '/', method: 'GET', weight: 1 },
];

/**
 * Every path gets its exact share within each cycle of `sum(weights)` requests (nginx's smooth weighted
 * round-robin gives the cycle), in an order shuffled anew for every cycle. Not the fixed order: the router
 * splits requests by its own round-robin, and a fixed path order repeating in step with it sends some paths
 * always to one release (weights 3/1/1/1 and two servers alternating: the 401 path only ever to stable),
 * so the releases would be compared on different request mixes (a false auth-refusal or error "change").
 */
export function pathPicker(paths: readonly LoadPath[], random: () => number = Math.random): () => LoadPath {
  const current = paths.map(() => 0);
  const total = paths.reduce((t, p) => t + p.weight, 0);
  const smooth = () => {
    let best = 0;
    paths.forEach((p, i) => {
      current[i]! += p.weight;
      if (current[i]! > current[best]!) best = i;
    });
    current[best]! -= total;
    return paths[best]!;
  };
  let cycle: LoadPath[] = [];
  return () => {
    if (!cycle.length) {
      cycle = Array.from({ length: total }, smooth);
      for (let i = cycle.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [cycle[i], cycle[j]] = [cycle[j]!, cycle[i]!];
      }
    }
    return cycle.pop()!;
  };
}

const MAX_OBSERVATIONS = 200_000;

export function startLoad(url: string, rps: number, maxMs: number, paths: readonly LoadPath[] = [{ path: '/', method: 'GET', weight: 1 }]): LoadRun {
  const base = loopbackUrl(url, 'synthetic load');
  const stats: LoadStats = { url, rps, sent: 0, byStatus: {}, errors: 0, byPath: {} };
  const seen: Observation[] = [];
  const inflight = new Set<Promise<void>>();
  const agent = new http.Agent({ keepAlive: false });
  const next = pathPicker(paths);
  const fire = () => {
    const p = next();
    const key = `${p.method} ${p.path}`;
    const started = performance.now();
    stats.sent += 1;
    const done = new Promise<void>((resolve) => {
      const req = http.request(new URL(p.path, base), { method: p.method, agent, timeout: 5000, headers: { 'user-agent': 'airlock-analysis', ...(p.body !== undefined ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        const status = res.statusCode ?? 0;
        stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
        const byPath = (stats.byPath[key] ??= {});
        byPath[String(status)] = (byPath[String(status)] ?? 0) + 1;
        const server = res.headers['x-airlock-server'];
        const release = typeof server === 'string' && /-\d+$/.test(server) ? server.replace(/-\d+$/, '') : null;
        res.resume();
        res.on('end', () => {
          if (seen.length < MAX_OBSERVATIONS) seen.push({ at: Date.now(), release, status, latencyMs: performance.now() - started, path: key });
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        stats.errors += 1;
        resolve();
      });
      req.end(p.body);
    });
    inflight.add(done);
    void done.then(() => inflight.delete(done));
  };
  const timer = rps > 0 ? setInterval(fire, Math.max(1, Math.round(1000 / rps))) : undefined;
  const guard = setTimeout(() => timer && clearInterval(timer), maxMs);
  return {
    observations: () => seen,
    async stop() {
      if (timer) clearInterval(timer);
      clearTimeout(guard);
      await Promise.all(inflight);
      agent.destroy();
      return stats;
    },
  };
}
