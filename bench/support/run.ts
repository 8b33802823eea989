// What every benchmark does around its measurements.

/** Runs a benchmark's main: a failure prints its stack and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}

/** Prints the result as JSON (--json) or as `lines` and the verdict ('none': a mode without targets); missed targets exit 1. */
export function report(result: object, ok: boolean | 'none', lines: string[]): void {
  const verdict = ok === 'none' ? 'no targets in this mode' : ok ? 'targets met' : 'TARGETS MISSED';
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ ...result, ok }, null, 2)}\n`);
  else process.stdout.write([...lines, verdict].join('\n') + '\n');
  if (!ok) process.exitCode = 1;
}
