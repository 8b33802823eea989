import { analyzeInputSchema, type CanaryVerdict, type AnalyzeInput, type Measurement } from '../../model/deploy';
import { durationMs } from '../../model/duration';
import type { CanaryAnalysisSettings } from '../../model/manifest';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from '../deploy/deps';
import { DeployProgramError, InvalidInputError } from '../errors';
import { defaultLoad, mainPortRps, startLoad, type LoadRun, type LoadStats, type Observation } from './load';
import type { Reading } from './prometheus';
import { appScrapesQuery, fillTemplate, lastScrapeQuery, latencyQuery, responsesByCodeQuery, routerLatencyQuery, routerSeriesQuery, type MetricScope } from './promql';
import { readRouterCounts } from './router-exporter';
import { quantile } from './stats';
import { MIN_SAMPLES, checkStatus, decide, measure, type CheckEvidence, type PathCounts, type RouterCounts } from './verdict';

/** Shortest PromQL window: with a 1 s scrape interval, three samples. */
export const MIN_WINDOW_SECONDS = 3;
/** A router sample older than this means Prometheus stopped scraping it (a scrape gap): the counts are stale. */
export const STALE_AFTER_SECONDS = 5;
/** How long the baseline waits for a router scrape made after the step began (scrapes are 1 s apart). */
const BASELINE_WAIT_MS = 5_000;
const BASELINE_POLL_MS = 200;
/** How often a check waiting for enough requests looks again. */
const EVIDENCE_POLL_MS = 500;

/**
 * Canary analysis of one step, like Argo Rollouts / Flagger with Prometheus as the provider, made sound:
 * every interval a check reads what the router counted for the candidate and stable since the step's
 * analysis began (exact counts from the counters, not ratios of a few requests), what airlock's own load
 * saw per release (status codes, latency), and the manifest's own PromQL checks; `measure` judges them
 * with statistical tests. A check without enough requests waits for more (bounded by `evidenceWait`, load
 * running) and is inconclusive past that; Prometheus down or a scrape gap is inconclusive too, never a pass.
 * Load goes to the preview port (the candidate alone) at every step, and through the main port (split by
 * weight) so stable has the same requests to compare with.
 */
