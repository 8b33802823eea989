import { decide, describeFailure, measure, type CheckReading } from '../../activities/monitor/verdict';
import { appScrapesQuery, latencyQuery, requestRateQuery, routerSeriesQuery, successRateQuery } from '../../activities/monitor/promql';
import { canaryAnalysisSchema } from '../../model/manifest';

const settings = canaryAnalysisSchema.parse({ interval: '2s', checks: 3, failureLimit: 2 });
const reading = (check: number, sr: number | null, lat: number | null, stableSr: number | null = 1): CheckReading => ({
  check,
  step: 10,
  at: `2026-01-01T00:00:0${check}.000Z`,
  candidate: { successRate: sr, latencyMs: lat },
  stable: { successRate: stableSr, latencyMs: 5 },
  queries: { successRate: 'q-sr', latency: 'q-lat', stableSuccessRate: 'q-ssr' },
  latencySource: 'app-histogram',
});

describe('measure', () => {
  it('checks success rate, p95 latency and the drop against stable, recording values and queries', () => {
    const m = measure(reading(1, 0.7, 812.3456), settings);
    expect(m).toEqual([
      { metric: 'success-rate', step: 10, check: 1, at: '2026-01-01T00:00:01.000Z', value: 0.7, threshold: 0.99, stableValue: 1, passed: false, query: 'q-sr' },
      { metric: 'latency-p95-ms', step: 10, check: 1, at: '2026-01-01T00:00:01.000Z', value: 812.3, threshold: 500, stableValue: 5, passed: false, query: 'q-lat' },
      { metric: 'success-rate-drop', step: 10, check: 1, at: '2026-01-01T00:00:01.000Z', value: 0.3, threshold: 0.02, stableValue: 1, passed: false, query: 'q-ssr' },
    ]);
  });

  it('fails on no data, and skips the stable comparison when stable had no traffic', () => {
    const m = measure(reading(1, null, null, null), settings);
    expect(m.map((x) => x.passed)).toEqual([false, false, true]);
    expect(m[2]).toMatchObject({ value: null, stableValue: null });
  });

  it('names router latency an average (HAProxy has no histogram)', () => {
    expect(measure({ ...reading(1, 1, 3), latencySource: 'router-average' }, settings)[1]!.metric).toBe('latency-avg-ms');
  });

  it('has no drop measurement without a stable release (first deploy, blue-green without one)', () => {
    expect(measure({ ...reading(1, 1, 3), stable: null }, settings).map((x) => x.metric)).toEqual(['success-rate', 'latency-p95-ms']);
  });
});

describe('decide', () => {
  const good = (n: number) => measure(reading(n, 1, 20), settings);
  const bad = (n: number) => measure(reading(n, 0.7, 20), settings);

  it('passes after every planned check', () => {
    expect(decide(10, [good(1), good(2)], settings)).toMatchObject({ verdict: 'pass', done: false });
    expect(decide(10, [good(1), good(2), good(3)], settings)).toMatchObject({ verdict: 'pass', done: true, checks: 3, failedChecks: 0 });
  });

  it('fails as soon as failureLimit checks failed, naming the metric and its value', () => {
    expect(decide(10, [bad(1)], settings)).toMatchObject({ verdict: 'pass', done: false, failedChecks: 1 });
    const v = decide(10, [bad(1), good(2), bad(3)], settings);
    expect(v).toMatchObject({ verdict: 'fail', done: true, checks: 3, failedChecks: 2 });
    expect(v.reason).toBe('success-rate 0.7 < 0.99; success-rate-drop 0.3 > 0.02 (stable 1) (check 3 of 3, 2 failed, limit 2)');
    expect(v.measurements).toHaveLength(9);
  });

  it('with failureLimit 1, the first bad check decides', () => {
    expect(decide(10, [bad(1)], { ...settings, failureLimit: 1 })).toMatchObject({ verdict: 'fail', done: true });
  });

  it('describes no data with the query that found none', () => {
    expect(describeFailure(measure(reading(1, null, 3), settings)[0]!)).toBe('success-rate: no data (query: q-sr)');
  });
});

describe('PromQL', () => {
  const scope = { service: 'demo', environment: 'prod', releaseId: 'demo-prod-abc123' };

  it('selects the release servers of the environment router in both backends', () => {
    const q = successRateQuery(scope, 3);
    expect(q).toBe(
      'sum(rate(haproxy_server_http_responses_total{airlock_service="demo",airlock_env="prod",airlock_role="router",proxy=~"app|preview",server=~"demo-prod-abc123-[0-9]+",code=~"1xx|2xx|3xx|4xx"}[3s]))' +
        ' / sum(rate(haproxy_server_http_responses_total{airlock_service="demo",airlock_env="prod",airlock_role="router",proxy=~"app|preview",server=~"demo-prod-abc123-[0-9]+"}[3s]))',
    );
    expect(requestRateQuery(scope, 5)).toContain('[5s]');
  });

  it('reads p95 from the app histogram, or the router average', () => {
    expect(latencyQuery(scope, 4, 'app-histogram')).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{airlock_service="demo",airlock_env="prod",airlock_release="demo-prod-abc123"}[4s]))) * 1000',
    );
    expect(latencyQuery(scope, 4, 'router-average')).toMatch(/^max\(haproxy_server_response_time_average_seconds\{.*\}\) \* 1000$/);
  });

  it('asks whether Prometheus sees the release yet (router series, two app scrapes)', () => {
    expect(routerSeriesQuery(scope)).toMatch(/^count\(haproxy_server_http_responses_total\{.*server=~"demo-prod-abc123-\[0-9\]\+"\}\)$/);
    expect(appScrapesQuery(scope)).toBe('min(count_over_time(up{airlock_service="demo",airlock_env="prod",airlock_release="demo-prod-abc123"}[10s]))');
  });

  it('escapes quotes and regex characters', () => {
    expect(successRateQuery({ ...scope, service: 'a"b', releaseId: 'r.1' }, 3)).toContain('airlock_service="a\\"b"');
    expect(successRateQuery({ ...scope, releaseId: 'r.1' }, 3)).toContain('server=~"r\\\\.1-[0-9]+"');
  });
});

// found by test/unit/fuzz-prometheus.test.ts: impossible readings passed the checks
describe('measure: impossible readings are no data', () => {
  it('a success rate above 1 or below 0, or a negative latency, never passes', () => {
    const m = measure(reading(1, 2, -5, 1), settings);
    expect(m.map((x) => [x.metric, x.value, x.passed])).toEqual([
      ['success-rate', null, false],
      ['latency-p95-ms', null, false],
      ['success-rate-drop', null, false],
    ]);
    expect(describeFailure(m[0]!)).toBe('success-rate: no data (query: q-sr)');
  });
});
