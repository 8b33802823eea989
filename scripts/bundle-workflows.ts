import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/** Prebuilds the workflow bundle the worker loads (bundling at worker start costs seconds). */
async function main(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const started = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath: join(root, 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
  const out = join(root, 'dist', 'workflow-bundle.js');
  writeFileSync(out, code);
  process.stderr.write(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB, ${Date.now() - started} ms)\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
