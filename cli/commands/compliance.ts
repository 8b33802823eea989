import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { z } from 'zod';
import { readCompliance, scheduledTarget } from '../../activities/compliance/status';
import { complianceExitCode, rescanScheduleId, type ComplianceEntry, type ComplianceStatus } from '../../model/compliance';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { printJson, progress, table } from '../output';

// `airlock compliance`: the running release of every environment, rescanned on a Temporal Schedule
// (docs/compliance.md), and whether it is compliant now; `airlock compliance rescan` runs a rescan now.

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug');

const options = { service: { type: 'string' }, env: { type: 'string' }, ...jsonFlag } as const;

const reportSchema = z.object({
  service: slug.optional(),
  env: slug.optional(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments (or: rescan <service> --env <env>)'),
});

const rescanSchema = z.object({
  service: z.undefined({ error: 'give the service as the argument: rescan <service> --env <env>' }).optional(),
  env: z.string({ message: 'is required' }).regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug'),
  json: z.boolean(),
  positionals: z.tuple([z.literal('rescan'), slug], { error: 'expects: rescan <service> --env <env>' }),
});

const usage = `usage: airlock compliance [--service <service>] [--env <env>] [--json]
       airlock compliance rescan <service> --env <env> [--json]
       airlock compliance drift [--service <service>] [--env <env>] [--reconcile] [--json]   (drift: see its --help)

Every running release (the release each environment's rescan schedule rescans: set when a pipeline
promotes it): its digest, the last rescan and the age of the Trivy DB it used, open blocking findings,
exceptions expiring within 7 days, and whether it is compliant. A release is non-compliant when its last
rescan found a blocking finding without a valid exception, or when no rescan ran for two intervals.

\`rescan\` triggers the environment's schedule now and waits for that rescan's result (onViolation applies).

Exit 0 when every release shown is compliant, 3 otherwise, 2 bad input (an unknown service/env).`;

export const complianceCommand: Command = {
  name: 'compliance',
  summary: 'compliance of the running releases (scheduled rescans); `rescan` runs one now',
  usage,
  async run(argv) {
    if (argv[0] === 'rescan') return rescan(parseCommandArgs('compliance rescan', argv, options, rescanSchema));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use, like every command (index.ts)
    if (argv[0] === 'drift') return (require('./compliance-drift') as typeof import('./compliance-drift')).complianceDriftCommand.run(argv.slice(1));
    const args = parseCommandArgs('compliance', argv, options, reportSchema);
    const entries = await withClient((client) => readCompliance(client, { ...(args.service ? { service: args.service } : {}), ...(args.env ? { environment: args.env } : {}) }));
    if (args.json) printJson({ compliant: complianceExitCode(entries) === 0, releases: entries });
    else if (entries.length === 0) progress('no running release has a rescan schedule (a pipeline writes it when it promotes a release)');
    else process.stdout.write(`${report(entries)}\n`);
    if (args.service && args.env && entries.length === 0) throw new ExitError(EXIT.badInput, `airlock compliance: ${args.service}/${args.env} has no rescan schedule (no release promoted there since compliance was added)`);
    if (complianceExitCode(entries) !== 0) throw new ExitError(EXIT.blockedByPolicy, `airlock compliance: ${entries.filter((e) => !e.compliant).length} release(s) not compliant`);
  },
};

function report(entries: ComplianceEntry[]): string {
  const rows = entries.map((e) => [
    `${e.service}/${e.environment}`,
    e.releaseId,
    e.image.slice(e.image.lastIndexOf('@') + 1, e.image.lastIndexOf('@') + 20),
    e.last ? e.last.scannedAt : 'never',
    e.dbAgeDays !== undefined ? `${e.dbAgeDays}d` : '-',
    e.compliant ? 'yes' : 'NO',
  ]);
  const lines = [table(['environment', 'release', 'digest', 'last rescan', 'db age', 'compliant'], rows)];
  for (const e of entries) {
    const details = [
      ...(e.last?.findings ?? []).map((f) => `  finding: ${f}`),
      ...(e.last?.expiring ?? []).map((x) => `  exception ${x.id} (${x.owner}) ${x.daysLeft < 0 ? 'expired' : 'expires'} ${x.expires}`),
      ...(e.last?.action ? [`  action: ${e.last.action}`] : []),
      ...(!e.compliant && !e.last?.findings.length ? [`  ${e.reason}`] : []),
    ];
    if (details.length) lines.push(`${e.service}/${e.environment} (every ${e.rescanEvery}):`, ...details);
  }
  return lines.join('\n');
}

async function rescan(args: z.output<typeof rescanSchema>): Promise<void> {
  const [, service] = args.positionals;
  const status = await withClient((client) => triggerAndWait(client, service, args.env));
  if (args.json) printJson(status);
  else {
    progress(`${service}/${args.env}: ${status.releaseId} ${status.compliant ? 'compliant' : 'NOT compliant'} (scanned ${status.scannedAt})`);
    for (const f of status.findings) progress(`  finding: ${f}`);
    if (status.action) progress(`  action: ${status.action}`);
  }
  if (!status.compliant) throw new ExitError(EXIT.blockedByPolicy, `airlock compliance rescan: ${service}/${args.env} is not compliant`);
}

/** Triggers the schedule (its action, its release) and waits for the rescan it started. */
async function triggerAndWait(client: Client, service: string, environment: string): Promise<ComplianceStatus> {
  const handle = client.schedule.getHandle(rescanScheduleId(service, environment));
  let before: Set<string>;
  try {
    const d = await handle.describe();
    scheduledTarget(d);
    before = new Set([...d.info.recentActions, ...d.info.runningActions.map((action) => ({ action }))].map((r) => r.action.workflow.workflowId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ExitError(EXIT.badInput, `airlock compliance rescan: ${service}/${environment} has no rescan schedule (no release promoted there since compliance was added)`);
    throw err;
  }
  await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await handle.describe();
    const started = [...d.info.runningActions, ...d.info.recentActions.map((r) => r.action)].find((a) => !before.has(a.workflow.workflowId));
    if (started) {
      progress(`rescanning ${service}/${environment}: workflow ${started.workflow.workflowId}`);
      return (await client.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result()) as ComplianceStatus;
    }
    if (Date.now() > deadline) throw new ExitError(EXIT.failure, `airlock compliance rescan: the schedule did not start a rescan within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
