import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { analyzeCanary } from '../../activities/monitor/canary-analysis';
import type { ResolvedDeps } from '../../activities/deploy/deps';
import type { PrometheusClient, Sample } from '../../activities/monitor/prometheus';
import type { StackOutputs } from '../../infra/deploy/program';
import { canaryAnalysisSchema } from '../../model/manifest';

/**
 * The step's warm-up: the router is scraped all along and shows a new release's servers at once, the
 * app's own targets wait for Prometheus' discovery (up to 5 s) and two scrapes. Counting must start when
 * the router has the release, and the first check must still wait for the app's metrics.
 */
describe('canary analysis warm-up', () => {
  const APP_READY_MS = 1500;

  /**
   * `scrapeLagMs`: the router's newest sample is from before the step began for that long; `before5xx`:
   * failures the router answered just before the step (in the field: the runtime security probes' 404s),
   * in the counters from the first scrape after the step began on.
   */
  function fakes({ scrapeLagMs = 0, before5xx = 0, metricsUrl = undefined as string | undefined } = {}) {
    const t0 = Date.now();
    const calls: { query: string; at: number }[] = [];
    let requests = 0;
    const fresh = () => Date.now() - t0 >= scrapeLagMs;
    const prometheus: PrometheusClient = {
      async scalar(query) {
        calls.push({ query, at: Date.now() - t0 });
        if (query.startsWith('count(haproxy_server_http_responses_total')) return 2; // router: ready at once
        if (query.includes('count_over_time(up')) return Date.now() - t0 >= APP_READY_MS ? 2 : 0;
        return null;
      },
      async read(query) {
        calls.push({ query, at: Date.now() - t0 });
        if (query.startsWith('max(timestamp(')) return { value: fresh() ? Date.now() / 1000 : (t0 - 300) / 1000 };
        if (query.includes('http_request_duration_seconds_bucket') || query.includes('app_queue_depth')) return Date.now() - t0 >= APP_READY_MS ? { value: 12 } : { value: null, problem: 'no data' };
        return { value: 5 };
      },
      async vector(query): Promise<Sample[]> {
        calls.push({ query, at: Date.now() - t0 });
        requests += 100;
        const at = Date.now() / 1000;
        return [{ labels: { code: '2xx' }, value: requests, at }, { labels: { code: '5xx' }, value: fresh() ? before5xx : 0, at }];
      },
    };
    const outputs = {
      spec: { candidate: { releaseId: 'shop-abc', healthPath: '/healthz', metricsPath: '/metrics' }, stable: null },
      state: { router: { url: 'http://127.0.0.1:1', previewUrl: 'http://127.0.0.1:2', ...(metricsUrl ? { metricsUrl } : {}) }, candidate: { releaseId: 'shop-abc' }, stable: null },
    } as unknown as StackOutputs;
    const deps = {
      prometheus,
      driver: { outputs: async () => outputs },
      heartbeat: () => undefined,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      log: { info: () => undefined, warn: () => undefined },
      now: () => new Date(),
    } as unknown as ResolvedDeps;
    return { deps, calls, requests: () => requests };
  }

  /** The router's exporter: what the router counted up to now (the failures from before the step included). */
  async function exporter(counted: () => { ok: number; failures: number }): Promise<{ url: string; server: Server; reads: () => number }> {
    let reads = 0;
    const server = createServer((_req, res) => {
      reads++;
      const c = counted();
      res.end(
        [
          `haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="2xx"} ${c.ok}`,
          `haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="5xx"} ${c.failures}`,
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server, reads: () => reads };
  }

  const input = (settings: Record<string, unknown>) => ({ service: 'shop', environment: 'prod', releaseId: 'shop-abc', step: 10, settings: canaryAnalysisSchema.parse({ interval: '1s', checks: 1, loadRps: 0, minRequests: 1, evidenceWait: '0s', ...settings }) });
  const counts = (calls: { query: string; at: number }[]) => calls.filter((c) => c.query.startsWith('sum by (code)'));

  it('with a custom check: takes the baseline as soon as the router has the release, reads the first check after the app was scraped twice', async () => {
    const { deps, calls } = fakes();
    const verdict = await analyzeCanary(deps)(input({ metrics: [{ name: 'queue', query: 'max(app_queue_depth{release="{{release}}"})', max: 100 }] }));

    const vectors = counts(calls);
    expect(vectors.length).toBeGreaterThanOrEqual(2);
    // baseline: right after the router answered, not after the app's discovery
    expect(vectors[0]!.at).toBeLessThan(500);
    // the first check: after the interval, and not before the app's metrics were there
    expect(vectors[1]!.at).toBeGreaterThanOrEqual(APP_READY_MS);
    const appReads = calls.filter((c) => c.query.includes('app_queue_depth'));
    expect(appReads.length).toBeGreaterThan(0);
    expect(appReads.every((c) => c.at >= APP_READY_MS)).toBe(true);
    // the step waited ~0.5 s for the app beyond its 1 s interval, and says so
    expect(verdict.settings?.warmupMs).toBeGreaterThanOrEqual(250);
    expect(verdict.settings?.warmupMs).toBeLessThan(1400);
    expect(verdict.verdict).toBe('pass');
  });

  it('without custom checks the app is not waited for: the first check reads one interval after the baseline', async () => {
    const { deps, calls } = fakes();
    const verdict = await analyzeCanary(deps)(input({}));
    const vectors = counts(calls);
    expect(vectors[0]!.at).toBeLessThan(500);
    expect(vectors[1]!.at).toBeLessThan(APP_READY_MS);
    expect(verdict.settings?.warmupMs).toBeLessThan(250);
    expect(verdict.verdict).toBe('pass');
  });

  it('takes the baseline from a router scrape made after the step began: answers from just before are not counted', async () => {
    const { deps, calls } = fakes({ scrapeLagMs: 700, before5xx: 30 });
    const verdict = await analyzeCanary(deps)(input({}));
    // the baseline is the last read before the first check: after the fresh scrape
    const reads = counts(calls);
    expect(reads.at(-2)!.at).toBeGreaterThanOrEqual(700);
    // with the stale scrape as the baseline the 30 failures from before the step were this step's
    const success = verdict.measurements.find((x) => x.metric === 'success-rate');
    expect(success?.value).toBe(1);
    expect(verdict.verdict).toBe('pass');
  });

  it("takes the baseline from the router's exporter at once: no wait for a scrape, answers from before the step not counted", async () => {
    let state: ReturnType<typeof fakes> | undefined;
    const ex = await exporter(() => ({ ok: state!.requests(), failures: 30 }));
    try {
      state = fakes({ scrapeLagMs: 700, before5xx: 30, metricsUrl: ex.url });
      const verdict = await analyzeCanary(state.deps)(input({}));
      expect(ex.reads()).toBe(1);
      const reads = counts(state.calls);
      // no Prometheus read for the baseline: the first is the first check, one interval after the start
      expect(reads).toHaveLength(1);
      expect(reads[0]!.at).toBeGreaterThanOrEqual(1000);
      expect(reads[0]!.at).toBeLessThan(1500);
      expect(verdict.measurements.find((x) => x.metric === 'success-rate')?.value).toBe(1);
      expect(verdict.verdict).toBe('pass');
    } finally {
      await new Promise((r) => ex.server.close(r));
    }
  });

  it('with the baseline from the exporter, a Prometheus scrape older than it is not this step: inconclusive, never a re-based pass', async () => {
    const ex = await exporter(() => ({ ok: 1000, failures: 0 }));
    try {
      const { deps } = fakes({ scrapeLagMs: 60_000, metricsUrl: ex.url });
      const verdict = await analyzeCanary(deps)(input({}));
      expect(verdict.verdict).not.toBe('pass');
      expect(JSON.stringify(verdict.measurements)).toContain('no router scrape made since the step began');
    } finally {
      await new Promise((r) => ex.server.close(r));
    }
  });

  it('an exporter that cannot be read leaves the baseline to Prometheus (the first scrape after the step began)', async () => {
    const { deps, calls } = fakes({ scrapeLagMs: 700, before5xx: 30, metricsUrl: 'http://127.0.0.1:1/metrics' });
    const verdict = await analyzeCanary(deps)(input({}));
    expect(counts(calls).at(-2)!.at).toBeGreaterThanOrEqual(700);
    expect(verdict.measurements.find((x) => x.metric === 'success-rate')?.value).toBe(1);
    expect(verdict.verdict).toBe('pass');
  });

  it('a router never scraped since the step began leaves the check without a baseline: inconclusive, never a pass', async () => {
    const { deps } = fakes({ scrapeLagMs: 60_000 });
    const verdict = await analyzeCanary(deps)(input({}));
    expect(verdict.verdict).not.toBe('pass');
  }, 20_000);
});
