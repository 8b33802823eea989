import { analyzeInputSchema, type CanaryVerdict, type AnalyzeInput, type Measurement } from '../../model/deploy';
import { durationMs } from '../../model/duration';
import { parseWith } from '../../model/parse';
import type { ResolvedDeps } from '../deploy/deps';
import { DeployProgramError } from '../errors';
import { startLoad, type LoadRun, type LoadStats } from './load';
import { appScrapesQuery, latencyQuery, routerSeriesQuery, successRateQuery, type LatencySource, type MetricScope } from './promql';
import { decide, measure, type CheckReading } from './verdict';

/** Shortest PromQL window: with a 1 s scrape interval, three samples. */
export const MIN_WINDOW_SECONDS = 3;

/**
 * Canary analysis of one step, like Argo Rollouts / Flagger with Prometheus as the provider: every
 * interval, read the candidate's success rate and latency (and the stable release's over the same
 * window), compare with the manifest's thresholds, and fail as soon as `failureLimit` checks failed.
 * Drives synthetic load through the router meanwhile (`loadRps`): at step 0 (blue-green) through the
 * preview port, which reaches the candidate alone. Every measurement is in the verdict.
 */
export function analyzeCanary(deps: ResolvedDeps) {
  return async (input: AnalyzeInput): Promise<CanaryVerdict> => {
    const req = parseWith(analyzeInputSchema, input, 'analyze input');
    const { service, environment, settings } = req;
    const out = await deps.driver.outputs(service, environment);
    const state = out?.state;
    if (!out || !state?.router) throw new DeployProgramError(`${service}/${environment} is not deployed: nothing to analyze`);
    const release = [state.candidate, state.stable].find((r) => r?.releaseId === req.releaseId);
    if (!release) throw new DeployProgramError(`release ${req.releaseId} is not deployed in ${service}/${environment}`);
    const stableId = state.stable && state.stable.releaseId !== req.releaseId ? state.stable.releaseId : null;
    const releaseSpec = [out.spec.candidate, out.spec.stable].find((r) => r?.releaseId === req.releaseId);
    const latencySource: LatencySource = releaseSpec?.metricsPath ? 'app-histogram' : 'router-average';

    const intervalMs = durationMs(settings.interval);
    const windowS = Math.max(MIN_WINDOW_SECONDS, Math.ceil(intervalMs / 1000));
    const scope = (releaseId: string): MetricScope => ({ service, environment, releaseId });
    const queries = {
      successRate: successRateQuery(scope(req.releaseId), windowS),
      latency: latencyQuery(scope(req.releaseId), windowS, latencySource),
      stableSuccessRate: stableId ? successRateQuery(scope(stableId), windowS) : undefined,
      stableLatency: stableId ? latencyQuery(scope(stableId), windowS, latencySource) : undefined,
    };

    const urls = req.step > 0 ? [state.router.url] : [state.router.previewUrl, ...(stableId ? [state.router.url] : [])];
    const maxMs = settings.checks * intervalMs + 30_000;
    const loads: LoadRun[] = settings.loadRps > 0 ? urls.map((u) => startLoad(u, settings.loadRps, maxMs)) : [];
    const checks: Measurement[][] = [];
    let verdict: ReturnType<typeof decide> | undefined;
    let load: LoadStats[] = [];
    let warmupMs = 0;
    try {
      warmupMs = await waitForMetrics(deps, scope(req.releaseId), latencySource, Math.max(10_000, 2 * intervalMs));
      for (let check = 1; check <= settings.checks && !verdict?.done; check++) {
        await deps.sleep(intervalMs);
        const p = deps.prometheus;
        const [sr, lat, ssr, slat] = await Promise.all([
          p.scalar(queries.successRate),
          p.scalar(queries.latency),
          queries.stableSuccessRate ? p.scalar(queries.stableSuccessRate) : null,
          queries.stableLatency ? p.scalar(queries.stableLatency) : null,
        ]);
        const reading: CheckReading = {
          check,
          step: req.step,
          at: deps.now().toISOString(),
          candidate: { successRate: sr, latencyMs: lat },
          stable: stableId ? { successRate: ssr, latencyMs: slat } : null,
          queries: { successRate: queries.successRate, latency: queries.latency, stableSuccessRate: queries.stableSuccessRate },
          latencySource,
        };
        checks.push(measure(reading, settings));
        verdict = decide(req.step, checks, settings);
        deps.heartbeat({ phase: 'analysis', releaseId: req.releaseId, step: req.step, check, verdict: verdict.verdict });
        deps.log.info('analysis check', { releaseId: req.releaseId, step: req.step, check, successRate: sr, latencyMs: lat, stableSuccessRate: ssr });
      }
    } finally {
      load = await Promise.all(loads.map((l) => l.stop()));
    }
    const { done: _done, ...result } = verdict ?? decide(req.step, checks, settings);
    return { ...result, settings: { ...settings, windowSeconds: windowS, latencySource, stableReleaseId: stableId, warmupMs }, load };
  };
}

/**
 * Waits (bounded) until Prometheus sees the release: the router exports its servers and, when the app has
 * metrics, its targets were scraped twice. A release deployed a moment ago is not yet discovered
 * (file_sd refresh + scrape interval); judging it then would fail it for "no data". Past the bound the
 * checks run anyway and a release that never shows up fails on no data. Returns the time waited.
 */
async function waitForMetrics(deps: ResolvedDeps, scope: MetricScope, source: LatencySource, maxMs: number): Promise<number> {
  const started = Date.now();
  const ready = async () => {
    const router = await deps.prometheus.scalar(routerSeriesQuery(scope));
    if (!router) return false;
    if (source !== 'app-histogram') return true;
    return ((await deps.prometheus.scalar(appScrapesQuery(scope))) ?? 0) >= 2;
  };
  while (!(await ready()) && Date.now() - started < maxMs) {
    deps.heartbeat({ phase: 'analysis-warmup', releaseId: scope.releaseId });
    await deps.sleep(250);
  }
  return Date.now() - started;
}
