/**
 * Benchmark of the build and scan stages on the real engine, registry and Trivy (fixture DB):
 *   - rebuild after a code-only change, with a warm layer cache (target <= 10 s)
 *   - rescan of an unchanged digest (served from the scan cache; target <= 3 s)
 *   - scan of a new build (Trivy itself, its layer cache warm), for reference
 * p50 over N runs (default 10; AIRLOCK_BENCH_RUNS). Run: `node dist/bench/build-scan.js [--json]`.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../activities/build/build-image';
import { silentLogger } from '../activities/shared';
import { trivyBinary } from '../activities/scan';
import { scanImage } from '../activities/scan/scan-image';
import { dockerClient } from '../infra/local/probes';
import { projectRoot } from '../infra/local/tools';
import { pinned } from '../model/build';
import { loadConfig } from '../infra/config';
import { TempRepo } from '../test/support/git-repo';
import { report, runBench } from './support/run';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 10);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const stats = (xs: number[]) => ({ runs: xs.length, p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), min: Math.min(...xs), max: Math.max(...xs) });

async function main(): Promise<void> {
  const config = loadConfig();
  const docker = dockerClient(config);
  const trivy = trivyBinary(config);
  const git = TempRepo.create('airlock-bench-', { email: 'bench@airlock.invalid', name: 'bench' });
  const repo = git.dir;
  const service = `bench-${Date.now().toString(36)}`;
  cpSync(join(projectRoot(), 'test', 'fixtures', 'services', 'clean'), repo, { recursive: true });
  writeFileSync(join(repo, 'airlock.yaml'), readFileSync(join(repo, 'airlock.yaml'), 'utf8').replace(/^service: .*$/m, `service: ${service}`));
  git.commit('v0');
  const deps = { docker, registry: config.registry, log: silentLogger };
  const build = () => buildImage(deps, { repo, serviceDir: '', commit: 'HEAD' });
  const scan = (image: string) => scanImage({ config, trivy, log: silentLogger }, { image });
  const timed = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
    const t = performance.now();
    const r = await fn();
    return [performance.now() - t, r];
  };

  process.stderr.write(`warm-up: first build and scan of ${service}\n`);
  const [firstBuildMs, first] = await timed(build);
  const [firstScanMs] = await timed(() => scan(pinned(first.image, first.digest)));

  const rebuild: number[] = [];
  const newScan: number[] = [];
  let last = first;
  for (let i = 1; i <= RUNS; i++) {
    git.commit(`v${i}`, { 'src/version.js': `module.exports = { version: 'bench-${i}' };\n` });
    const [ms, r] = await timed(build);
    if (r.reused) throw new Error('a code change was not rebuilt');
    rebuild.push(ms);
    const [sms, s] = await timed(() => scan(pinned(r.image, r.digest)));
    if (s.cached) throw new Error('a new digest was served from the scan cache');
    newScan.push(sms);
    last = r;
    process.stderr.write(`  run ${i}: rebuild ${Math.round(ms)} ms, scan of the new digest ${Math.round(sms)} ms\n`);
  }
  const rescan: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [ms, s] = await timed(() => scan(pinned(last.image, last.digest)));
    if (!s.cached) throw new Error('an unchanged digest was scanned again');
    rescan.push(ms);
  }
  git.remove();
  for (const image of await docker.listImages())
    for (const tag of image.RepoTags ?? []) if (tag.startsWith(`${config.registry}/${service}:`)) await docker.getImage(tag).remove().catch(() => undefined);

  const result = {
    machine: `${cpus().length} cores`,
    firstBuildMs: Math.round(firstBuildMs),
    firstScanMs: Math.round(firstScanMs),
    rebuildAfterCodeChangeMs: stats(rebuild.map(Math.round)),
    rescanUnchangedDigestMs: stats(rescan.map((x) => Math.round(x * 10) / 10)),
    scanOfNewBuildMs: stats(newScan.map(Math.round)),
    targets: { rebuildP50Ms: 10_000, rescanP50Ms: 3_000 },
  };
  const ok = result.rebuildAfterCodeChangeMs.p50 <= 10_000 && result.rescanUnchangedDigestMs.p50 <= 3_000;
  report(result, ok, [
    `build-scan benchmark (${RUNS} runs, ${result.machine})`,
    `  rebuild after a code-only change (warm layer cache): p50 ${result.rebuildAfterCodeChangeMs.p50} ms  p90 ${result.rebuildAfterCodeChangeMs.p90} ms  (target <= 10000)`,
    `  rescan of an unchanged digest (scan cache):          p50 ${result.rescanUnchangedDigestMs.p50} ms  p90 ${result.rescanUnchangedDigestMs.p90} ms  (target <= 3000)`,
    `  scan of a new build (Trivy, warm layer cache):        p50 ${result.scanOfNewBuildMs.p50} ms  p90 ${result.scanOfNewBuildMs.p90} ms`,
    `  first build ${result.firstBuildMs} ms, first scan ${result.firstScanMs} ms`,
  ]);
}

runBench(main);
