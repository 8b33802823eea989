import type { FileStatus } from '../../model/change';

/** One file pair of `git diff --raw --numstat -z --no-abbrev`. */
export interface RawEntry {
  path: string;
  previousPath?: string;
  status: FileStatus;
  /** Rename/copy similarity, 0-100. */
  similarity?: number;
  oldMode: string;
  newMode: string;
  /** Blob ids; all zeros when the side does not exist. */
  oldId: string;
  newId: string;
  additions: number;
  deletions: number;
  binary: boolean;
}

const STATUS: Record<string, FileStatus> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type-changed' };

/**
 * Parses the NUL-separated output of `git diff --raw --numstat -z`: first one raw record per file pair
 * (`:old new oldId newId S\0path\0[path2\0]`), then one numstat record per pair in the same order
 * (`adds\tdels\tpath\0` or, for renames, `adds\tdels\t\0old\0new\0`; `-\t-` for binary files).
 */
export function parseRawNumstat(out: string): RawEntry[] {
  const tokens = out.split('\0');
  const entries: RawEntry[] = [];
  let i = 0;
  while (i < tokens.length && tokens[i]!.startsWith(':')) {
    const [oldMode, newMode, oldId, newId, code] = tokens[i]!.slice(1).split(' ');
    const letter = (code ?? '').charAt(0);
    const status = STATUS[letter];
    if (!status || !oldMode || !newMode || !oldId || !newId) throw new Error(`unexpected git diff --raw record: ${tokens[i]}`);
    const twoPaths = letter === 'R' || letter === 'C';
    const first = tokens[i + 1] ?? '';
    const second = twoPaths ? (tokens[i + 2] ?? '') : undefined;
    entries.push({
      path: second ?? first,
      previousPath: twoPaths ? first : undefined,
      status,
      similarity: twoPaths ? Number((code ?? '').slice(1)) : undefined,
      oldMode,
      newMode,
      oldId,
      newId,
      additions: 0,
      deletions: 0,
      binary: false,
    });
    i += twoPaths ? 3 : 2;
  }
  for (const entry of entries) {
    const record = tokens[i] ?? '';
    const [adds, dels, inlinePath] = record.split('\t');
    i += inlinePath === '' ? 3 : 1; // rename/copy: the two paths follow as their own tokens
    entry.binary = adds === '-' && dels === '-';
    entry.additions = entry.binary ? 0 : Number(adds) || 0;
    entry.deletions = entry.binary ? 0 : Number(dels) || 0;
  }
  return entries;
}

export const NULL_ID = /^0+$/;
export const isSubmodule = (mode: string): boolean => mode === '160000';
