import { z } from 'zod';

/** An input from outside (file, env, CLI, payload) that failed its schema. Lines are `path: message`. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly source: string,
    readonly lines: string[],
  ) {
    super(`${source} is invalid:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
}

/** `path: message` lines for a zod error; the path is dotted (`run.port`), `(root)` for the whole value. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

/** Parses `value` with `schema`, throwing InvalidInputError naming `source` and every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(source, issueLines(result.error));
  return result.data;
}
