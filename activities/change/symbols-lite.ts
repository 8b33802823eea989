import type { SymbolChange } from '../../model/change';
import type { Hunk } from './patch';

/**
 * The lighter method for languages without a parser here (Python, Go, Ruby, Java, Kotlin, C#, Rust, PHP,
 * shell, ...): definition lines added or removed are found with per-language patterns, and a change inside
 * a function is attributed through git's hunk context (the nearest preceding definition line, found by git's
 * built-in funcname patterns, which analyzeChange enables with an attributes file). A name defined in both
 * the removed and the added lines, or named by a hunk context, is `changed`.
 */
const DEFINITIONS: Record<string, RegExp[]> = {
  python: [/^\s*(?:async\s+)?def\s+(\w+)/, /^\s*class\s+(\w+)/],
  go: [/^func\s+(?:\([^)]*\)\s*)?(\w+)/],
  ruby: [/^\s*def\s+(?:self\.)?([\w?!=]+)/, /^\s*(?:class|module)\s+([\w:]+)/],
  java: [/^\s*(?:(?:public|private|protected|static|final|abstract|synchronized|native|default)\s+)+[\w<>[\],.? ]+\s+(\w+)\s*\(/, /^\s*(?:public\s+|abstract\s+|final\s+)*(?:class|interface|enum|record)\s+(\w+)/],
  kotlin: [/^\s*(?:(?:public|private|protected|internal|override|suspend|inline|open)\s+)*fun\s+(?:<[^>]+>\s*)?(?:[\w.]+\.)?(\w+)/, /^\s*(?:data\s+|sealed\s+|open\s+|abstract\s+)*(?:class|object|interface)\s+(\w+)/],
  scala: [/^\s*(?:override\s+)?def\s+(\w+)/, /^\s*(?:case\s+)?(?:class|object|trait)\s+(\w+)/],
  csharp: [/^\s*(?:(?:public|private|protected|internal|static|virtual|override|async|sealed|abstract)\s+)+[\w<>[\],.? ]+\s+(\w+)\s*\(/, /^\s*(?:(?:public|internal|static|sealed|abstract|partial)\s+)*(?:class|interface|record|struct)\s+(\w+)/],
  rust: [/^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)/, /^\s*(?:pub\s+)?(?:struct|enum|trait|impl)\s+(?:<[^>]+>\s*)?(\w+)/],
  php: [/^\s*(?:(?:public|private|protected|static|final|abstract)\s+)*function\s+(\w+)/, /^\s*(?:final\s+|abstract\s+)?class\s+(\w+)/],
  swift: [/^\s*(?:(?:public|private|internal|fileprivate|open|static|override|@\w+)\s+)*func\s+(\w+)/],
  shell: [/^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?/, /^\s*function\s+([A-Za-z_][\w-]*)/],
  elixir: [/^\s*defp?\s+(\w+[?!]?)/],
  vue: [/^\s*(?:async\s+)?(\w+)\s*\([^)]*\)\s*\{/, /^\s*(?:export\s+)?(?:async\s+)?function\s+(\w+)/],
  svelte: [/^\s*(?:export\s+)?(?:async\s+)?function\s+(\w+)/],
};

