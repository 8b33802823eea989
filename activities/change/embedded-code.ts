import type { ChangedLine } from './file-context';

/**
 * Code inside prose and markup: what a renderer or a template engine would run in a Markdown, text or SVG
 * file that ships. Fenced blocks are samples (rendered as escaped text) and never count; raw HTML that runs
 * (script, iframe, object, embed, form), event handlers, `javascript:` URLs, template tags and JavaScript
 * statements do.
 */
const CODE =
  /<\s*(?:script|iframe|object|embed|form)\b|\son[a-z]+\s*=\s*["'{]|javascript:|<%|%>|\{\{|\}\}|\{%|%\}|\brequire\s*\(|\bimport\s*\(|^\s*import\s+[\w{*][^;]*\bfrom\b|\bmodule\.exports\b|\bchild_process\b|(?<![\w.$])eval\s*\(|\bnew\s+Function\s*\(|\bprocess\.env\b|\bfetch\s*\(|\bXMLHttpRequest\b|\bsendBeacon\s*\(/i;
const FENCE = /^\s{0,3}(?:```|~~~)/;

/** The changed lines that are code (outside fenced samples). */
export function embeddedCode(lines: ChangedLine[], texts: { oldText?: string; newText?: string }): ChangedLine[] {
  const fenced = { added: fences(texts.newText), removed: fences(texts.oldText) };
  return lines.filter((l) => !fenced[l.side](l.line) && CODE.test(l.text));
}

/** Whether a 1-based line of the text is inside a fenced block (the fence lines included). */
function fences(text: string | undefined): (line: number) => boolean {
  if (text === undefined || !text.split('\n').some((l) => FENCE.test(l))) return () => false;
  const inside: boolean[] = [];
  let open = false;
  for (const line of text.split('\n')) {
    const fence = FENCE.test(line);
    inside.push(open || fence);
    if (fence) open = !open;
  }
  return (line) => inside[line - 1] ?? false;
}
