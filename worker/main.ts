import { createActivities } from '../activities';
import { ensureDriftSchedules } from './drift-schedules';
import { scanWorkRoot, sweepScanWork } from '../activities/scan';
import { loadConfig } from '../infra/config';
import { createRoleWorkers, installRuntime } from './worker';
import { workflowSource } from './workflow-source';

/**
 * The worker process: registers airlock's workflows (prebuilt bundle when present) and activities on the
 * task queue, or with AIRLOCK_WORKER_ROLES on the queues of its roles (docs/scale-out.md), and runs until
 * SIGINT/SIGTERM, when it finishes in-flight tasks and exits.
 */
export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(env);
  installRuntime(config);
  // unredacted Trivy reports a crashed worker left behind (activities/scan/scan-work.ts)
  if (config.roles.build) await sweepScanWork(scanWorkRoot(config.dirs));
  const workers = await createRoleWorkers(config, workflowSource(), createActivities(config));
  // every environment deployed on this host gets its drift schedule (default interval; the first check applies the policy's)
  if (config.roles.deploy.length)
    await ensureDriftSchedules(config).catch((err: unknown) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'drift schedules not ensured', error: String(err) })}\n`));
  // one role's worker failing stops the others: a process serving half its roles would look healthy
  const stopAll = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  await Promise.all(workers.map((w) => w.run().catch((err: unknown) => (stopAll(), Promise.reject(err)))));
}

if (require.main === module) {
  runWorker().catch((err) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'worker failed', error: String((err as Error)?.stack ?? err) })}\n`);
    process.exitCode = 1;
  });
}
