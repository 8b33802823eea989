/**
 * The long chaos run of issue 19, on the real local stack: kill -9 of the worker at every stage of a whole
 * pipeline (change analysis .. promote, and the rollback of a bad release), each with a random 0..2 s delay
 * after the stage is seen and a new worker started after it; Temporal restarted during the rollout and during
 * analysis; dockerd restarted during analysis; Prometheus stopped during analysis; the registry stopped for
 * 20 s during the build; the evidence store on a full disk. After each run it checks the invariants
 * (test/support/chaos/invariants.ts) and prints the table: runs, faults by kind, outcomes right/wrong, lost,
 * duplicated, orphans. Targets: 0 wrong, 0 lost, 0 duplicated, 0 orphans, every fault fired.
 *
 * The kill -9 runs go in parallel lanes (each an E2eWorld: its own environment and worker), since most of a
 * killed run is waiting for Temporal to time the lost activity out; the faults that hit the whole stack run
 * one at a time afterwards, alone. Stops starting runs after the time budget.
 * Run: `npm run bench -- chaos` under the stack lock (it restarts Temporal, dockerd, Prometheus, registry):
 *   flock /tmp/airlock-stack.lock bash scripts/bench.sh chaos
 * Options (environment): AIRLOCK_CHAOS_KILLS (default 20), AIRLOCK_CHAOS_LANES (default 3),
 * AIRLOCK_CHAOS_SEED (default: the time), AIRLOCK_CHAOS_MINUTES (budget, default 40).
 */
import { ChaosDriver } from '../test/support/chaos/driver';
import { diskFullRuns } from '../test/support/chaos/disk-full';
import { formatTable, killPlans, seeded, stackFaultPlans, summarize, targetsMet, type FaultPlan, type RunResult, CHAOS_LATENCY_MS } from '../test/support/chaos/plan';
import { E2eWorld } from '../test/support/e2e-world';
import { report, runBench } from './support/run';

const KILLS = Number(process.env.AIRLOCK_CHAOS_KILLS ?? 20);
const LANES = Math.max(1, Number(process.env.AIRLOCK_CHAOS_LANES ?? 3));
const SEED = Number(process.env.AIRLOCK_CHAOS_SEED ?? Date.now() % 1_000_000);
const BUDGET_MS = Number(process.env.AIRLOCK_CHAOS_MINUTES ?? 40) * 60_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

async function lane(driver: ChaosDriver, plans: FaultPlan[], results: RunResult[], deadline: number, skipped: FaultPlan[]): Promise<void> {
  for (const plan of plans) {
    if (Date.now() > deadline) {
      skipped.push(plan);
      continue;
    }
    log(`[${driver.world.environment}] ${plan.kind} at ${plan.stage} (${plan.change})`);
    const r = await driver.run(plan);
    results.push(r);
    log(`[${driver.world.environment}] -> ${r.outcome ?? '-'}${r.error ? ` error: ${r.error}` : ''} in ${Math.round(r.durationMs / 1000)} s`);
    if (r.lost || r.error) {
      // the environment may still be locked by the lost run: the lane's remaining runs would only wait on it
      skipped.push(...plans.slice(plans.indexOf(plan) + 1));
      return;
    }
  }
}

async function createWorld(name: string): Promise<E2eWorld> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await E2eWorld.create({ name, maxLatencyP95Ms: CHAOS_LATENCY_MS });
    } catch (err) {
      if (attempt === 3) throw err;
      log(`world ${name}: ${(err as Error).message.split('\n')[0]}; again in 5 s`);
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

runBench(async () => {
  const started = Date.now();
  const random = seeded(SEED);
  const results: RunResult[] = [];
  const skipped: FaultPlan[] = [];
  log(`chaos: seed ${SEED}, ${KILLS} kill -9 runs in ${LANES} lanes, budget ${BUDGET_MS / 60_000} min`);
  // one world after the other, each tried 3 times: on a loaded machine the component probes time out now and then
  const worlds: E2eWorld[] = [];
  for (let i = 0; i < LANES; i++) worlds.push(await createWorld(`chaos${String.fromCharCode(97 + i)}`));
  const drivers = await Promise.all(worlds.map((w) => ChaosDriver.create(w, log)));
  // the budget is for the runs: it starts once the worlds are ready
  const deadline = Date.now() + BUDGET_MS;
  try {
    // the kill -9 runs get half the budget, the stack-wide faults the rest
    const kills = killPlans(KILLS, random);
    const killDeadline = Date.now() + BUDGET_MS / 2;
    await Promise.all(drivers.map((d, i) => lane(d, kills.filter((_, j) => j % LANES === i), results, killDeadline, skipped)));
    // the faults that hit the whole stack, alone; dockerd last (it stops every container of the other lanes)
    const stack = stackFaultPlans(random).sort((a, b) => Number(a.kind === 'dockerd-restart') - Number(b.kind === 'dockerd-restart'));
    await lane(drivers[0]!, stack.filter((p) => p.kind !== 'dockerd-restart'), results, deadline, skipped);
    if (Date.now() < deadline) results.push(...(await diskFullRuns(drivers[1] ?? drivers[0]!, log)));
    else skipped.push({ kind: 'disk-full', stage: 'change-analysis', change: 'docs', delayMs: 0 });
    await lane(drivers[LANES - 1]!, stack.filter((p) => p.kind === 'dockerd-restart'), results, deadline, skipped);
  } finally {
    await Promise.all(drivers.map((d) => d.close()));
    await Promise.all(worlds.map((w) => w.tearDown().catch((err: unknown) => log(`tear down ${w.environment}: ${(err as Error).message}`))));
  }
  const summary = summarize(results);
  const lines = [
    `chaos run: seed ${SEED}, ${LANES} lanes, ${Math.round((Date.now() - started) / 60_000)} min`,
    ...formatTable(results),
    ...(skipped.length ? [`not run (budget or a lost run): ${skipped.map((p) => `${p.kind}@${p.stage}`).join(', ')}`] : []),
  ];
  report({ seed: SEED, summary, results, skipped }, targetsMet(summary) && skipped.length === 0, lines);
});
