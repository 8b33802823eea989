import { z } from 'zod';
import { InvalidInputError } from './errors';

export { InvalidInputError } from './errors';

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
