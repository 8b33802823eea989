import type { Finding } from '../../model/change';
import { where, type FileContext } from './file-context';

/**
 * Command execution and code evaluation in added lines: Node's child_process, eval / new Function / vm,
 * Python's subprocess and os.system, Go's os/exec, and the shell calls of PHP, Ruby and Java. Wherever it is
 * (a template's `<% %>` tag included), such a line runs whatever it is given: a command-injection surface.
 */
const PATTERNS: { what: string; re: RegExp }[] = [
  { what: 'child_process', re: /\bchild_process\b|\b(?:execSync|execFileSync|spawnSync)\s*\(/ },
  { what: 'code evaluation', re: /(?<![\w.$])eval\s*\(|\bnew\s+Function\s*\(|\bvm\.(?:runIn\w+|Script|compileFunction)\b|['"](?:node:)?vm['"]/ },
  { what: 'subprocess', re: /\bsubprocess\.\w+\s*\(|^\s*(?:import\s+subprocess|from\s+subprocess\s+import)\b|\bos\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(/ },
  { what: 'os/exec', re: /"os\/exec"|\bexec\.Command(?:Context)?\s*\(/ },
  { what: 'shell call', re: /\b(?:shell_exec|passthru|proc_open)\s*\(|\bRuntime\.getRuntime\(\)\.exec\b|\bnew\s+ProcessBuilder\b|\bIO\.popen\b|\bKernel\.(?:system|exec|spawn)\b|\bOpen3\.\w+/ },
];

export function execFindings(ctx: FileContext): Finding[] {
  const findings: Finding[] = [];
  for (const l of ctx.lines) {
    if (l.side !== 'added' || l.comment || l.moved) continue;
    const hit = PATTERNS.find((p) => p.re.test(l.text));
    if (hit) findings.push({ kind: 'command-execution', detail: `${where(l)} (${hit.what})`, line: l.line, symbol: l.symbol });
  }
  return findings;
}
