import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { issueLines } from '../model/parse';
import { badInput } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses argv for one command with node's parseArgs (unknown flags are errors), then validates the
 * result with `schema`. Every failure is an ExitError(2) naming the flag and what was expected.
 */
export function parseCommandArgs<S extends z.ZodType>(
  command: string,
  argv: string[],
  options: Options,
  schema: S,
): z.output<S> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw badInput(`airlock ${command}: ${(err as Error).message.replace(/\. To specify.*$/s, '')}`);
  }
  const result = schema.safeParse({ ...parsed.values, positionals: parsed.positionals });
  if (!result.success) {
    const lines = issueLines(result.error).map((l) => (l.startsWith('positionals') ? l : `--${l}`));
    throw badInput(`airlock ${command}: ${lines.join('; ')}`);
  }
  return result.data;
}

/** The `--json` flag every command that prints data accepts. */
export const jsonFlag = { json: { type: 'boolean', default: false } } as const;
