import type { RouterCounts } from './verdict';

/**
 * The router's response counters read straight from its Prometheus exporter (HAProxy's
 * `/metrics`, the `metricsUrl` of the stack's router state), the same counters Prometheus scrapes every
 * second. Canary analysis takes a step's baseline from here: the counts at the moment the step begins,
 * instead of waiting up to a scrape interval for Prometheus to have a sample newer than that moment.
 * The checks keep reading Prometheus (the numbers are the same counters, later).
 *
 * The exporter is the router's (HAProxy's own counters), not the candidate's: a release on the router's
 * network can read it, never write it, and the counts it can move (by sending requests) are the ones
 * Prometheus reads too, so reading it here trusts nothing new. The runtime API, which can change the router,
 * is a unix socket on the host (docs/security.md). The answer is still bounded (size, time) and parsed
 * strictly: anything unexpected is an error and the caller falls back to Prometheus.
 */

const METRIC = 'haproxy_server_http_responses_total';
/** The backends a release's servers are in (promql.ts routerSelector). */
const PROXIES = new Set(['app', 'preview']);
const MAX_BYTES = 16 * 1024 * 1024;

/** One sample line of the text exposition format: name, labels, value (an optional timestamp after it). */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
/** One label pair; values are quoted with \\, \" and \n escapes. */
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function labelsOf(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m) throw new Error(`line ${line}: labels not in the exposition format at character ${at + 1}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (m[3] === '') break;
  }
  return labels;
}

/**
 * The response counts of each release in `releaseIds` (servers `<releaseId>-<n>` in the app and preview
 * backends, as promql.ts selects them), summed over its servers; null for a release the exporter has no
 * server of. Throws on anything that is not the exposition format.
 */
export function parseRouterCounts(text: string, releaseIds: readonly string[]): Map<string, RouterCounts | null> {
  const counts = new Map<string, RouterCounts | null>(releaseIds.map((id) => [id, null]));
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line.startsWith(METRIC)) continue;
    const m = SAMPLE.exec(line);
    if (!m || m[1] !== METRIC) continue; // another metric whose name starts the same
    const labels = labelsOf(m[2] ?? '', i + 1);
    const value = Number(m[3]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`line ${i + 1}: ${METRIC} has the value ${m[3]}, not a count`);
    if (!labels.proxy || !PROXIES.has(labels.proxy) || !labels.server) continue;
    const release = releaseIds.find((id) => labels.server!.startsWith(`${id}-`) && /^[0-9]+$/.test(labels.server!.slice(id.length + 1)));
    if (!release) continue;
    const c = counts.get(release) ?? { total: 0, failures: 0, clientErrors: 0 };
    c.total += value;
    if (labels.code === '5xx' || labels.code === 'other') c.failures += value;
    if (labels.code === '4xx') c.clientErrors += value;
    counts.set(release, c);
  }
  return counts;
}

/** Reads the exporter at `metricsUrl` (bounded: 2 s, 16 MiB) and returns parseRouterCounts of its answer. */
export async function readRouterCounts(metricsUrl: string, releaseIds: readonly string[], timeoutMs = 2_000): Promise<Map<string, RouterCounts | null>> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`router exporter ${metricsUrl} answered ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_BYTES) throw new Error(`router exporter ${metricsUrl} answered ${declared} bytes, more than ${MAX_BYTES}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_BYTES) throw new Error(`router exporter ${metricsUrl} answered ${body.length} bytes, more than ${MAX_BYTES}`);
  return parseRouterCounts(body.toString('utf8'), releaseIds);
}
