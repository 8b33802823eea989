import { canaryAnalysisSchema } from '../model/manifest';
/**
 * Benchmark of deploy, canary analysis and rollback on the real stack (Docker, HAProxy, Prometheus, Pulumi):
 *   - time to restore: from the router giving the bad release (30% errors) traffic at the first canary step
 *     to the router giving the stable release 100% again, read from HAProxy's runtime API every 20 ms
 *     (target p95 <= 30 s; Flagger's default is interval x threshold = minutes); also counted from the
 *     start of the shift activity, and as a client probing every 25 ms saw it
 *   - promote time of a good release (drain, then destroy the old one)
 *   - Pulumi `up` of an unchanged stack (target p50 <= 4 s)
 * p50/p95 over N runs (default 10; AIRLOCK_BENCH_RUNS). Run: `node dist/bench/deploy.js [--json]`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../activities/shared';
import { parseAdminAddress, showServers } from '../infra/haproxy/runtime-api';
import { deployTargetOf, type DeployTarget } from '../model/deploy';
import { freePort } from '../test/support/ports';
import { demoStack } from './support/demo-stack';
import { report, runBench } from './support/run';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 10);
const ENV = 'production';
const ANALYSIS = canaryAnalysisSchema.parse({ interval: '2s', checks: 2, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20 });

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}
const stats = (xs: number[]) => ({ runs: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), min: Math.min(...xs), max: Math.max(...xs) });

/** Watches what the router serves (every 25 ms): which server (X-Airlock-Server, set by the router) answered when. */
function watchRouter(url: string) {
  const seen: { at: number; server: string; status: number }[] = [];
  const agent = new http.Agent({ keepAlive: false });
  const timer = setInterval(() => {
    const at = Date.now();
    http
      .get(url, { agent, timeout: 3000 }, (res) => {
        seen.push({ at, server: String(res.headers['x-airlock-server'] ?? ''), status: res.statusCode ?? 0 });
        res.resume();
      })
      .on('error', () => seen.push({ at, server: '', status: 0 }));
  }, 25);
  return {
    stop: async () => {
      clearInterval(timer);
      await new Promise((r) => setTimeout(r, 500));
      agent.destroy();
      return seen;
    },
  };
}

/** Polls the router's runtime API (every 20 ms): when the bad release's servers got user traffic weight, and lost it. */
function watchWeights(adminAddress: string, releaseId: string) {
  const admin = parseAdminAddress(adminAddress);
  let on: number | undefined;
  let off: number | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        const weight = (await showServers(admin))
          .filter((s) => s.backend === 'app' && s.name.startsWith(`${releaseId}-`))
          .reduce((sum, s) => sum + s.weight, 0);
        if (weight > 0 && on === undefined) on = at;
        if (weight === 0 && on !== undefined && off === undefined) off = at;
      } catch {
        /* router busy: next poll */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { on, off };
    },
  };
}

