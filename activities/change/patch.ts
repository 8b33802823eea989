/**
 * Parses `git diff -U0 -p` output into changed lines per file. Sections are keyed by the file's path at
 * head (at base for a deleted file); a type change (file -> symlink) comes as two sections for one path and
 * is merged. Paths come from the `---`/`+++`/`rename to` lines, which git C-quotes when needed.
 */
export interface PatchLine {
  /** 1-based line number: in the head version for added lines, in the base version for removed ones. */
  line: number;
  text: string;
}

export interface Hunk {
  oldStart: number;
  newStart: number;
  /** git's function context after the second @@ (the nearest preceding definition line), may be empty. */
  context: string;
  removed: PatchLine[];
  added: PatchLine[];
}

export interface FilePatch {
  hunks: Hunk[];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

export function parsePatch(text: string): Map<string, FilePatch> {
  const files = new Map<string, FilePatch>();
  const lines = text.split('\n');
  let oldPath: string | undefined;
  let newPath: string | undefined;
  let current: FilePatch | undefined;

  const target = (): FilePatch => {
    if (!current) {
      const key = newPath ?? oldPath ?? '';
      current = files.get(key) ?? { hunks: [] };
      files.set(key, current);
    }
    return current;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('diff --git ')) {
      oldPath = newPath = undefined;
      current = undefined;
      continue;
    }
    if (line.startsWith('--- ')) oldPath = stripPrefix(unquote(line.slice(4)), 'a/');
    else if (line.startsWith('+++ ')) newPath = stripPrefix(unquote(line.slice(4)), 'b/');
    else if (line.startsWith('rename from ') || line.startsWith('copy from ')) oldPath = unquote(line.slice(line.indexOf(' from ') + 6));
    else if (line.startsWith('rename to ') || line.startsWith('copy to ')) newPath = unquote(line.slice(line.indexOf(' to ') + 4));
    else {
      const m = HUNK.exec(line);
      if (!m) continue;
      const hunk: Hunk = { oldStart: Number(m[1]), newStart: Number(m[3]), context: m[5] ?? '', removed: [], added: [] };
      let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      let newLeft = m[4] === undefined ? 1 : Number(m[4]);
      let oldLine = hunk.oldStart;
      let newLine = hunk.newStart;
      while ((oldLeft > 0 || newLeft > 0) && i + 1 < lines.length) {
        const body = lines[++i]!;
        const mark = body[0];
        if (mark === '\\') continue;
        if (mark === '-') {
          hunk.removed.push({ line: oldLine++, text: body.slice(1) });
          oldLeft--;
        } else if (mark === '+') {
          hunk.added.push({ line: newLine++, text: body.slice(1) });
          newLeft--;
        } else {
          oldLine++;
          newLine++;
          oldLeft--;
          newLeft--;
        }
      }
      target().hunks.push(hunk);
    }
  }
  return files;
}

function stripPrefix(p: string, prefix: string): string | undefined {
  if (p === '/dev/null') return undefined;
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

/** Undoes git's C-style quoting (`"a\tb\303\251"`) and drops the tab git appends to names with spaces. */
export function unquote(raw: string): string {
  const s = raw.endsWith('\t') ? raw.slice(0, -1) : raw;
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
