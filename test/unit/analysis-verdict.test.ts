import { checkStatus, decide, describeFailure, measure, type CheckEvidence } from '../../activities/monitor/verdict';
import { EXACT_TEST_LIMIT, binomialAtLeast, fisherGreater, fisherTwoSided, quantile } from '../../activities/monitor/stats';
import { appScrapesQuery, fillTemplate, lastScrapeQuery, latencyQuery, requestRateQuery, responsesByCodeQuery, routerSeriesQuery, successRateQuery } from '../../activities/monitor/promql';
import { canaryAnalysisSchema, customCheckSchema } from '../../model/manifest';

const settings = canaryAnalysisSchema.parse({ interval: '2s', checks: 3, failureLimit: 2 });

/** One check's evidence: `failures` of `total` candidate requests, stable clean with 90 requests. */
function evidence(check: number, total: number, failures: number, over: Partial<CheckEvidence> = {}): CheckEvidence {
  return {
    check,
    step: 10,
    at: `2026-01-01T00:00:0${check}.000Z`,
    candidate: { total, failures, clientErrors: 0 },
    stable: { counts: { total: 90, failures: 0, clientErrors: 0 } },
    latency: { routerP95: 12, samples: total, routerAverage: 10, app: null, stableP95: 11 },
    auth: { candidate: { events: 0, n: total }, stable: { events: 0, n: 80 } },
    custom: [],
    queries: { responses: 'q-resp', stableResponses: 'q-stable', latency: 'q-lat' },
    loadOn: true,
    ...over,
  };
}
const byMetric = (ms: ReturnType<typeof measure>) => Object.fromEntries(ms.map((x) => [x.metric, x]));

describe('statistics over counts', () => {
  it('binomial: a 30% failure rate in 60 requests is far above 1%; one failure in 60 is not', () => {
    expect(binomialAtLeast(18, 60, 0.01)).toBeLessThan(1e-12);
    expect(binomialAtLeast(1, 60, 0.01)).toBeGreaterThan(0.4);
    expect(binomialAtLeast(0, 60, 0.01)).toBe(1);
    expect(binomialAtLeast(1, 10, 0)).toBe(0); // minSuccessRate 1: any failure is too many
  });

  it("Fisher's exact test (the lady tasting tea: 3/4 vs 1/4)", () => {
    expect(fisherGreater({ events: 3, n: 4 }, { events: 1, n: 4 })).toBeCloseTo(0.2429, 4);
    expect(fisherTwoSided({ events: 3, n: 4 }, { events: 1, n: 4 })).toBeCloseTo(0.4857, 4);
    expect(fisherTwoSided({ events: 0, n: 60 }, { events: 0, n: 80 })).toBe(1);
    expect(fisherGreater({ events: 1, n: 0 }, { events: 0, n: 5 })).toBe(1);
  });

  it('above EXACT_TEST_LIMIT requests the normal approximation answers, close to the exact test, and huge counts do not throw', () => {
    // just under the limit (exact) and just over it (approximation): the same table scaled
    const exact = fisherTwoSided({ events: 520, n: 50_000 }, { events: 450, n: 49_000 });
    const approx = fisherTwoSided({ events: 1061, n: 102_000 }, { events: 918, n: 100_000 });
    expect(50_000 + 49_000).toBeLessThanOrEqual(EXACT_TEST_LIMIT);
    expect(102_000 + 100_000).toBeGreaterThan(EXACT_TEST_LIMIT);
    expect(Math.abs(fisherTwoSided({ events: 10_300, n: 1_000_000 }, { events: 10_000, n: 1_000_000 }) - 0.0338)).toBeLessThan(0.005);
    expect(exact).toBeGreaterThan(0.05);
    expect(approx).toBeGreaterThan(0.001);
    expect(fisherGreater({ events: 20_000, n: 1_000_000 }, { events: 10_000, n: 1_000_000 })).toBeLessThan(1e-100);
    expect(fisherGreater({ events: 10_000, n: 1_000_000 }, { events: 20_000, n: 1_000_000 })).toBeCloseTo(1, 10);
    for (const [c, s] of [
      [{ events: 4497528051549390, n: 4502799791331372 }, { events: 0, n: 1e308 }],
      [{ events: 0, n: 1e9 }, { events: 0, n: 1e9 }],
      [{ events: 1e9, n: 1e9 }, { events: 1e9, n: 1e9 }],
    ] as const) {
      for (const p of [fisherTwoSided(c, s), fisherGreater(c, s)]) expect(p >= 0 && p <= 1).toBe(true);
    }
  });

  it('nearest-rank quantile', () => {
    expect(quantile([5, 1, 3, 2, 4], 0.95)).toBe(5);
    expect(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.95)).toBe(95);
    expect(quantile([], 0.95)).toBeNull();
  });
});