const ROUTES: Record<string, RegExp[]> = {
  python: [/@\w+\.(get|post|put|patch|delete|route)\(\s*['"]([^'"]+)['"]/i, /\bpath\(\s*r?['"]([^'"]*)['"]/],
  go: [/\.(HandleFunc|Handle|GET|POST|PUT|PATCH|DELETE|Get|Post|Put|Patch|Delete)\(\s*"([^"]+)"/],
  ruby: [/^\s*(get|post|put|patch|delete|resources?)\s+['":]([\w/:-]+)/],
  java: [/@(Get|Post|Put|Patch|Delete|Request)Mapping\(\s*(?:value\s*=\s*|path\s*=\s*)?"([^"]*)"/],
  kotlin: [/@(Get|Post|Put|Patch|Delete|Request)Mapping\(\s*(?:value\s*=\s*|path\s*=\s*)?"([^"]*)"/, /\b(get|post|put|patch|delete)\(\s*"([^"]+)"\)\s*\{/],
  csharp: [/\[(?:Http)?(Get|Post|Put|Patch|Delete|Route)\(\s*"([^"]*)"/, /\.Map(Get|Post|Put|Patch|Delete)\(\s*"([^"]+)"/],
  php: [/Route::(get|post|put|patch|delete|any)\(\s*['"]([^'"]+)['"]/],
  rust: [/#\[(get|post|put|patch|delete)\(\s*"([^"]+)"/, /\.route\(\s*"([^"]+)",\s*(get|post|put|patch|delete)/],
};

export const hasPatterns = (language: string): boolean => language in DEFINITIONS;

export function definitionName(language: string, line: string): string | undefined {
  for (const re of DEFINITIONS[language] ?? []) {
    const m = re.exec(line);
    if (m?.[1] && !/^(if|for|while|switch|catch|return|new|else)$/.test(m[1])) return m[1];
  }
  return undefined;
}

function routeName(language: string, line: string): string | undefined {
  for (const re of ROUTES[language] ?? []) {
    const m = re.exec(line);
    if (!m) continue;
    const [a = '', b = ''] = [m[1], m[2]];
    // Some patterns capture (method, path), others (path, method) or (path) only.
    const [method, routePath] = a.startsWith('/') || b === '' ? [b || 'ANY', a] : [a, b];
    return `${/^(Handle(Func)?|route|Route|Request|any)$/.test(method) ? 'ANY' : method.toUpperCase()} ${routePath}`;
  }
  return undefined;
}

/**
 * The function a hunk is inside, from git's hunk context: only when the hunk's first non-blank line is
 * indented deeper than the definition (lines added after a function's end are not part of it).
 */
export function contextName(language: string, hunk: Hunk): string | undefined {
  const name = definitionName(language, hunk.context);
  if (!name) return undefined;
  const first = [...hunk.removed, ...hunk.added].find((l) => l.text.trim() !== '');
  if (!first) return undefined;
  return indentation(first.text) > indentation(hunk.context) ? name : undefined;
}

/** Leading whitespace width, a tab counting 4. */
function indentation(line: string): number {
  let width = 0;
  for (const c of line) {
    if (c === ' ') width += 1;
    else if (c === '\t') width += 4;
    else break;
  }
  return width;
}

export function patternSymbols(language: string, hunks: Hunk[]): SymbolChange[] {
  const added = new Map<string, SymbolChange['kind']>();
  const removed = new Map<string, SymbolChange['kind']>();
  const touched = new Set<string>();
  for (const hunk of hunks) {
    const ctx = contextName(language, hunk);
    if (ctx) touched.add(ctx);
    for (const [lines, into] of [[hunk.added, added], [hunk.removed, removed]] as const) {
      for (const { text } of lines) {
        const route = routeName(language, text);
        if (route) into.set(route, 'route');
        const def = definitionName(language, text);
        if (def) into.set(def, /^\s*(class|module|struct|enum|trait|interface|object|impl|record|data|sealed|case|abstract|public\s+class)/.test(text) ? 'class' : 'function');
      }
    }
  }
  const out: SymbolChange[] = [];
  for (const [name, kind] of added) out.push({ name, kind, change: removed.has(name) ? 'changed' : 'added' });
  for (const [name, kind] of removed) if (!added.has(name)) out.push({ name, kind, change: 'removed' });
  for (const name of touched) if (!added.has(name) && !removed.has(name)) out.push({ name, kind: 'function', change: 'changed' });
  return out;
}

/** gitattributes that turn on git's built-in funcname patterns, so hunk headers name the enclosing function. */
export const FUNCNAME_ATTRIBUTES = [
  '*.py diff=python', '*.go diff=golang', '*.rb diff=ruby', '*.java diff=java', '*.kt diff=kotlin', '*.kts diff=kotlin',
  '*.cs diff=csharp', '*.rs diff=rust', '*.php diff=php', '*.c diff=cpp', '*.h diff=cpp', '*.cc diff=cpp',
  '*.cpp diff=cpp', '*.hpp diff=cpp', '*.sh diff=bash', '*.bash diff=bash', '*.ex diff=elixir', '*.exs diff=elixir',
  '*.swift diff=objc', '*.m diff=objc', '*.mm diff=objc', '*.pl diff=perl', '*.dart diff=dart', '*.scala diff=java',
].join('\n');
