import { readFile } from 'node:fs/promises';
import { InvalidInputError, parseWith } from '../../model/parse';
import { policySchema } from '../../model/policy';
import { parseYaml } from '../shared';
import { sha256 } from '../evidence/store';
import type { LoadedPolicy } from './evaluate';

/** Parses policy file bytes; the digest is of the bytes exactly as stored (what the verdict records). */
export function parsePolicy(bytes: Buffer, source: string): LoadedPolicy {
  const policy = parseWith(policySchema, parseYaml(bytes.toString('utf8'), source), source);
  return { policy, digest: sha256(bytes), source };
}

/** Reads and parses an airlock.policy.yaml from disk. */
export async function loadPolicy(file: string): Promise<LoadedPolicy> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw new InvalidInputError(file, [`(file): cannot read the policy file (${code})`]);
    throw err;
  }
  return parsePolicy(bytes, file);
}
