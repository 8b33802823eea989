import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { analyzeChange } from '../../activities/change';
import { gitRaw } from '../../activities/shared';
import { scoreRisk } from '../../activities/risk';
import { riskPolicySchema, type RiskPolicy } from '../../model/change';
import { parseWith } from '../../model/parse';
import type { RiskAssessment } from '../../model/risk';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { badInput } from '../errors';
import { printJson, table } from '../output';

const usage = `usage: airlock risk --repo <dir> --base <rev> --head <rev> [--policy <file>] [--json]

Analyzes the change base..head of a git repository and scores its risk (0-100, low/medium/high), with
the signals that raised it. Reads nothing but the repository (and the policy file).

  --repo <dir>      the repository (default: the current directory)
  --base <rev>      the deployed commit (what the change is compared with)
  --head <rev>      the candidate commit (default: HEAD)
  --policy <file>   airlock.policy.yaml whose \`risk:\` block overrides weights, path rules and thresholds
                    (inside the repository it is a gate file: a change to it is high risk)
  --json            print {score, level, signals[{kind, weight, reason, files}], stats}`;

const options = {
  repo: { type: 'string', default: '.' },
  base: { type: 'string' },
  head: { type: 'string', default: 'HEAD' },
  policy: { type: 'string' },
  ...jsonFlag,
} as const;

const argsSchema = z.object({
  repo: z.string().min(1),
  base: z.string({ error: 'is required (the deployed commit, e.g. --base origin/main)' }).min(1),
  head: z.string().min(1),
  policy: z.string().min(1).optional(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

export const riskCommand: Command = {
  name: 'risk',
  summary: 'score the risk of a change (base..head) from the diff, with the reasons',
  usage,
  async run(argv) {
    const args = parseCommandArgs('risk', argv, options, argsSchema);
    const policy = args.policy ? await readRiskPolicy(args.policy) : undefined;
    const policyPath = args.policy ? await pathInRepository(args.repo, args.policy) : undefined;
    const analysis = await analyzeChange({ repo: args.repo, base: args.base, head: args.head, ...(policyPath ? { policyPath } : {}) });
    const assessment = scoreRisk(analysis, policy);
    if (args.json) printJson(assessment);
    else process.stdout.write(`${render(assessment, args.base, args.head)}\n`);
  },
};

/** `file` as a path from the top of the repository that holds `repo`, or undefined when it is outside. */
async function pathInRepository(repo: string, file: string): Promise<string | undefined> {
  const top = await gitRaw(path.resolve(repo), ['rev-parse', '--show-toplevel']);
  if (top.code !== 0) return undefined; // analyzeChange reports what is wrong with --repo
  const [root, target] = await Promise.all([realpath(top.stdout.trim()), realpath(path.resolve(file)).catch(() => path.resolve(file))]);
  const relative = path.relative(root, target);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative.split(path.sep).join('/');
}

/** The `risk:` block of a policy file; its other top-level keys belong to the policy gate and are ignored here. */
async function readRiskPolicy(file: string): Promise<RiskPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badInput(`airlock risk: cannot read --policy ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw badInput(`airlock risk: ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw badInput(`airlock risk: ${file} must be a YAML mapping`);
  }
  const block = doc ? (doc as Record<string, unknown>).risk : undefined;
  return parseWith(riskPolicySchema, block ?? undefined, `${file} (risk block)`);
}

/** The readable form: a header line, then one table row per signal with its reason wrapped under REASON. */
export function render(a: RiskAssessment, base: string, head: string, width = 120): string {
  const s = a.stats;
  const header = `risk ${a.level.toUpperCase()} (score ${a.score}/100) for ${base}..${head}: ${s.files} files, +${s.additions} -${s.deletions}`;
  if (a.signals.length === 0) return `${header}\nno changes`;
  const rows = a.signals.map((sig) => [sig.kind, String(sig.weight), String(sig.files.length)]);
  const lines = table(['SIGNAL', 'WEIGHT', 'FILES'], rows).split('\n');
  const indent = (lines[1] ?? '').length + 2;
  const wrapAt = Math.max(40, width - indent);
  const body = lines.slice(2).flatMap((line, i) => {
    const [first = '', ...rest] = wrap(a.signals[i]?.reason ?? '', wrapAt);
    return [`${line.padEnd(indent)}${first}`, ...rest.map((r) => `${' '.repeat(indent)}${r}`)];
  });
  return [header, '', `${(lines[0] ?? '').padEnd(indent)}REASON`, `${lines[1] ?? ''}  ${'-'.repeat(6)}`, ...body].join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
