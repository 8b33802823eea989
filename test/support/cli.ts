import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(__dirname, '..', '..', 'bin', 'airlock.js');

/** Runs the built `airlock` command (dist/, built by `npm run build`) as a user would. */
export function airlock(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 300_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
