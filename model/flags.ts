import { z } from 'zod';
import { FLAG_KEY, OFF, ON, type FlagdFile, type Json } from './flag-rules';
import { issueLines } from './parse';
import { InvalidInputError } from './errors';

// The schema of flagd flag definition files (`flags.flagd.json` in the service repository) and of the
// flag commands' input. The zod-free rules and types workflows use are in flag-rules.ts.

export * from './flag-rules';

/** The file's name, beside airlock.yaml in the service directory. */
export const FLAGS_FILE = 'flags.flagd.json';

const json: z.ZodType<Json> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]));
const metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** Every `fractional` in a targeting rule: its variant names (flagd: [variant, weight] or [variant]). */
function fractionalVariants(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => fractionalVariants(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'fractional' && Array.isArray(v)) for (const b of v) if (Array.isArray(b) && typeof b[0] === 'string') out.push(b[0]);
      fractionalVariants(v, out);
    }
  }
  return out;
}

const flagSchema = z
  .object({
    state: z.enum(['ENABLED', 'DISABLED']),
    variants: z.record(z.string().min(1), json).refine((v) => Object.keys(v).length > 0, 'must have at least one variant'),
    defaultVariant: z.string().min(1),
    targeting: z.record(z.string(), json).optional(),
    metadata: metadata.optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (!(f.defaultVariant in f.variants)) ctx.addIssue({ code: 'custom', path: ['defaultVariant'], message: `"${f.defaultVariant}" is not one of the variants (${Object.keys(f.variants).join(', ')})` });
    const types = new Set(Object.values(f.variants).map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)));
    if (types.size > 1) ctx.addIssue({ code: 'custom', path: ['variants'], message: `all variants must have the same type (found ${[...types].join(', ')})` });
    if (f.targeting) for (const v of fractionalVariants(f.targeting)) if (!(v in f.variants)) ctx.addIssue({ code: 'custom', path: ['targeting'], message: `fractional names "${v}", not one of the variants` });
  });

/** A flagd definition file as airlock accepts it: flagd's format, keys airlock can name safely. */
export const flagdFileSchema = z
  .object({
    $schema: z.string().optional(),
    flags: z.record(z.string(), flagSchema).superRefine((flags, ctx) => {
      for (const key of Object.keys(flags))
        if (!FLAG_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'flag keys are lowercase letters, digits and dashes (at most 63)' });
    }),
    $evaluators: z.record(z.string(), json).optional(),
    metadata: metadata.optional(),
  })
  .strict() satisfies z.ZodType<FlagdFile>;

/** A flag airlock rolls out or kills: it has the variants `on` and `off`. */
export function rolloutProblems(file: FlagdFile, flag: string): string[] {
  const def = file.flags[flag];
  if (!def) return [`flags.${flag}: no such flag (flags: ${Object.keys(file.flags).join(', ') || 'none'})`];
  const missing = [ON, OFF].filter((v) => !(v in def.variants));
  return missing.length ? [`flags.${flag}.variants: must have the variants "${ON}" and "${OFF}" (missing: ${missing.join(', ')})`] : [];
}

/** Parses the text of a flag definition file; every problem as a `path: message` line, naming `source`. */
export function parseFlagdFile(text: string, source: string): FlagdFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(source, [`(root): not JSON: ${(err as Error).message}`]);
  }
  const result = flagdFileSchema.safeParse(value);
  if (!result.success) throw new InvalidInputError(source, issueLines(result.error));
  return result.data;
}