describe('measure', () => {
  it('a release failing 30% of 60 requests fails success rate and the comparison, with counts and p-values', () => {
    const m = byMetric(measure(evidence(1, 60, 18), settings));
    expect(m['requests']).toMatchObject({ status: 'pass', value: 60, threshold: 50 });
    expect(m['success-rate']).toMatchObject({ status: 'fail', passed: false, value: 0.7, counts: { candidate: [18, 60] } });
    expect(m['success-rate']!.pValue).toBeLessThan(0.001);
    expect(m['success-rate-drop']).toMatchObject({ status: 'fail', value: 0.3, stableValue: 1, counts: { candidate: [18, 60], stable: [0, 90] } });
    expect(describeFailure(m['success-rate']!)).toMatch(/^success-rate 0\.7 < 0\.99 \(18\/60 failed, p=/);
  });

  it('a clean release with enough requests passes every measurement', () => {
    const ms = measure(evidence(1, 60, 0), settings);
    expect(ms.map((x) => x.metric)).toEqual(['requests', 'success-rate', 'success-rate-drop', 'client-error-change', 'auth-refusal-change', 'latency-p95-ms']);
    expect(ms.every((x) => x.status === 'pass' && x.passed)).toBe(true);
    expect(checkStatus(ms)).toBe('pass');
  });

  it('one error in 60 is not evidence of a rate above 1% (no flapping)', () => {
    expect(checkStatus(measure(evidence(1, 60, 1), settings))).toBe('pass');
  });

  it('too few requests: what would pass is inconclusive, never a pass', () => {
    const ms = measure(evidence(1, 4, 0), settings);
    const m = byMetric(ms);
    expect(m['requests']).toMatchObject({ status: 'inconclusive', passed: false, value: 4, note: 'only 4 requests (minRequests 50)' });
    expect(m['success-rate']).toMatchObject({ status: 'inconclusive', value: 1 });
    expect(checkStatus(ms)).toBe('inconclusive');
  });

  it('too few requests but every one failed: a failure needs no more evidence', () => {
    expect(byMetric(measure(evidence(1, 10, 10), settings))['success-rate']).toMatchObject({ status: 'fail' });
  });

  it('Prometheus unreadable: inconclusive, naming why', () => {
    const ms = measure(evidence(1, 0, 0, { candidate: null, stable: { counts: null }, problem: 'Prometheus at http://x did not answer' }), settings);
    expect(checkStatus(ms)).toBe('inconclusive');
    expect(byMetric(ms)['success-rate']).toMatchObject({ status: 'inconclusive', value: null, note: 'Prometheus at http://x did not answer' });
    expect(describeFailure(ms[0]!)).toBe('requests: inconclusive, Prometheus at http://x did not answer');
  });

  it('at 100% stable gets no traffic: the comparisons are skipped, the absolute checks decide', () => {
    const e = evidence(1, 60, 0, { step: 100, stable: { counts: { total: 0, failures: 0, clientErrors: 0 } }, auth: { candidate: { events: 0, n: 60 }, stable: { events: 0, n: 0 } } });
    const m = byMetric(measure(e, settings));
    expect(m['success-rate-drop']).toMatchObject({ status: 'skipped', passed: true, note: 'stable gets no traffic at 100%' });
    expect(m['auth-refusal-change']).toMatchObject({ status: 'skipped' });
    expect(checkStatus(Object.values(m))).toBe('pass');
  });

  it('stable with too few requests below 100% is inconclusive', () => {
    const m = byMetric(measure(evidence(1, 60, 0, { stable: { counts: { total: 5, failures: 0, clientErrors: 0 } } }), settings));
    expect(m['success-rate-drop']).toMatchObject({ status: 'inconclusive', note: 'stable answered only 5 requests (minRequests 50)' });
  });

  it('a 401 storm fails the auth comparison; so does a release that stops refusing', () => {
    const storm = byMetric(measure(evidence(1, 60, 0, { auth: { candidate: { events: 60, n: 60 }, stable: { events: 0, n: 80 } } }), settings));
    expect(storm['auth-refusal-change']).toMatchObject({ status: 'fail', value: 1, counts: { candidate: [60, 60], stable: [0, 80] } });
    expect(describeFailure(storm['auth-refusal-change']!)).toMatch(/^auth-refusal-change \+1 beyond 0\.05 either way/);
    const open = byMetric(measure(evidence(1, 60, 0, { auth: { candidate: { events: 0, n: 60 }, stable: { events: 40, n: 80 } } }), settings));
    expect(open['auth-refusal-change']).toMatchObject({ status: 'fail', value: -0.5 });
  });

  // The demo's false rollback: at 50% the router sent every GET /api/entries of the check (8, all 401) to
  // stable; the releases answered each path alike, so the totals compared different mixes of requests.
  const demoMix = {
    candidate: { events: 8, n: 74 },
    stable: { events: 8, n: 25 },
    byPath: [
      { path: 'GET /', candidate: { events: 0, n: 37 }, stable: { events: 0, n: 8 } },
      { path: 'GET /api/entries', candidate: { events: 8, n: 8 }, stable: { events: 8, n: 8 } },
      { path: 'GET /api/ping', candidate: { events: 0, n: 15 }, stable: { events: 0, n: 4 } },
      { path: 'GET /healthz', candidate: { events: 0, n: 14 }, stable: { events: 0, n: 5 } },
    ],
  };

  it('the auth comparison goes path by path: a skewed mix of requests is no change', () => {
    const pooled = byMetric(measure(evidence(1, 74, 0, { step: 50, auth: { candidate: demoMix.candidate, stable: demoMix.stable } }), settings));
    expect(pooled['auth-refusal-change']).toMatchObject({ status: 'fail' }); // what the totals alone said
    const m = byMetric(measure(evidence(1, 74, 0, { step: 50, auth: demoMix }), settings))['auth-refusal-change']!;
    expect(m).toMatchObject({ status: 'pass', value: 0, counts: { candidate: [8, 74], stable: [8, 25] }, note: 'compared path by path (4 paths)' });
  });

  it('path by path, a release that refuses a request stable answers fails, naming the path', () => {
    const byPath = demoMix.byPath.map((x) => (x.path === 'GET /' ? { ...x, candidate: { events: 37, n: 37 } } : x));
    const m = byMetric(measure(evidence(1, 74, 0, { step: 50, auth: { ...demoMix, candidate: { events: 45, n: 74 }, byPath } }), settings))['auth-refusal-change']!;
    expect(m).toMatchObject({ status: 'fail', value: 1, counts: { candidate: [37, 37], stable: [0, 8] } });
    expect(m.note).toMatch(/^on GET \/ \(compared path by path, 4 paths, alpha 0.0125 each\)/);
    expect(describeFailure(m)).toMatch(/^auth-refusal-change \+1 beyond 0\.05 either way on GET \/ \(candidate 37\/37, stable 0\/8, p=/);
    // and one that stops refusing: the protected path answers 200 to requests without a token
    const open = demoMix.byPath.map((x) => (x.path === 'GET /api/entries' ? { ...x, candidate: { events: 0, n: 8 } } : x));
    expect(byMetric(measure(evidence(1, 74, 0, { step: 50, auth: { ...demoMix, candidate: { events: 0, n: 74 }, byPath: open } }), settings))['auth-refusal-change']).toMatchObject({ status: 'fail', value: -1 });
  });

  it('path by path, a difference within chance on each path is no failure (Bonferroni over the paths)', () => {
    const byPath = [
      { path: 'GET /a', candidate: { events: 3, n: 30 }, stable: { events: 0, n: 30 } },
      { path: 'GET /b', candidate: { events: 0, n: 30 }, stable: { events: 3, n: 30 } },
    ];
    const m = byMetric(measure(evidence(1, 60, 0, { auth: { candidate: { events: 3, n: 60 }, stable: { events: 3, n: 60 }, byPath } }), settings))['auth-refusal-change']!;
    expect(m.status).toBe('pass');
    const none = byMetric(measure(evidence(1, 60, 0, { auth: { candidate: { events: 0, n: 60 }, stable: { events: 0, n: 60 }, byPath: [{ path: 'GET /a', candidate: { events: 0, n: 60 }, stable: { events: 0, n: 0 } }] } }), settings));
    expect(none['auth-refusal-change']).toMatchObject({ status: 'inconclusive', note: 'no request path answered by both releases' });
  });

  it('a shift in the 4xx share fails the client-error comparison', () => {
    const m = byMetric(measure(evidence(1, 60, 0, { candidate: { total: 60, failures: 0, clientErrors: 30 } }), settings));
    expect(m['client-error-change']).toMatchObject({ status: 'fail', value: 0.5 });
  });

  it('without synthetic load the auth comparison is skipped, saying why', () => {
    expect(byMetric(measure(evidence(1, 60, 0, { loadOn: false }), settings))['auth-refusal-change']).toMatchObject({ status: 'skipped', note: 'needs airlock synthetic load (loadRps is 0)' });
  });

  it('latency: the router-side p95 decides even when the release reports itself faster', () => {
    const m = byMetric(measure(evidence(1, 60, 0, { latency: { routerP95: 812.34, samples: 60, routerAverage: 700, app: 20, stableP95: 10 } }), settings));
    expect(m['latency-p95-ms']).toMatchObject({ status: 'fail', value: 812.3, stableValue: 10 });
    expect(m['latency-p95-ms']!.note).toMatch(/own histogram says 20 ms; the router-side value decides/);
    const few = byMetric(measure(evidence(1, 60, 0, { latency: { routerP95: 5, samples: 3, routerAverage: 9, app: null, stableP95: null } }), settings));
    expect(few['latency-avg-ms']).toMatchObject({ status: 'pass', value: 9, query: 'q-lat' });
    const none = byMetric(measure(evidence(1, 60, 0, { latency: { routerP95: null, samples: 0, routerAverage: null, app: 3, stableP95: null } }), settings));
    expect(none['latency-avg-ms']).toMatchObject({ status: 'inconclusive', note: 'no latency data' });
  });

  it('latency over the limit while stable, measured at the same time, is as slow: the host is slow, not the release', () => {
    const slowHost = byMetric(measure(evidence(1, 60, 0, { latency: { routerP95: 680, samples: 60, routerAverage: 20, app: 15, stableP95: 640 } }), settings));
    expect(slowHost['latency-p95-ms']).toMatchObject({ status: 'pass', value: 680, stableValue: 640 });
    expect(slowHost['latency-p95-ms']!.note).toMatch(/^above 500 ms, but stable measured at the same time is as slow \(p95 640 ms\)/);
    const slower = byMetric(measure(evidence(1, 60, 0, { latency: { routerP95: 2000, samples: 60, routerAverage: 900, app: 15, stableP95: 640 } }), settings));
    expect(slower['latency-p95-ms']).toMatchObject({ status: 'fail' });
    const alone = byMetric(measure(evidence(1, 60, 0, { latency: { routerP95: 680, samples: 60, routerAverage: 20, app: 15, stableP95: null } }), settings));
    expect(alone['latency-p95-ms']).toMatchObject({ status: 'fail' });
  });

  it('custom checks: bounds, NaN and no data', () => {
    const check = (over: object) => customCheckSchema.parse({ name: 'queue', query: 'q', max: 5, ...over });
    const custom = [
      { check: check({}), query: 'q1', reading: { value: 3 } },
      { check: check({ name: 'low', max: undefined, min: 10 }), query: 'q2', reading: { value: 3 } },
      { check: check({ name: 'nan' }), query: 'q3', reading: { value: null, problem: 'NaN' } },
      { check: check({ name: 'rare', failOnNoData: false }), query: 'q4', reading: { value: null, problem: 'no data' } },
    ];
    const m = byMetric(measure(evidence(1, 60, 0, { custom }), settings));
    expect(m['custom:queue']).toMatchObject({ status: 'pass', value: 3, threshold: 5, query: 'q1' });
    expect(m['custom:low']).toMatchObject({ status: 'fail', threshold: 10 });
    expect(describeFailure(m['custom:low']!)).toBe('custom:low 3 < 10 (query: q2)');
    expect(m['custom:nan']).toMatchObject({ status: 'inconclusive', note: 'NaN' });
    expect(m['custom:rare']).toMatchObject({ status: 'skipped', note: 'no data (failOnNoData: false)' });
  });
});

describe('decide', () => {
  const good = (n: number) => measure(evidence(n, 60, 0), settings);
  const bad = (n: number) => measure(evidence(n, 60, 18), settings);
  const thin = (n: number) => measure(evidence(n, 4, 0), settings);

  it('passes after every planned check', () => {
    expect(decide(10, [good(1), good(2)], settings)).toMatchObject({ verdict: 'pass', done: false });
    expect(decide(10, [good(1), good(2), good(3)], settings)).toMatchObject({ verdict: 'pass', done: true, checks: 3, failedChecks: 0, inconclusiveChecks: 0 });
  });

  it('fails as soon as failureLimit checks did not pass, naming the measurements', () => {
    expect(decide(10, [bad(1)], settings)).toMatchObject({ verdict: 'pass', done: false, failedChecks: 1 });
    const v = decide(10, [bad(1), good(2), thin(3)], settings);
    expect(v).toMatchObject({ verdict: 'fail', done: true, checks: 3, failedChecks: 1, inconclusiveChecks: 1 });
    expect(v.reason).toMatch(/^requests: inconclusive, only 4 requests \(minRequests 50\); .* \(check 3 of 3, 1 failed, 1 inconclusive, limit 2\)$/);
  });

  it('with failureLimit 1, the first bad check decides', () => {
    const v = decide(10, [bad(1)], { ...settings, failureLimit: 1 });
    expect(v).toMatchObject({ verdict: 'fail', done: true });
    expect(v.reason).toContain('success-rate 0.7 < 0.99');
  });

  it('inconclusive checks alone never promote, whatever the failure limit', () => {
    const v = decide(10, [thin(1), thin(2), thin(3)], { checks: 3, failureLimit: 10 });
    expect(v).toMatchObject({ verdict: 'fail', done: true, inconclusiveChecks: 3 });
    expect(v.reason).toMatch(/^no check passed: .*\(inconclusive checks never promote\)$/);
  });
});

describe('manifest analysis settings', () => {
  it('custom checks need exactly one bound and known placeholders', () => {
    expect(customCheckSchema.safeParse({ name: 'a', query: 'q' }).success).toBe(false);
    expect(customCheckSchema.safeParse({ name: 'a', query: 'q', max: 1, min: 0 }).success).toBe(false);
    const bad = canaryAnalysisSchema.safeParse({ metrics: [{ name: 'a', query: 'x{a="{{secret}}"}', max: 1 }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('placeholders are {{service}} {{env}} {{release}} {{window}}');
  });

  it('load paths are HTTP paths with a method and weight', () => {
    expect(canaryAnalysisSchema.parse({ load: [{ path: '/api/entries', weight: 3 }] }).load).toEqual([{ path: '/api/entries', method: 'GET', weight: 3 }]);
    expect(canaryAnalysisSchema.safeParse({ load: [{ path: 'api' }] }).success).toBe(false);
    expect(canaryAnalysisSchema.safeParse({ load: [] }).success).toBe(false);
  });

  it('defaults: 50 requests, 95% confidence, 30 s of evidence wait', () => {
    expect(canaryAnalysisSchema.parse({})).toMatchObject({ minRequests: 50, confidence: 0.95, evidenceWait: '30s', metrics: [] });
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

  it('counts responses by class, and when the router was last scraped', () => {
    expect(responsesByCodeQuery(scope)).toMatch(/^sum by \(code\) \(haproxy_server_http_responses_total\{.*server=~"demo-prod-abc123-\[0-9\]\+"\}\)$/);
    expect(lastScrapeQuery(scope)).toMatch(/^max\(timestamp\(haproxy_server_http_responses_total\{/);
  });

  it('fills a manifest check, escaping values for a quoted label', () => {
    expect(fillTemplate('rate(x{s="{{service}}",e="{{ env }}",r="{{release}}"}[{{window}}])', { ...scope, service: 'a"b\\c' }, 4)).toBe('rate(x{s="a\\"b\\\\c",e="prod",r="demo-prod-abc123"}[4s])');
    expect(() => fillTemplate('{{nope}}', scope, 4)).toThrow(/unknown placeholder \{\{nope\}\}/);
  });

  it('escapes quotes and regex characters', () => {
    expect(successRateQuery({ ...scope, service: 'a"b', releaseId: 'r.1' }, 3)).toContain('airlock_service="a\\"b"');
    expect(successRateQuery({ ...scope, releaseId: 'r.1' }, 3)).toContain('server=~"r\\\\.1-[0-9]+"');
  });
});

// found by test/unit/fuzz-prometheus.test.ts: impossible readings passed the checks
describe('measure: impossible readings are no data', () => {
  it('more failures than requests, or a negative latency, never passes', () => {
    const m = byMetric(measure(evidence(1, 60, 70, { latency: { routerP95: null, samples: 0, routerAverage: -5, app: -1, stableP95: null } }), settings));
    expect(m['success-rate']).toMatchObject({ status: 'inconclusive', value: null });
    expect(m['latency-avg-ms']).toMatchObject({ status: 'inconclusive', value: null, note: 'no latency data' });
  });
});
