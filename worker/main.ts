import { createActivities } from '../activities';
import { ensureDriftSchedules } from './drift-schedules';
import { scanWorkRoot, sweepScanWork } from '../activities/scan';
import { loadConfig } from '../infra/config';
import { createAirlockWorker, installRuntime } from './worker';
import { workflowSource } from './workflow-source';

/**
 * The worker process: registers airlock's workflows (prebuilt bundle when present) and activities on the
 * task queue, and runs until SIGINT/SIGTERM, when it finishes in-flight tasks and exits.
 */
export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(env);
  installRuntime(config);
  // unredacted Trivy reports a crashed worker left behind (activities/scan/scan-work.ts)
  await sweepScanWork(scanWorkRoot(config.dirs));
  const worker = await createAirlockWorker(config, workflowSource(), createActivities(config));
  // every deployed environment gets its drift schedule (default interval; the first check applies the policy's)
  await ensureDriftSchedules(config).catch((err: unknown) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: 'drift schedules not ensured', error: String(err) })}\n`));
  await worker.run();
}

if (require.main === module) {
  runWorker().catch((err) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'worker failed', error: String((err as Error)?.stack ?? err) })}\n`);
    process.exitCode = 1;
  });
}
