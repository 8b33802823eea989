import { main } from '../../cli/main';
import type { CliResult } from './cli';

/**
 * Runs `airlock <argv>` in this process through cli/main.ts, so the exit code and the message come from
 * the one error mapping (commands load lazily: only the command run is imported). Captures stdout and
 * stderr. For unit tests of commands that need no stack; `airlock()` in ./cli runs the built command.
 */
export async function runMain(argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
