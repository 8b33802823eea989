import http from 'node:http';

/**
 * Synthetic load through the router during analysis, so a quiet service still produces evidence. Bounded:
 * it stops when told to, and by itself after `maxMs` whatever happens. Only loopback URLs are accepted.
 */
export interface LoadStats {
  url: string;
  rps: number;
  sent: number;
  byStatus: Record<string, number>;
  errors: number;
}

export interface LoadRun {
  stop(): Promise<LoadStats>;
}

/** Synthetic requests (load, security probes) only go to this machine: 127.0.0.0/8, localhost, [::1]. */
export function loopbackUrl(url: string, what: string): URL {
  const target = new URL(url);
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(target.hostname)) throw new RangeError(`${what} only goes to loopback addresses, not ${target.hostname}`);
  return target;
}

export function startLoad(url: string, rps: number, maxMs: number): LoadRun {
  const target = loopbackUrl(url, 'synthetic load');
  const stats: LoadStats = { url, rps, sent: 0, byStatus: {}, errors: 0 };
  const inflight = new Set<Promise<void>>();
  const agent = new http.Agent({ keepAlive: false });
  const fire = () => {
    stats.sent += 1;
    const p = new Promise<void>((resolve) => {
      const req = http.get(target, { agent, timeout: 5000, headers: { 'user-agent': 'airlock-analysis' } }, (res) => {
        const key = String(res.statusCode ?? 0);
        stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        stats.errors += 1;
        resolve();
      });
    });
    inflight.add(p);
    void p.then(() => inflight.delete(p));
  };
  const timer = rps > 0 ? setInterval(fire, Math.max(1, Math.round(1000 / rps))) : undefined;
  const guard = setTimeout(() => timer && clearInterval(timer), maxMs);
  return {
    async stop() {
      if (timer) clearInterval(timer);
      clearTimeout(guard);
      await Promise.all(inflight);
      agent.destroy();
      return stats;
    },
  };
}
