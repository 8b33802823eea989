// The short chaos run (bench/chaos.ts is the long one): a worker killed with kill -9 during the build,
// during the canary analysis and during the rollback of a bad release, each followed by a new worker; and
// Prometheus stopped during the analysis. Each run must end with the right outcome (the one it would
// have had without the fault; never promoted without metrics), one build, one set of containers, Pulumi's
// state equal to Docker and the router, the environment lock released and the history complete.
import { ChaosDriver } from '../support/chaos/driver';
import { formatTable, isRight, killPlans, seeded, type FaultPlan, type RunResult, CHAOS_LATENCY_MS } from '../support/chaos/plan';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS } from '../support/e2e-world';

let world: E2eWorld;
let driver: ChaosDriver;
const results: RunResult[] = [];

useE2eWorld({ name: 'chaos', maxLatencyP95Ms: CHAOS_LATENCY_MS }, (w) => (world = w));
beforeAll(async () => (driver = await ChaosDriver.create(world)), 60_000);
afterAll(async () => {
  process.stderr.write(`${formatTable(results).join('\n')}\n`);
  await driver?.close();
});

const plans: FaultPlan[] = [
  ...killPlans(3, seeded(19), ['build', 'analysis', 'rollback']),
  { kind: 'prometheus-down', stage: 'analysis', change: 'docs', delayMs: 0 },
];

test.each(plans.map((p) => [`${p.kind} at ${p.stage}`, p] as const))(
  '%s: the right outcome, nothing lost, duplicated or orphaned, lock released',
  async (_name, plan) => {
    const r = await driver.run(plan);
    results.push(r);
    expect(r.firedAt).toBeDefined();
    expect({ ...r, right: isRight(r) }).toMatchObject({ right: true, lost: false, duplicates: [], orphans: [], stopped: [], lockReleased: true, historyComplete: true });
  },
  PIPELINE_TIMEOUT_MS + 60_000,
);
