import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AnalyzeFlagInput } from '../../model/flag-activities';
import { combineVerdicts, judgeVariants, OFF, ON, variantAt, type VariantCounts, type VariantVerdict } from '../../model/flag-rules';
import type { PrometheusClient } from '../monitor/prometheus';
import { MetricsUnavailableError } from '../errors';

// Per-variant analysis of one rollout step: synthetic users (a random user id each) through the router,
// and the service's own counters by flag variant from Prometheus, read before and after the window.

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The service's requests by variant and status code for one flag: raw counters (differenced by the caller). */
export function flagRequestsQuery(service: string, environment: string, flag: string): string {
  return `sum by (variant, code) (flag_requests_total{airlock_service="${esc(service)}",airlock_env="${esc(environment)}",flag="${esc(flag)}"})`;
}

type Counters = Map<string, number>; // `${variant}|${code}` -> count

async function read(prom: PrometheusClient, query: string): Promise<Counters> {
  const out: Counters = new Map();
  for (const s of await prom.vector(query)) out.set(`${s.labels.variant ?? ''}|${s.labels.code ?? ''}`, s.value);
  return out;
}

/** Counts per variant between two readings (a counter that went down: an instance restarted, its new count is the delta). */
export function countsBetween(before: Counters, after: Counters): Record<'on' | 'off', VariantCounts> {
  const counts = { on: { requests: 0, errors: 0, denied: 0 }, off: { requests: 0, errors: 0, denied: 0 } };
  for (const [key, value] of after) {
    const [variant, code] = key.split('|') as [string, string];
    if (variant !== ON && variant !== OFF) continue;
    const prev = before.get(key) ?? 0;
    const delta = value >= prev ? value - prev : value;
    const c = counts[variant];
    c.requests += delta;
    if (/^5/.test(code)) c.errors += delta;
    if (code === '401' || code === '403') c.denied += delta;
  }
  return counts;
}

/** One answer a synthetic user got: its id and the status (0: no answer). */
export interface Answer {
  user: string;
  status: number;
}

/** Synthetic users for `ms`: GET `path` with a fresh x-user-id each (so fractional buckets spread), loopback only. */
function drive(port: number, path: string, rps: number, ms: number, beat: () => void): Promise<Answer[]> {
  if (rps <= 0) return new Promise((r) => setTimeout(() => r([]), ms));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const answers: Answer[] = [];
  let sent = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      sent += 1;
      const user = randomUUID();
      const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { 'x-user-id': user }, timeout: 2000 }, (res) => {
        res.resume();
        res.on('end', () => answers.push({ user, status: res.statusCode ?? 0 }));
      });
      req.on('error', () => answers.push({ user, status: 0 }));
      req.on('timeout', () => req.destroy());
      if (sent % rps === 0) beat();
    }, 1000 / rps);
    setTimeout(() => {
      clearInterval(timer);
      // answers still in flight count once they end (up to the 2 s timeout)
      setTimeout(() => {
        agent.destroy();
        resolve(answers);
      }, 500);
    }, ms);
  });
}

/** What airlock's own users saw, by the variant flagd gives each at `share` (murmur3, as flagd buckets). */
export function observedCounts(flag: string, share: number, answers: readonly Answer[]): Record<'on' | 'off', VariantCounts> {
  const counts = { on: { requests: 0, errors: 0, denied: 0 }, off: { requests: 0, errors: 0, denied: 0 } };
  for (const a of answers) {
    // no answer at all (a timeout on a loaded machine) is nobody's variant: the router answers 5xx for a dead backend
    if (a.status === 0) continue;
    const c = counts[variantAt(flag, a.user, share)];
    c.requests += 1;
    if (a.status >= 500) c.errors += 1;
    if (a.status === 401 || a.status === 403) c.denied += 1;
  }
  return counts;
}

/** How long after the window the second reading waits: two scrapes at Prometheus's 1 s interval. */
const SETTLE_MS = 2500;

export async function analyzeFlag(input: AnalyzeFlagInput, prom: PrometheusClient, beat: (d: unknown) => void): Promise<VariantVerdict> {
  const query = flagRequestsQuery(input.service, input.environment, input.flag);
  let before: Counters;
  try {
    before = await read(prom, query);
  } catch (err) {
    throw new MetricsUnavailableError(`Prometheus: ${(err as Error).message}`);
  }
  const answers = await drive(input.routerPort, input.loadPath.startsWith('/') ? input.loadPath : '/', input.loadRps, input.windowMs, () => beat({ flag: input.flag, phase: 'load' }));
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = await read(prom, query);
  const counts = countsBetween(before, after);
  const reported = judgeVariants(counts.on, counts.off, input.thresholds);
  if (input.share === undefined) return reported;
  const seen = observedCounts(input.flag, input.share, answers);
  return combineVerdicts(reported, judgeVariants(seen.on, seen.off, input.thresholds));
}
