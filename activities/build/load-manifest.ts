import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { MANIFEST_FILE, manifestSchema, type Manifest } from '../../model/manifest';
import { InvalidInputError, parseWith } from '../../model/parse';
import { readAtCommit } from './git-source';
import { parseYaml } from './yaml';

/** Parses the text of an airlock.yaml; every problem is a `path: message` line naming `source`. */
export function parseManifest(text: string, source: string): Manifest {
  return parseWith(manifestSchema, parseYaml(text, source), source);
}

export const missingManifest = (where: string): InvalidInputError =>
  new InvalidInputError(where, [`${MANIFEST_FILE}: not found (every service directory needs one; see README "Service manifest")`]);

/** Reads `<dir>/airlock.yaml` from the working tree. */
export async function loadManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw missingManifest(`service directory ${dir}`);
    throw err;
  }
  return parseManifest(text, file);
}

/**
 * `<dir>/airlock.yaml` as committed at `commit` (never the work tree); `dir` is relative to the repository
 * root ('' for the root). `source` names the file in later errors.
 */
export async function manifestAtCommit(repo: string, commit: string, dir: string): Promise<{ manifest: Manifest; source: string }> {
  const path = posix.join(dir || '.', MANIFEST_FILE);
  const at = commit.slice(0, 12);
  const text = await readAtCommit(repo, commit, path);
  if (!text) throw missingManifest(`service directory ${dir || '.'} at ${at}`);
  const source = `${path} at ${at}`;
  return { manifest: parseManifest(text.toString('utf8'), source), source };
}
