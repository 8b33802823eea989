import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../infra/local/tools';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The `airlock` command as a user runs it: bin/airlock.js, which runs dist/ (built by `npm run build`).
 * From the project root: this file also runs compiled, as dist/test/support/cli.js (bench/chaos.ts uses it).
 */
export const CLI = join(projectRoot(), 'bin', 'airlock.js');

/** Runs the built `airlock` command as a user would. */
export function airlock(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 300_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `airlock` without blocking the test's event loop (for polling while it runs); `onStderr` sees stderr so far. */
export function airlockAsync(args: string[], env: Record<string, string | undefined>, timeoutMs: number, onStderr?: (soFar: string) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
