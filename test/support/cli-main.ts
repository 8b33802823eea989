import { main } from '../../cli/main';
import type { CliResult } from './cli';

/** Runs `fn` with process.stdout and process.stderr captured; returns what it wrote, and what it threw. */
export async function captureOutput(fn: () => Promise<unknown>): Promise<{ error?: unknown; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    await fn();
    return { stdout, stderr };
  } catch (error) {
    return { error, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * Runs `airlock <argv>` in this process through cli/main.ts, so the exit code and the message come from
 * the one error mapping (commands load lazily: only the command run is imported). For unit tests of
 * commands that need no stack; `airlock()` in ./cli runs the built command.
 */
export async function runMain(argv: string[]): Promise<CliResult> {
  let code = -1;
  const { error, stdout, stderr } = await captureOutput(async () => {
    code = await main(argv);
  });
  if (error) throw error;
  return { code, stdout, stderr };
}
