/**
 * Benchmark of canary analysis on the real stack (HAProxy, Prometheus, Docker), issue 14's targets:
 *   - detection at the first canary step (10%) of a release failing 30% of requests (target >= 95% of runs)
 *   - a good release passes (target >= 95% of runs: no flapping)
 *   - a release that only fails on one API path is caught when `analysis.load` names that path (and, for
 *     contrast, how often the default load of health + `/` misses it)
 *   - time to restore (bad release gets traffic -> stable serves 100% again), target p95 <= 30 s
 * Each analysis run is one step's analysis of the candidate at 10%, with the demo's production settings.
 * Runs: AIRLOCK_BENCH_RUNS (default 20). Run: `npm run bench -- analysis` or `node dist/bench/analysis.js [--json]`.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../activities/shared';
import { deployTargetOf, type CanaryVerdict, type DeployTarget } from '../model/deploy';
import type { CanaryAnalysisSettings } from '../model/manifest';
import { freePort } from '../test/support/ports';
import { demoStack } from './support/demo-stack';
import { report, runBench } from './support/run';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 20);
const RESTORE_RUNS = Math.max(3, Math.round(RUNS / 4));
const ENV = 'production';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const { driver, acts, service, git, repo, build } = demoStack('banalysis', ENV);
  const withFault = async (fault: string) => {
    git.commit(`fault ${fault}`, { 'release.js': `module.exports = { version: ${JSON.stringify(fault)}, fault: ${JSON.stringify(fault)} };\n` });
    return build();
  };
  process.stderr.write(`building ${service}: good, 30% errors, errors on /api/ping only\n`);
  const good = await build();
  const bad = await withFault('errors');
  const apiBad = await withFault('api-errors');

  const manifest = parseManifest(readFileSync(join(repo, 'airlock.yaml'), 'utf8'), 'airlock.yaml');
  const base = deployTargetOf(manifest, ENV);
  const target: DeployTarget = { ...base, settings: { ...base.settings, routerPort: await freePort() } };
  const production = target.settings.analysis;
  const withApiLoad: CanaryAnalysisSettings = { ...production, load: [{ path: '/api/ping', method: 'GET', weight: 3 }, { path: '/', method: 'GET', weight: 1 }] };
  const defaultLoad: CanaryAnalysisSettings = { ...production, load: undefined };
  const ref = (releaseId: string) => ({ releaseId, service, environment: ENV });

  /** Runs `n` analyses of `releaseId` at 10% and tallies the verdicts. */
  const analyses = async (label: string, releaseId: string, image: string, settings: CanaryAnalysisSettings, n: number) => {
    await acts.deployCandidate({ ...ref(releaseId), image, target });
    await acts.shiftTraffic({ ...ref(releaseId), weight: 10 });
    const verdicts: CanaryVerdict[] = [];
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      verdicts.push(await acts.analyze({ ...ref(releaseId), step: 10, settings }));
      ms.push(Date.now() - t0);
      const v = verdicts.at(-1)!;
      process.stderr.write(`  ${label} #${i + 1}: ${v.verdict} in ${ms.at(-1)} ms (requests ${v.requests?.candidate}/${v.requests?.stable})${v.reason ? `: ${v.reason}` : ''}\n`);
    }
    await acts.rollback({ ...ref(releaseId), reason: 'bench' });
    const failed = verdicts.filter((v) => v.verdict === 'fail').length;
    return { runs: n, failed, passed: n - failed, analysisMsP50: quantile(ms, 0.5), reasons: [...new Set(verdicts.filter((v) => v.reason).map((v) => v.reason!.replace(/[\d.]+/g, '#')))] };
  };

  try {
    const first = `${service}-${ENV}-good0`;
    await acts.deployCandidate({ ...ref(first), image: good, target });
    await acts.promote(ref(first));

    const badRelease = await analyses('30% errors', `${service}-${ENV}-bad`, bad, production, RUNS);
    const goodRelease = await analyses('good', `${service}-${ENV}-good1`, good, production, RUNS);
    const apiNamed = await analyses('api errors, load names the path', `${service}-${ENV}-api1`, apiBad, withApiLoad, RUNS);
    const apiDefault = await analyses('api errors, default load', `${service}-${ENV}-api2`, apiBad, defaultLoad, Math.max(3, Math.round(RUNS / 4)));

    // Time to restore: from the shift to 10% to the rollback's traffic back on stable.
    const restore: number[] = [];
    for (let i = 1; i <= RESTORE_RUNS; i++) {
      const id = `${service}-${ENV}-r${i}`;
      await acts.deployCandidate({ ...ref(id), image: bad, target });
      const t0 = Date.now();
      await acts.shiftTraffic({ ...ref(id), weight: 10 });
      const v = await acts.analyze({ ...ref(id), step: 10, settings: production });
      const t1 = Date.now();
      const rb = await acts.rollback({ ...ref(id), reason: v.reason ?? 'bench' });
      restore.push(t1 - t0 + rb.trafficRestoredMs);
      process.stderr.write(`  restore #${i}: ${restore.at(-1)} ms (${v.verdict})\n`);
    }

    const rate = (x: number, n: number) => Number((x / n).toFixed(3));
    const result = {
      machine: `${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      settings: production,
      detectionAtFirstStep: { ...badRelease, rate: rate(badRelease.failed, badRelease.runs) },
      goodReleasePasses: { ...goodRelease, rate: rate(goodRelease.passed, goodRelease.runs) },
      pathOnlyFailureCaughtWithLoadPaths: { ...apiNamed, rate: rate(apiNamed.failed, apiNamed.runs) },
      pathOnlyFailureCaughtWithDefaultLoad: { ...apiDefault, rate: rate(apiDefault.failed, apiDefault.runs) },
      timeToRestoreMs: { runs: restore.length, p50: quantile(restore, 0.5), p95: quantile(restore, 0.95) },
      targets: { detection: 0.95, goodPasses: 0.95, pathCaught: 0.95, timeToRestoreP95Ms: 30_000 },
    };
    const ok = result.detectionAtFirstStep.rate >= 0.95 && result.goodReleasePasses.rate >= 0.95 && result.pathOnlyFailureCaughtWithLoadPaths.rate >= 0.95 && result.timeToRestoreMs.p95 <= 30_000;
    report(result, ok, [
      `canary analysis benchmark (${result.machine}; first step 10%, interval ${production.interval}, ${production.checks} checks, failureLimit ${production.failureLimit}, minRequests ${production.minRequests}, ${production.loadRps} rps)`,
      `  30% errors caught at the first step     ${badRelease.failed}/${badRelease.runs} = ${result.detectionAtFirstStep.rate} (target >= 0.95), analysis p50 ${badRelease.analysisMsP50} ms`,
      `  good release passes                     ${goodRelease.passed}/${goodRelease.runs} = ${result.goodReleasePasses.rate} (target >= 0.95), analysis p50 ${goodRelease.analysisMsP50} ms`,
      `  /api/ping errors, load names the path   ${apiNamed.failed}/${apiNamed.runs} = ${result.pathOnlyFailureCaughtWithLoadPaths.rate} (target >= 0.95)`,
      `  /api/ping errors, default load          ${apiDefault.failed}/${apiDefault.runs} = ${result.pathOnlyFailureCaughtWithDefaultLoad.rate} (for contrast: health + / miss it)`,
      `  time to restore                         p50 ${result.timeToRestoreMs.p50} ms, p95 ${result.timeToRestoreMs.p95} ms (target p95 <= 30000)`,
      ...(goodRelease.reasons.length ? [`  good release failed because: ${goodRelease.reasons.join(' | ')}`] : []),
    ]);
  } finally {
    await driver.destroy(service, ENV).catch(() => undefined);
    git.remove();
  }
}

runBench(main);
