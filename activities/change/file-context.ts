import type { SymbolChange } from '../../model/change';
import { redactText } from '../../model/redact';
import { isCommentLine, isConfigLanguage } from './language';
import { keyPaths } from './key-paths';
import type { FilePatch } from './patch';

/** A changed line as the detectors see it. */
export interface ChangedLine {
  side: 'added' | 'removed';
  line: number;
  text: string;
  /** Function, method or route the line is in (TypeScript/JavaScript files). */
  symbol?: string;
  /** Config files: the keys above the line, the line's own key last. */
  keys?: string[];
  /** Only a comment or blank: says nothing about behaviour. */
  comment: boolean;
  /** The same text (trimmed) is on the other side too: moved or re-indented, not changed. */
  moved: boolean;
}

export interface FileContext {
  path: string;
  language: string;
  lines: ChangedLine[];
  oldText?: string;
  newText?: string;
  symbols: SymbolChange[];
}

export function changedLines(
  language: string,
  patch: FilePatch | undefined,
  texts: { oldText?: string; newText?: string },
  symbolAt: (side: 'added' | 'removed', line: number) => string | undefined,
): ChangedLine[] {
  if (!patch) return [];
  const config = isConfigLanguage(language);
  const oldKeys = config && texts.oldText !== undefined ? keyPaths(texts.oldText, language) : undefined;
  const newKeys = config && texts.newText !== undefined ? keyPaths(texts.newText, language) : undefined;
  const addedTexts = new Map<string, number>();
  const removedTexts = new Map<string, number>();
  for (const h of patch.hunks) {
    for (const l of h.added) bump(addedTexts, l.text.trim());
    for (const l of h.removed) bump(removedTexts, l.text.trim());
  }
  const out: ChangedLine[] = [];
  for (const h of patch.hunks) {
    for (const [side, list, keys, other] of [
      ['removed', h.removed, oldKeys, addedTexts],
      ['added', h.added, newKeys, removedTexts],
    ] as const) {
      for (const l of list) {
        out.push({
          side,
          line: l.line,
          text: l.text,
          symbol: symbolAt(side, l.line),
          keys: keys?.[l.line - 1],
          comment: isCommentLine(language, l.text),
          moved: (other.get(l.text.trim()) ?? 0) > 0,
        });
      }
    }
  }
  return out;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** `line 14 in verifyToken: if (claims.exp < now)` — the evidence quoted in findings. */
export function where(l: ChangedLine): string {
  // Reasons quote the line: never a secret in it (the full line is redacted before it is cut short).
  const snippet = redactText(l.text.trim().replace(/\s+/g, ' '));
  const short = snippet.length > 80 ? `${snippet.slice(0, 77)}...` : snippet;
  const verb = l.side === 'added' ? 'added' : 'removed';
  return `${verb} line ${l.line}${l.symbol ? ` in ${l.symbol}` : ''}: ${short}`;
}
