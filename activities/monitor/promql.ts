/**
 * PromQL of canary analysis. Router metrics come from HAProxy's exporter (per server; a release's
 * servers are `<releaseId>-<n>`, in the `app` and `preview` backends); latency percentiles from the
 * app's own `http_request_duration_seconds` histogram when it exposes metrics, since HAProxy 2.6 has no
 * latency histograms (only an average over the last 1024 requests, used when the app has none).
 */
export interface MetricScope {
  service: string;
  environment: string;
  releaseId: string;
}

export type LatencySource = 'app-histogram' | 'router-average';

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
/** RE2 escaping for a literal inside a regex matcher (release ids are slugs, but be safe). */
const reLiteral = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');

function routerSelector(scope: MetricScope, extra = ''): string {
  return `airlock_service="${esc(scope.service)}",airlock_env="${esc(scope.environment)}",airlock_role="router",proxy=~"app|preview",server=~"${reLiteral(scope.releaseId)}-[0-9]+"${extra}`;
}

/** PromQL range of a window in whole seconds. */
export const range = (windowSeconds: number): string => `${Math.max(1, Math.round(windowSeconds))}s`;

/** Requests per second the release's servers answered over the window. */
export function requestRateQuery(scope: MetricScope, windowSeconds: number): string {
  return `sum(rate(haproxy_server_http_responses_total{${routerSelector(scope)}}[${range(windowSeconds)}]))`;
}

/** Share of the release's responses that were not 5xx (nor `other`), 0..1; NaN (no data) without requests. */
export function successRateQuery(scope: MetricScope, windowSeconds: number): string {
  const w = range(windowSeconds);
  return (
    `sum(rate(haproxy_server_http_responses_total{${routerSelector(scope, ',code=~"1xx|2xx|3xx|4xx"')}}[${w}]))` +
    ` / sum(rate(haproxy_server_http_responses_total{${routerSelector(scope)}}[${w}]))`
  );
}

/** p95 latency in milliseconds (app histogram), or the router's average response time (no histogram). */
export function latencyQuery(scope: MetricScope, windowSeconds: number, source: LatencySource): string {
  if (source === 'router-average') {
    return `max(haproxy_server_response_time_average_seconds{${routerSelector(scope)}}) * 1000`;
  }
  const sel = `airlock_service="${esc(scope.service)}",airlock_env="${esc(scope.environment)}",airlock_release="${esc(scope.releaseId)}"`;
  return `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[${range(windowSeconds)}]))) * 1000`;
}

/** Series the router exports for the release (> 0 once Prometheus has scraped the router since the release was added). */
export function routerSeriesQuery(scope: MetricScope): string {
  return `count(haproxy_server_http_responses_total{${routerSelector(scope)}})`;
}

/** Fewest scrapes of any of the release's app targets over the last 10 s (rate needs two). */
export function appScrapesQuery(scope: MetricScope): string {
  return `min(count_over_time(up{airlock_service="${esc(scope.service)}",airlock_env="${esc(scope.environment)}",airlock_release="${esc(scope.releaseId)}"}[10s]))`;
}

/** The release's responses so far, by class (`1xx`..`5xx`, `other`): raw counters, differenced by the caller. */
export function responsesByCodeQuery(scope: MetricScope): string {
  return `sum by (code) (haproxy_server_http_responses_total{${routerSelector(scope)}})`;
}

/** Unix time of the newest router sample for the release: an old one means Prometheus stopped scraping it. */
export function lastScrapeQuery(scope: MetricScope): string {
  return `max(timestamp(haproxy_server_http_responses_total{${routerSelector(scope)}}))`;
}

/** The router's average response time of the release's servers (last 1024 requests), in milliseconds. */
export function routerLatencyQuery(scope: MetricScope): string {
  return latencyQuery(scope, 1, 'router-average');
}

/** PromQL string-literal escaping: what a `{{placeholder}}` inside "..." may contain without ending the string. */
const literal = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * A manifest check's PromQL with `{{service}}`, `{{env}}`, `{{release}}` (escaped for use inside a quoted
 * label value) and `{{window}}` (a range such as `5s`) filled in. Unknown placeholders are an error.
 */
export function fillTemplate(query: string, scope: MetricScope, windowSeconds: number): string {
  const values: Record<string, string> = { service: literal(scope.service), env: literal(scope.environment), release: literal(scope.releaseId), window: range(windowSeconds) };
  return query.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (all, name: string) => {
    const v = values[name];
    if (v === undefined) throw new RangeError(`unknown placeholder ${all} (known: {{service}}, {{env}}, {{release}}, {{window}})`);
    return v;
  });
}