export function analyzeCanary(deps: ResolvedDeps) {
  return async (input: AnalyzeInput): Promise<CanaryVerdict> => {
    const req = parseWith(analyzeInputSchema, input, 'analyze input');
    // the move is shiftThenAnalyze's (activities/deploy/shift-traffic.ts): here it would be silently skipped
    if (req.shift) throw new InvalidInputError('analyze input', ['shift: the traffic move is made by shiftThenAnalyze (activities/deploy/shift-traffic.ts), not by the analysis alone']);
    const { service, environment, settings } = req;
    const out = await deps.driver.outputs(service, environment);
    const state = out?.state;
    if (!out || !state?.router) throw new DeployProgramError(`${service}/${environment} is not deployed: nothing to analyze`);
    const release = [state.candidate, state.stable].find((r) => r?.releaseId === req.releaseId);
    if (!release) throw new DeployProgramError(`release ${req.releaseId} is not deployed in ${service}/${environment}`);
    const stableId = state.stable && state.stable.releaseId !== req.releaseId ? state.stable.releaseId : null;
    const releaseSpec = [out.spec.candidate, out.spec.stable].find((r) => r?.releaseId === req.releaseId);

    const intervalMs = durationMs(settings.interval);
    const windowS = Math.max(MIN_WINDOW_SECONDS, Math.ceil(intervalMs / 1000));
    const scope = (releaseId: string): MetricScope => ({ service, environment, releaseId });
    const loadPaths = settings.load ?? defaultLoad(releaseSpec?.healthPath ?? '/');
    const urls = req.step > 0 || stableId ? [state.router.previewUrl, state.router.url] : [state.router.previewUrl];
    const evidenceWaitMs = durationMs(settings.evidenceWait);
    const maxMs = settings.checks * intervalMs + evidenceWaitMs + 60_000;
    const rate = (url: string) => (url === state.router!.url ? mainPortRps(settings.loadRps, req.step) : settings.loadRps);
    const loads: LoadRun[] = settings.loadRps > 0 ? urls.map((u) => startLoad(u, rate(u), maxMs, loadPaths)) : [];
    const reader = new EvidenceReader(deps, scope(req.releaseId), stableId ? scope(stableId) : null, settings, windowS, releaseSpec?.metricsPath ? true : false, loads, state.router.metricsUrl);
    const checks: Measurement[][] = [];
    let verdict: ReturnType<typeof decide> | undefined;
    let load: LoadStats[] = [];
    let warmupMs = 0;
    let waitedMs = 0;
    let last: CheckEvidence | undefined;
    const warmupBoundMs = Math.max(10_000, 2 * intervalMs);
    const started = Date.now();
    // The app's targets take Prometheus' discovery throttle (up to 5 s) plus two scrapes to show up; the
    // router, scraped all along, exports the new servers at its next scrape. The baseline needs only the
    // router, so the step starts counting then. The app's own metrics decide nothing but the manifest's
    // custom checks (its histogram is recorded, never believed over the router): with such checks, the
    // app's scrapes are awaited (within the same bound) during the first interval, before the first check.
    let appReady: Promise<number> = Promise.resolve(0);
    try {
      warmupMs = await waitUntil(deps, req.releaseId, () => routerReady(deps, scope(req.releaseId)), warmupBoundMs);
      // a cancelled sleep ends this wait too; the step's own sleep reports the cancellation
      if (releaseSpec?.metricsPath && settings.metrics.length > 0) appReady = waitUntil(deps, req.releaseId, () => appScraped(deps, scope(req.releaseId)), Math.max(0, warmupBoundMs - (Date.now() - started))).catch(() => 0);
      await reader.start(started);
      for (let check = 1; check <= settings.checks && !verdict?.done; check++) {
        await deps.sleep(intervalMs);
        if (check === 1) {
          const t0 = Date.now();
          await appReady;
          warmupMs += Date.now() - t0; // what the app's discovery added beyond the first interval
        }
        let measured = await reader.check(check, req.step);
        // Not enough evidence yet: wait for more (the load keeps running), within the step's budget.
        while (checkStatus(measure(measured, settings)) === 'inconclusive' && waitedMs < evidenceWaitMs) {
          deps.heartbeat({ phase: 'analysis-evidence', releaseId: req.releaseId, step: req.step, check, requests: measured.candidate?.total ?? null });
          const t0 = Date.now();
          await deps.sleep(EVIDENCE_POLL_MS);
          measured = await reader.check(check, req.step);
          waitedMs += Date.now() - t0;
        }
        last = measured;
        checks.push(measure(measured, settings));
        verdict = decide(req.step, checks, settings);
        deps.heartbeat({ phase: 'analysis', releaseId: req.releaseId, step: req.step, check, verdict: verdict.verdict });
        deps.log.info('analysis check', { releaseId: req.releaseId, step: req.step, check, status: checkStatus(checks[checks.length - 1]!), requests: measured.candidate?.total ?? null, stableRequests: measured.stable?.counts?.total ?? null });
      }
    } finally {
      load = await Promise.all(loads.map((l) => l.stop()));
    }
    const { done: _done, ...result } = verdict ?? decide(req.step, checks, settings);
    return {
      ...result,
      ...(last ? { requests: { candidate: last.candidate?.total ?? 0, stable: last.stable ? (last.stable.counts?.total ?? 0) : null } } : {}),
      settings: {
        ...settings,
        windowSeconds: windowS,
        latencySource: 'router',
        stableReleaseId: stableId,
        warmupMs,
        evidenceWaitedMs: waitedMs,
        load: loadPaths,
        loadDefaulted: settings.load === undefined,
      },
      load,
    };
  };
}

/** Reads one check's evidence: router counts since the step began (by difference), airlock's load, custom checks. */
class EvidenceReader {
  /** `direct`: read from the router's exporter, not from Prometheus (see start). */
  private baseline: { candidate: RouterCounts | null; stable: RouterCounts | null; at: number; direct?: boolean } | undefined;

  constructor(
    private readonly deps: ResolvedDeps,
    private readonly candidate: MetricScope,
    private readonly stable: MetricScope | null,
    private readonly settings: CanaryAnalysisSettings,
    private readonly windowS: number,
    private readonly appHistogram: boolean,
    private readonly loads: LoadRun[],
    private readonly metricsUrl?: string,
  ) {}

  /**
   * Takes the baseline: the router's counters now, read from its own exporter (router-exporter.ts), or else
   * those of the first router scrape made after `sinceMs` (the step's start). An older scrape would leave
   * whatever the router answered just before (the runtime security probes' 404s, the previous step's last
   * requests) inside this step's counts: a docs change failed its blue-green check on "client errors" that
   * way. Waiting for that scrape cost ~0.5 s per step (scrapes are 1 s apart); the exporter answers at once.
   * Waits at most BASELINE_WAIT_MS for the scrape; unreadable or never fresh: the baseline is taken at the
   * first check that can, and that check is inconclusive.
   */
  async start(sinceMs: number): Promise<void> {
    const direct = await this.exporterCounts();
    if (direct) {
      this.baseline = { ...direct, at: Date.now(), direct: true };
      return;
    }
    const deadline = Date.now() + BASELINE_WAIT_MS;
    for (;;) {
      const now = await this.rawCounts().catch(() => undefined);
      if (now && !now.problem && now.scrapedAt * 1000 >= sinceMs) {
        this.baseline = { candidate: now.candidate, stable: now.stable, at: Date.now() };
        return;
      }
      if (Date.now() >= deadline) return;
      this.deps.heartbeat({ phase: 'analysis-baseline', releaseId: this.candidate.releaseId });
      await this.deps.sleep(BASELINE_POLL_MS);
    }
  }

