import { commands } from './commands';
import { EXIT, exitErrorOf, ExitError } from './errors';
import { redactOutput } from './redact-output';

function help(): string {
  const loaded = commands.map((c) => c.load());
  const width = Math.max(...loaded.map((c) => c.name.length));
  return [
    'airlock: deployment pipelines on Temporal, from commit to promoted or rolled back',
    '',
    'usage: airlock <command> [options]   (airlock <command> --help for its options)',
    '',
    ...loaded.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/**
 * The only place that ends the process with a code: commands throw, exitErrorOf (cli/errors.ts) maps
 * what they threw to the code and the message; anything it does not know is a bug, printed with its stack.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? EXIT.ok : EXIT.badInput;
  }
  try {
    const command = commands.find((c) => c.name === name)?.load();
    if (!command) throw new ExitError(EXIT.badInput, `airlock: unknown command '${name}' (airlock help lists them)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.usage}\n`);
      return EXIT.ok;
    }
    await command.run(rest);
    return EXIT.ok;
  } catch (err) {
    const exit = exitErrorOf(name, err);
    if (exit) {
      if (exit.message) process.stderr.write(`${exit.message}\n`);
      return exit.code;
    }
    process.stderr.write(`airlock ${name}: unexpected error (a bug, please report it):\n${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}

/** Entry point used by bin/airlock.js: sets process.exitCode from main's result. */
export function runCli(): void {
  redactOutput(process.stdout);
  redactOutput(process.stderr);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}

if (require.main === module) runCli();
