import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { policyVerdict, loadPolicy } from '../../activities/policy';
import { describeUser } from '../../model/image-user';
import type { PolicyVerdict } from '../../model/policy-verdict';
import { InvalidInputError, parseWith } from '../../model/parse';
import { riskAssessmentSchema } from '../../model/risk';
import { scanSummarySchema } from '../../model/scan';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT, ExitError, badInput } from '../errors';
import { printJson } from '../output';

const usage = `usage: airlock policy check --policy <airlock.policy.yaml> --scan <summary.json> [--risk <risk.json>]
                            [--env <name>] [--rollback] [--now <ISO time>] [--json]

Evaluates the policy against a scan summary (\`airlock scan --json\`) and, optionally, a risk assessment:
vulnerability thresholds, secrets, Dockerfile rules, licenses, base images, exceptions (until they expire),
freeze windows (for --env; never for --rollback), and the approvals the risk level needs. Prints the
verdict with every violation and the policy file's sha256. Exit 0 allowed, 3 blocked by policy, 2 bad input.`;

const schema = z.object({
  policy: z.string({ error: 'is required (path of airlock.policy.yaml)' }).min(1),
  scan: z.string({ error: 'is required (a summary from airlock scan --json)' }).min(1),
  risk: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  rollback: z.boolean(),
  now: z.iso.datetime({ offset: true, error: 'must be an ISO date-time like 2026-06-15T12:00:00Z' }).optional(),
  json: z.boolean(),
  positionals: z.tuple([z.literal('check', { error: 'the only subcommand is check' })], { error: 'expects the subcommand check' }),
});

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badInput(`airlock policy check: cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(file, [`(root): not JSON (${(err as Error).message})`]);
  }
}

function render(v: PolicyVerdict): string {
  const out = [`${v.allowed ? 'allowed' : 'BLOCKED'} by policy ${v.policyDigest} (${v.action}${v.environment ? ` to ${v.environment}` : ''} at ${v.evaluatedAt})`];
  if (v.imageUser) out.push(`  image user: ${describeUser(v.imageUser)}`);
  for (const x of v.violations) out.push(`  ${x.blocking ? 'block' : 'warn '} ${x.severity.padEnd(8)} ${x.rule}: ${x.detail}`);
  for (const e of v.exceptionsApplied) out.push(`  excepted ${e.id} (owner ${e.owner}, until ${e.expires}): ${e.covered.join(', ')}`);
  for (const n of v.notVerifiable) out.push(`  note: ${n}`);
  if (v.approvals) out.push(`  approvals for ${v.approvals.level} risk: ${v.approvals.required} from ${v.approvals.from.join(', ') || '(no groups)'}${v.approvals.require.length ? `, at least one from each of ${v.approvals.require.join(', ')}` : ''}`);
  return out.join('\n');
}

export const policyCommand: Command = {
  name: 'policy',
  summary: 'check a scan summary (and risk) against airlock.policy.yaml: policy check',
  usage,
  async run(argv) {
    const args = parseCommandArgs(
      'policy',
      argv,
      { policy: { type: 'string' }, scan: { type: 'string' }, risk: { type: 'string' }, env: { type: 'string' }, rollback: { type: 'boolean', default: false }, now: { type: 'string' }, ...jsonFlag },
      schema,
    );
    const loaded = await loadPolicy(args.policy);
    const scan = parseWith(scanSummarySchema, await readJson(args.scan, 'scan summary'), args.scan);
    const risk = args.risk ? parseWith(riskAssessmentSchema, await readJson(args.risk, 'risk assessment'), args.risk) : undefined;
    const verdict = policyVerdict(loaded, scan, risk, args.now ? new Date(args.now) : new Date(), {
      action: args.rollback ? 'rollback' : 'deploy',
      ...(args.env ? { environment: args.env } : {}),
    });
    if (args.json) printJson(verdict);
    else process.stdout.write(`${render(verdict)}\n`);
    if (!verdict.allowed) throw new ExitError(EXIT.blockedByPolicy, args.json ? '' : `blocked: ${verdict.violations.filter((v) => v.blocking).length} blocking violation(s)`);
  },
};