  async check(check: number, step: number): Promise<CheckEvidence> {
    const counted = await this.counts();
    const since = this.baseline?.at ?? Number.POSITIVE_INFINITY;
    const seen = this.loads.flatMap((l) => l.observations()).filter((o) => o.at >= since);
    const mine = (id: string | undefined) => seen.filter((o) => o.release === id);
    const candidateSeen = mine(this.candidate.releaseId);
    const stableSeen = this.stable ? mine(this.stable.releaseId) : [];
    const latencies = candidateSeen.map((o) => o.latencyMs);
    const appLatency = this.appHistogram ? latencyQuery(this.candidate, this.windowS, 'app-histogram') : undefined;
    const [routerAverage, app, custom] = await Promise.all([
      this.value(routerLatencyQuery(this.candidate)),
      appLatency ? this.value(appLatency) : Promise.resolve(null),
      Promise.all(
        this.settings.metrics.map(async (c) => {
          const query = fillTemplate(c.query, this.candidate, this.windowS);
          return { check: c, query, reading: await this.read(query) };
        }),
      ),
    ]);
    return {
      check,
      step,
      at: this.deps.now().toISOString(),
      candidate: counted.candidate,
      stable: this.stable ? { counts: counted.stable } : null,
      ...(counted.problem ? { problem: counted.problem } : {}),
      latency: { routerP95: quantile(latencies, 0.95), samples: latencies.length, routerAverage, app, stableP95: stableSeen.length >= MIN_SAMPLES ? quantile(stableSeen.map((o) => o.latencyMs), 0.95) : null },
      auth: { candidate: refusals(candidateSeen), stable: this.stable ? refusals(stableSeen) : null, ...(this.stable ? { byPath: refusalsByPath(candidateSeen, stableSeen) } : {}) },
      custom,
      queries: {
        responses: `${responsesByCodeQuery(this.candidate)} (difference since the step began)`,
        ...(this.stable ? { stableResponses: `${responsesByCodeQuery(this.stable)} (difference since the step began)` } : {}),
        latency: routerLatencyQuery(this.candidate),
        ...(appLatency ? { appLatency } : {}),
      },
      loadOn: this.settings.loadRps > 0,
    };
  }

  /** Counts since the baseline; a counter that went down (router restarted) re-bases and says so. */
  private async counts(): Promise<{ candidate: RouterCounts | null; stable: RouterCounts | null; problem?: string }> {
    let now: Awaited<ReturnType<EvidenceReader['rawCounts']>>;
    try {
      now = await this.rawCounts();
    } catch (err) {
      return { candidate: null, stable: null, problem: (err as Error).message };
    }
    if (now.problem) return { candidate: null, stable: null, problem: now.problem };
    // a baseline read from the exporter is newer than a scrape from before it: that scrape's counts are not this step's yet
    if (this.baseline?.direct && now.scrapedAt * 1000 < this.baseline.at)
      return { candidate: null, stable: null, problem: 'Prometheus has no router scrape made since the step began yet' };
    if (!this.baseline) {
      this.baseline = { candidate: now.candidate, stable: now.stable, at: Date.now() };
      return { candidate: zero(), stable: zero(), problem: 'no baseline until now (Prometheus was unreadable, or had no router scrape newer than the step, when it began)' };
    }
    const candidate = minus(now.candidate, this.baseline.candidate);
    const stable = minus(now.stable, this.baseline.stable);
    if (!candidate || (this.stable && !stable)) {
      this.baseline = { candidate: now.candidate, stable: now.stable, at: Date.now() };
      return { candidate: null, stable: null, problem: 'a router counter went down (router restarted?): counting again from now' };
    }
    return { candidate, stable };
  }

  /**
   * The counters of the candidate and stable straight from the router's exporter, or undefined (no exporter
   * address, unreadable, or a release without servers there): the caller then waits for Prometheus.
   */
  private async exporterCounts(): Promise<{ candidate: RouterCounts; stable: RouterCounts | null } | undefined> {
    if (!this.metricsUrl) return undefined;
    const ids = [this.candidate.releaseId, ...(this.stable ? [this.stable.releaseId] : [])];
    try {
      const read = await readRouterCounts(this.metricsUrl, ids);
      const candidate = read.get(this.candidate.releaseId);
      const stable = this.stable ? read.get(this.stable.releaseId) : null;
      if (!candidate || stable === undefined || (this.stable && !stable)) return undefined;
      return { candidate, stable: stable ?? null };
    } catch (err) {
      this.deps.log.warn('the router exporter could not be read for the baseline: waiting for a Prometheus scrape', { url: this.metricsUrl, error: (err as Error).message });
      return undefined;
    }
  }

