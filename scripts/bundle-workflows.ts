import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflows, PREBUILT_BUNDLE } from '../worker/workflow-source';

/** Prebuilds the workflow bundle the worker loads (bundling at worker start costs seconds). */
async function main(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const started = Date.now();
  const workflows = join(root, 'workflows', 'index.ts');
  const { code } = await bundleWorkflows(workflows, workflows);
  writeFileSync(PREBUILT_BUNDLE, code);
  process.stderr.write(`workflow bundle: ${PREBUILT_BUNDLE} (${(code.length / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
