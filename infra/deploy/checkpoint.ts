import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';

/**
 * The outputs of a stack read straight from Pulumi's file backend checkpoint
 * (`<backend>/.pulumi/stacks/<project>/<stack>.json[.gz]`, the `pulumi stack export` format), in
 * milliseconds instead of two CLI runs. Rollback reads the environment's state first, so this is on the
 * time-to-restore path. Anything unexpected returns `undefined` and the caller asks the CLI.
 */
const checkpointSchema = z.object({
  checkpoint: z.object({
    latest: z
      .object({
        resources: z.array(z.object({ type: z.string(), outputs: z.record(z.string(), z.unknown()).optional() }).passthrough()).optional(),
      })
      .passthrough()
      .optional(),
  }).passthrough(),
}).passthrough();

/** null: the stack does not exist or has no resources; undefined: cannot tell from the files. */
export function readCheckpointOutputs(backendDir: string, project: string, stack: string): Record<string, unknown> | null | undefined {
  const base = join(backendDir, '.pulumi', 'stacks', project, `${stack}.json`);
  let text: string;
  try {
    if (existsSync(base)) text = readFileSync(base, 'utf8');
    else if (existsSync(`${base}.gz`)) text = gunzipSync(readFileSync(`${base}.gz`)).toString('utf8');
    else return null;
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined; // being written: ask the CLI
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const root = parsed.data.checkpoint.latest?.resources?.find((r) => r.type === 'pulumi:pulumi:Stack');
  return root ? (root.outputs ?? {}) : null;
}