  /** Router counters now, and when the oldest of the two series was scraped (Unix seconds; 0 with a problem). */
  private async rawCounts(): Promise<{ candidate: RouterCounts | null; stable: RouterCounts | null; scrapedAt: number; problem?: string }> {
    const p = this.deps.prometheus;
    const nowS = this.deps.now().getTime() / 1000;
    const read = async (scope: MetricScope | null) => {
      if (!scope) return { counts: null, at: Number.POSITIVE_INFINITY };
      const [samples, last] = await Promise.all([p.vector(responsesByCodeQuery(scope)), p.read(lastScrapeQuery(scope))]);
      if (samples.length === 0 || last.value === null) return { counts: null, problem: `no router samples for ${scope.releaseId} (the router is not scraped or has no such server)` };
      if (nowS - last.value > STALE_AFTER_SECONDS) return { counts: null, problem: `scrape gap: the router's newest sample for ${scope.releaseId} is ${Math.round(nowS - last.value)} s old` };
      if (samples.some((s) => !Number.isFinite(s.value))) return { counts: null, problem: `non-finite router counter for ${scope.releaseId}` };
      const by = (code: string) => samples.filter((s) => s.labels.code === code).reduce((t, s) => t + s.value, 0);
      return { counts: { total: samples.reduce((t, s) => t + s.value, 0), failures: by('5xx') + by('other'), clientErrors: by('4xx') }, at: last.value };
    };
    const [c, s] = await Promise.all([read(this.candidate), read(this.stable)]);
    const problem = c.problem ?? s.problem;
    return { candidate: c.counts, stable: s.counts, scrapedAt: problem ? 0 : Math.min(c.at ?? 0, s.at ?? 0), ...(problem ? { problem } : {}) };
  }

  private async read(query: string): Promise<Reading> {
    try {
      return await this.deps.prometheus.read(query);
    } catch (err) {
      return { value: null, problem: `Prometheus unavailable: ${(err as Error).message}` };
    }
  }

  private async value(query: string): Promise<number | null> {
    return (await this.read(query)).value;
  }
}

const zero = (): RouterCounts => ({ total: 0, failures: 0, clientErrors: 0 });

function minus(a: RouterCounts | null, b: RouterCounts | null): RouterCounts | null {
  if (!a) return null;
  const d = { total: a.total - (b?.total ?? 0), failures: a.failures - (b?.failures ?? 0), clientErrors: a.clientErrors - (b?.clientErrors ?? 0) };
  return d.total < 0 || d.failures < 0 || d.clientErrors < 0 ? null : d;
}

const refusals = (seen: Observation[]) => ({ events: seen.filter((o) => o.status === 401 || o.status === 403).length, n: seen.length });

/** The same counts per request path (`GET /api/entries`), for every path either release answered. */
function refusalsByPath(candidate: Observation[], stable: Observation[]): PathCounts[] {
  const paths = [...new Set([...candidate, ...stable].map((o) => o.path))].sort();
  return paths.map((path) => ({ path, candidate: refusals(candidate.filter((o) => o.path === path)), stable: refusals(stable.filter((o) => o.path === path)) }));
}

/** Prometheus has the router's series for the release (> 0 once the router was scraped since the release was added). */
async function routerReady(deps: ResolvedDeps, scope: MetricScope): Promise<boolean> {
  return Boolean(await deps.prometheus.scalar(routerSeriesQuery(scope)));
}

/** Every app target of the release was scraped at least twice (rate needs two samples). */
async function appScraped(deps: ResolvedDeps, scope: MetricScope): Promise<boolean> {
  return ((await deps.prometheus.scalar(appScrapesQuery(scope))) ?? 0) >= 2;
}

/**
 * Waits (bounded) until `ready`: a release deployed a moment ago is not yet discovered (file_sd refresh,
 * the discovery throttle, the scrape interval); judging it then would fail it for "no data". Past the
 * bound the checks run anyway and a release that never shows up is inconclusive. Prometheus down counts
 * as not ready. Returns the milliseconds waited.
 */
async function waitUntil(deps: ResolvedDeps, releaseId: string, ready: () => Promise<boolean>, maxMs: number): Promise<number> {
  const started = Date.now();
  while (!(await ready().catch(() => false)) && Date.now() - started < maxMs) {
    deps.heartbeat({ phase: 'analysis-warmup', releaseId });
    await deps.sleep(250);
  }
  return Date.now() - started;
}
