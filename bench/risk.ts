import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { analyzeChange } from '../activities/change';
import { scoreRisk } from '../activities/risk';
import { TempRepo } from '../test/support/git-repo';
import { runBench } from './support/run';

// How long analyze + score takes for a 500-file, 20k-line change (issue: under 5 s). Builds a real git
// repository in a temp dir (not timed), then times analyzeChange and scoreRisk, median of 3 runs.
// Run: node dist/bench/risk.js  (after npm run build)

const FILES = 500;
const LINES_PER_FILE = 40; // 20 rewritten (20 removed + 20 added) per file: 500 x 40 = 20,000 diff lines
const RUNS = 3;
const BUDGET_MS = 5000;

type Kind = 'ts' | 'py' | 'md' | 'css' | 'yaml' | 'sql';
const MIX: Kind[] = [...Array<Kind>(12).fill('ts'), 'py', 'py', 'md', 'md', 'css', 'css', 'yaml', 'sql'];

function fileOf(i: number): { path: string; kind: Kind } {
  const kind = MIX[i % MIX.length]!;
  const area = ['orders', 'catalog', 'users', 'search', 'billing', 'reports', 'shipping', 'auth'][i % 8];
  const dir = { ts: `src/${area}`, py: `workers/${area}`, md: `docs/${area}`, css: `src/styles/${area}`, yaml: `config/${area}`, sql: 'migrations' }[kind];
  const ext = { ts: 'ts', py: 'py', md: 'md', css: 'css', yaml: 'yaml', sql: 'sql' }[kind];
  return { path: `${dir}/file-${i}.${ext}`, kind };
}

/** `version` 0 is the base; 1 rewrites half of the lines of every file (same line count). */
function content(i: number, kind: Kind, version: number): string {
  const lines: string[] = [];
  for (let n = 0; n < LINES_PER_FILE; n++) {
    const v = n % 2 === 1 ? version : 0; // odd lines change between versions
    switch (kind) {
      case 'ts':
        if (n % 10 === 0) lines.push(`export function handler${i}_${n}(input: number): void {`);
        else if (n % 10 === 8) lines.push('}');
        else if (n % 10 === 9) lines.push(`export const limit${i}_${n} = ${n * 100 + v};`);
        else lines.push(`  const value${n} = input * ${n + v} + ${i}; // step ${n}`);
        break;
      case 'py':
        lines.push(n % 10 === 0 ? `def task_${i}_${n}(items):` : `    total_${n} = sum(item * ${n + v} for item in items)`);
        break;
      case 'md':
        lines.push(`Paragraph ${n} of guide ${i}, revision ${v}: how orders move through the pipeline and the session cookie.`);
        break;
      case 'css':
        lines.push(`.block-${i}-${n} { margin: ${n + v}px; color: #${((i * 7 + n + v) % 4096).toString(16).padStart(3, '0')}; }`);
        break;
      case 'yaml':
        lines.push(`setting_${n}: ${n * 10 + v}`);
        break;
      case 'sql':
        lines.push(`INSERT INTO seed_${i} (id, value) VALUES (${n}, ${n + v});`);
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

function buildRepo(): { repo: TempRepo; base: string; head: string } {
  const repo = TempRepo.create('airlock-bench-risk-', { email: 'bench@airlock.local', name: 'bench' });
  const commit = (version: number): string => {
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) {
      const { path: file, kind } = fileOf(i);
      files[file] = content(i, kind, version);
    }
    return repo.commit(`version ${version}`, files);
  };
  return { repo, base: commit(0), head: commit(1) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * CPU milliseconds used so far by this process and its finished children (git), from /proc on Linux: on a
 * shared, loaded machine wall time says more about the neighbours than about the analyzer.
 */
function cpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0); // utime stime cutime cstime
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export async function main(): Promise<void> {
  const { repo, base, head } = buildRepo();
  try {
    const analyze: number[] = [];
    const score: number[] = [];
    const cpu: number[] = [];
    let summary = '';
    for (let run = 0; run < RUNS; run++) {
      const c0 = cpuMs();
      const t0 = performance.now();
      const analysis = await analyzeChange({ repo: repo.dir, base, head });
      const t1 = performance.now();
      const risk = scoreRisk(analysis);
      const t2 = performance.now();
      const c1 = cpuMs();
      analyze.push(t1 - t0);
      score.push(t2 - t1);
      if (c0 !== undefined && c1 !== undefined) cpu.push(c1 - c0);
      const { files, additions, deletions } = analysis.stats;
      summary = `${files} files, +${additions} -${deletions} (${additions + deletions} diff lines); risk ${risk.level} ${risk.score}, ${risk.signals.length} signals, ${risk.stats.symbols} symbols`;
    }
    const total = analyze.map((a, i) => a + score[i]!);
    const ms = (x: number) => `${Math.round(x)} ms`.padStart(8);
    process.stdout.write(
      [
        `risk bench: ${summary}`,
        `  analyzeChange ${ms(median(analyze))}   (runs: ${analyze.map((x) => Math.round(x)).join(', ')})`,
        `  scoreRisk     ${ms(median(score))}   (runs: ${score.map((x) => Math.round(x)).join(', ')})`,
        `  total         ${ms(median(total))}   budget ${BUDGET_MS} ms: ${median(total) < BUDGET_MS ? 'ok' : 'OVER BUDGET'}`,
        ...(cpu.length ? [`  cpu           ${ms(median(cpu))}   (node + git, runs: ${cpu.map((x) => Math.round(x)).join(', ')}; first run loads the TypeScript compiler)`] : []),
        `  load average  ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`,
      ].join('\n') + '\n',
    );
  } finally {
    repo.remove();
  }
}

if (require.main === module) runBench(main);