async function main(): Promise<void> {
  // The demo service in a git repository: a good commit, then one that turns 30% of requests into 500s.
  const { driver, acts, service, git, repo, build } = demoStack('bdeploy', ENV);
  process.stderr.write(`building ${service}: a good and a bad release\n`);
  const good = await build();
  git.commit('bad: 30% errors', { 'release.js': git.read('release.js').replace("fault: 'none'", "fault: 'errors'") });
  const bad = await build();

  const manifest = parseManifest(readFileSync(join(repo, 'airlock.yaml'), 'utf8'), 'airlock.yaml');
  const base = deployTargetOf(manifest, ENV);
  const target: DeployTarget = { ...base, settings: { ...base.settings, routerPort: await freePort(), analysis: ANALYSIS } };
  const ref = (releaseId: string) => ({ releaseId, service, environment: ENV });

  const restore: number[] = [];
  const restoreObserved: number[] = [];
  const restoreFromShift: number[] = [];
  const promoteMs: number[] = [];
  let errorsSeen = 0;
  let badAnswers = 0;
  const breakdown: { shift: number; analysis: number; rollbackToStable: number }[] = [];
  try {
    const first = `${service}-${ENV}-good0`;
    const d = await acts.deployCandidate({ ...ref(first), image: good, target });
    await acts.promote(ref(first));
    const url = d.router.url;

    for (let i = 1; i <= RUNS; i++) {
      // Time to restore: the bad release takes its first canary step, analysis fails, rollback.
      const badId = `${service}-${ENV}-bad${i}`;
      await acts.deployCandidate({ ...ref(badId), image: bad, target });
      const watcher = watchRouter(url);
      const weights = watchWeights(d.router.adminAddress, badId);
      const t0 = Date.now();
      await acts.shiftTraffic({ ...ref(badId), weight: 10 });
      const t1 = Date.now();
      const verdict = await acts.analyze({ ...ref(badId), step: 10, settings: ANALYSIS });
      if (verdict.verdict !== 'fail') throw new Error(`run ${i}: the bad release passed analysis: ${JSON.stringify(verdict)}`);
      const t2 = Date.now();
      const rb = await acts.rollback({ ...ref(badId), reason: verdict.reason });
      const restored = t2 + rb.trafficRestoredMs;
      const seen = await watcher.stop();
      const { on, off } = await weights.stop();
      if (on === undefined || off === undefined) throw new Error(`run ${i}: the router never gave the bad release traffic (${on}) or never took it back (${off})`);
      const fromBad = seen.filter((s) => s.server.startsWith(`${badId}-`));
      restore.push(off - on);
      restoreFromShift.push(restored - t0);
      // As a client saw it: from the first to the last answer of the bad release's servers.
      if (fromBad.length) restoreObserved.push(fromBad[fromBad.length - 1]!.at - fromBad[0]!.at);
      errorsSeen += seen.filter((s) => s.status >= 500).length;
      badAnswers += fromBad.length;
      breakdown.push({ shift: t1 - on, analysis: t2 - t1, rollbackToStable: off - t2 });

      // Promote time of a good release after its traffic moved to it.
      const goodId = `${service}-${ENV}-good${i}`;
      await acts.deployCandidate({ ...ref(goodId), image: good, target });
      await acts.shiftTraffic({ ...ref(goodId), weight: 100 });
      const tp = Date.now();
      await acts.promote(ref(goodId));
      promoteMs.push(Date.now() - tp);
      process.stderr.write(
        `  run ${i}: restore ${off - on} ms (router weight on -> off; shift finished +${t1 - on}, analysis ${t2 - t1}, back to stable ${off - t2}; from the shift's start ${restored - t0}; a client saw the bad release for ${restoreObserved.at(-1) ?? '-'} ms), promote ${promoteMs.at(-1)} ms\n`,
      );
    }

    // Pulumi up of the unchanged stack.
    const noop: number[] = [];
    const spec = (await driver.outputs(service, ENV))!.spec;
    for (let i = 0; i < RUNS; i++) {
      const r = await driver.up(spec);
      if (Object.keys(r.changes).some((k) => k !== 'same')) throw new Error(`a no-op up changed something: ${JSON.stringify(r.changes)}`);
      noop.push(r.durationMs);
    }

    const result = {
      machine: `${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      settings: { analysis: ANALYSIS, steps: [10], replicas: target.settings.replicas ?? target.run.replicas, prometheusScrape: '1s' },
      timeToRestoreMs: stats(restore),
      fromShiftStartMs: stats(restoreFromShift),
      badReleaseSeenByClientMs: restoreObserved.length ? stats(restoreObserved) : null,
      client: { answersFromBadRelease: badAnswers, errorsSeen },
      restoreBreakdownP50Ms: {
        shiftFinishing: quantile(breakdown.map((b) => b.shift), 0.5),
        analysis: quantile(breakdown.map((b) => b.analysis), 0.5),
        rollbackToStable: quantile(breakdown.map((b) => b.rollbackToStable), 0.5),
      },
      promoteMs: stats(promoteMs),
      pulumiNoopUpMs: stats(noop),
      targets: { timeToRestoreP95Ms: 30_000, pulumiNoopUpP50Ms: 4_000 },
    };
    const ok = result.timeToRestoreMs.p95 <= 30_000 && result.pulumiNoopUpMs.p50 <= 4_000;
    const line = (name: string, s: ReturnType<typeof stats>, target = '') =>
      `  ${name.padEnd(44)} p50 ${String(s.p50).padStart(6)} ms  p95 ${String(s.p95).padStart(6)} ms  (min ${s.min}, max ${s.max})${target}`;
    report(result, ok, [
      `deploy benchmark (${RUNS} runs, ${result.machine}; analysis every ${ANALYSIS.interval}, ${ANALYSIS.checks} checks, failureLimit ${ANALYSIS.failureLimit}, ${ANALYSIS.loadRps} rps synthetic load, first canary step 10%, ${result.settings.replicas} replicas)`,
      line('time to restore (bad gets traffic -> stable 100%)', result.timeToRestoreMs, '  target p95 <= 30000'),
      line('  counted from the start of the shift activity', result.fromShiftStartMs),
      ...(result.badReleaseSeenByClientMs ? [line('  as a client saw it (first..last bad answer)', result.badReleaseSeenByClientMs)] : []),
      `    client probe every 25 ms: ${badAnswers} answers from the bad release, ${errorsSeen} errors in all runs`,
      `    p50 breakdown: shift update finishing ${result.restoreBreakdownP50Ms.shiftFinishing} ms, analysis ${result.restoreBreakdownP50Ms.analysis} ms, rollback to stable ${result.restoreBreakdownP50Ms.rollbackToStable} ms`,
      line('promote of a good release (drain + destroy)', result.promoteMs),
      line('pulumi up, no change', result.pulumiNoopUpMs, '  target p50 <= 4000'),
    ]);
  } finally {
    await driver.destroy(service, ENV).catch((err: unknown) => process.stderr.write(`cleanup: ${(err as Error).message}\n`));
    git.remove();
  }
}

runBench(main);
