/**
 * The key path of every line of a config file (`csrf.enabled` for `  enabled: false` under `csrf:`), so a
 * changed value is judged with the keys above it. YAML, JSON and HCL by indentation; TOML and INI by
 * `[section]` headers; .env and properties files by the key on the line. Heuristic, not a parser: it must
 * also work on files that are invalid or templated.
 */
/** `key:` (YAML/JSON: a colon then a space or the end) or `key =` (TOML/INI/.env); `- "8080:80"` is no key. */
const KEY = /^\s*(?:-\s+)?["']?([\w.$@/-]+)["']?\s*(?::(?=\s|$)|=)/;
const SECTION = /^\s*\[+\s*([^\]]+?)\s*\]+\s*$/;

export function keyPaths(text: string, language: string): string[][] {
  const lines = text.split('\n');
  if (language === 'toml' || language === 'ini') return sectioned(lines);
  if (language === 'env' || language === 'properties') return lines.map((l) => (KEY.exec(l.replace(/^\s*export\s+/, ''))?.[1] ?? '').split('.').filter(Boolean));
  return indented(lines);
}

function indented(lines: string[]): string[][] {
  const stack: { indent: number; key: string }[] = [];
  return lines.map((line) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) return stack.map((s) => s.key);
    const lead = line.length - line.trimStart().length;
    const item = /^\s*-\s+/.exec(line);
    const indent = item ? item[0].length : lead;
    const key = KEY.exec(line)?.[1];
    // A key pops its siblings and their children; a keyless line (list item, continuation) only deeper keys.
    while (stack.length && (key ? stack[stack.length - 1]!.indent >= indent : stack[stack.length - 1]!.indent > lead)) stack.pop();
    if (!key) return stack.map((s) => s.key);
    const path = [...stack.map((s) => s.key), key];
    stack.push({ indent, key });
    return path;
  });
}

function sectioned(lines: string[]): string[][] {
  let section: string[] = [];
  return lines.map((line) => {
    const header = SECTION.exec(line);
    if (header?.[1]) {
      section = header[1].split('.').map((s) => s.replace(/["']/g, '').trim());
      return section;
    }
    const key = KEY.exec(line)?.[1];
    return key ? [...section, key] : section;
  });
}
