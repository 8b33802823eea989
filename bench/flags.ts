/**
 * Flag kill switch time (issue 18, target <= 2 s): from `airlock flag kill` starting to every running
 * instance of the environment serving `off` to a user who was on. The demo service with OpenFeature's flagd
 * provider (in-process, file source) is deployed by a pipeline in an E2eWorld; each run turns the flag on
 * (`flag rollout --steps 25,50,100`) and kills it. Baseline in the same run: the same flag file written
 * directly (no CLI, no Temporal), i.e. what the provider's file watching alone costs.
 * Run: node dist/bench/flags.js [--json]  (after npm run build; needs the local stack and the OpenFeature
 * packages in airlock's node_modules, or AIRLOCK_VENDOR_FROM=<node_modules dir>).
 */
import http from 'node:http';
import { flagsDirOf, kill, setShare } from '../activities/flags/store';
import { LABELS } from '../infra/deploy/labels';
import { dockerClient } from '../infra/local/probes';
import { E2eWorld, SERVICE } from '../test/support/e2e-world';
import { report, runBench } from './support/run';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 3);
const BUDGET_MS = 2000;
const FLAG = 'new-greeting';

function get(port: number, user: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { 'x-user-id': user }, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', () => resolve(''));
  });
}

async function until(ports: number[], on: boolean, started: number): Promise<number> {
  for (;;) {
    const bodies = await Promise.all(ports.map((p) => get(p, 'bench-user')));
    if (bodies.every((b) => b.includes('new greeting') === on)) return Date.now() - started;
    if (Date.now() - started > 30_000) throw new Error(`instances not ${on ? 'on' : 'off'} after 30 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const world = await E2eWorld.create({ name: 'benchflags', vendor: process.env.AIRLOCK_VENDOR_FROM ?? true });
  try {
    const docker = dockerClient(world.config);
    const list = await docker.listContainers({ filters: { label: [`${LABELS.env}=${world.environment}`, `${LABELS.role}=release`] } });
    const ports = list.flatMap((c) => c.Ports.filter((p) => p.IP === '127.0.0.1' && p.PublicPort).map((p) => p.PublicPort));
    const kills: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const on = await world.cliAsync(['flag', 'rollout', SERVICE, FLAG, '--env', world.environment, '--steps', '25,50,100', '--window', '3', '--wait']);
      if (on.code !== 0) throw new Error(`flag rollout exited ${on.code}: ${on.stderr}`);
      await until(ports, true, Date.now());
      const started = Date.now();
      // polled while the command runs: once the flag is off the command still records the kill in the evidence chain
      const killing = world.cliAsync(['flag', 'kill', SERVICE, FLAG, '--env', world.environment, '--as', 'alice', '--reason', `bench run ${run}`]);
      kills.push(await until(ports, false, started));
      const r = await killing;
      if (r.code !== 0) throw new Error(`flag kill exited ${r.code}: ${r.stderr}`);
    }
    // baseline: the file alone (the provider's watch + evaluation), no CLI or workflow
    const dir = flagsDirOf(world.config.home, SERVICE, world.environment);
    const definition = { state: 'ENABLED' as const, variants: { on: true, off: false }, defaultVariant: 'off' };
    await setShare({ dir, flag: FLAG, definition, share: 100, workflowId: 'bench', fresh: true });
    await until(ports, true, Date.now());
    const t = Date.now();
    await kill({ dir, flag: FLAG, by: 'bench', reason: 'baseline', workflowId: 'bench' });
    const fileOnly = await until(ports, false, t);
    const worst = Math.max(...kills);
    report({ instances: ports.length, killMs: kills, worstMs: worst, fileOnlyMs: fileOnly, budgetMs: BUDGET_MS }, worst <= BUDGET_MS, [
      `flag kill -> all ${ports.length} instances serving off: ${kills.join(', ')} ms (worst ${worst} ms); baseline, the file alone: ${fileOnly} ms; target <= ${BUDGET_MS} ms`,
    ]);
  } finally {
    await world.tearDown();
  }
}

if (require.main === module) runBench(main);
