import type { Client, WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { PipelineState } from '../../model/pipeline';
import { STAGES, OUTCOMES } from '../../model/pipeline';
import { stateQuery } from '../../workflows/messages';
import { jsonFlag, parseCommandArgs } from '../args';
import { existingPipeline, withClient } from '../client';
import type { Command } from '../command';
import { buildTimeline } from '../history/timeline';
import { renderState, renderTimeline } from '../history/render';
import { printJson, progress, table } from '../output';
import { buildFlagTimeline, flagTimelineSummary, isFlagWorkflowId, renderFlagTimeline } from '../history/flag-timeline';
import { isSlug } from '../../model/names';
import { EXIT, ExitError } from '../errors';

const oneId = z.array(z.string()).length(1, 'expected exactly one pipeline id');

type Show = (handle: WorkflowHandle, id: string) => Promise<{ json: unknown; text: () => string }>;

/** `airlock <name> <pipeline id> [--json]`: `show` reads the pipeline and says what to print, as JSON or as text. */
function pipelineCommand(about: Pick<Command, 'name' | 'summary' | 'usage'>, show: Show): Command {
  const { name } = about;
  return {
    ...about,
    async run(argv) {
      const args = parseCommandArgs(name, argv, jsonFlag, z.object({ json: z.boolean(), positionals: oneId }));
      const id = args.positionals[0]!;
      await withClient(async (client) => {
        const shown = await show(await existingPipeline(client, id), id);
        if (args.json) return printJson(shown.json);
        process.stdout.write(`${shown.text()}\n`);
      });
    },
  };
}

/** The live state from the `state` query (needs a worker), with the workflow's status. */
const showState: Show = async (handle, id) => {
  const described = await handle.describe();
  const state: PipelineState = await handle.query(stateQuery).catch((err: Error) => {
    throw new ExitError(EXIT.failure, `cannot query ${id}: ${err.message} (is a worker running? \`airlock worker\`; \`airlock history\` works without one)`);
  });
  return { json: { status: described.status.name, ...state }, text: () => renderState(state, described.status.name) };
};

/** The audit timeline, from the workflow history alone. */
const showHistory: Show = async (handle, id) => {
  const timeline = buildTimeline(id, (await handle.fetchHistory()).events ?? []);
  return { json: timeline, text: () => renderTimeline(timeline) };
};

export const statusCommand = pipelineCommand(
  { name: 'status', summary: 'the live state of a pipeline (stage, risk, findings, approvals, analysis)', usage: 'usage: airlock status <pipeline id> [--json]' },
  showState,
);

const HISTORY_USAGE = `usage: airlock history <pipeline id | flag workflow id> [--json]
       airlock history <service> [--env <env>] [--limit N] [--json]

A pipeline: every stage with start, duration and result; risk and reasons; scan summary; policy verdict;
each approval with identity, time, comment and signature status; canary measurements; the outcome.
A flag change (airlock-flag/... or airlock-flag-kill/...): where the definition and the protected policy were
read, risk and thresholds, each window's per-variant analysis, approvals, the outcome (fully on, killed: by
whom, why) and its flag link in the serving release's evidence chain.
A service: its pipelines and flag changes, newest first, one line each.`;
const HISTORY_SUMMARY = 'the audit timeline of a pipeline or a flag change, or every change of a service (deploys and flag changes)';
const pipelineHistory = pipelineCommand({ name: 'history', summary: HISTORY_SUMMARY, usage: HISTORY_USAGE }, showHistory);

export const historyCommand: Command = {
  name: 'history',
  summary: HISTORY_SUMMARY,
  usage: HISTORY_USAGE,
  async run(argv) {
    const target = argv.find((a) => !a.startsWith('-'));
    if (target && target.includes('/') && !isFlagWorkflowId(target)) return pipelineHistory.run(argv);
    const args = parseCommandArgs(
      'history',
      argv,
      { env: { type: 'string' }, limit: { type: 'string', default: '20' }, ...jsonFlag },
      z.object({ env: z.string().min(1).optional(), limit: z.coerce.number().int().min(1).max(200), json: z.boolean(), positionals: oneId }),
    );
    const id = args.positionals[0]!;
    await withClient(async (client) => {
      if (isFlagWorkflowId(id)) {
        const handle = client.workflow.getHandle(id);
        const events = (await handle.fetchHistory().catch((err: Error) => {
          throw new ExitError(EXIT.badInput, `unknown flag workflow id: ${id} (${err.message})`);
        })).events ?? [];
        const tl = buildFlagTimeline(id, events);
        if (args.json) return printJson(tl);
        return void process.stdout.write(`${renderFlagTimeline(tl)}\n`);
      }
      if (!isSlug(id)) throw new ExitError(EXIT.badInput, `history: ${id} is neither a pipeline id, a flag workflow id nor a service name`);
      const rows = await serviceChanges(client, id, args.env, args.limit);
      if (args.json) return printJson(rows);
      if (rows.length === 0) return progress(`no pipelines or flag changes of ${id}${args.env ? ` in ${args.env}` : ''}`);
      process.stdout.write(`${table(['started', 'kind', 'environment', 'id', 'outcome'], rows.map((r) => [r.started, r.kind, r.environment, r.id, r.outcome]))}\n`);
    });
  },
};

/** One change of a service: a pipeline or a flag change, for `airlock history <service>`. */
export interface ServiceChange {
  started: string;
  kind: 'pipeline' | 'flag rollout' | 'flag kill';
  environment: string;
  id: string;
  outcome: string;
}

/** A service's pipelines (search attributes) and flag changes (their histories), newest first, at most `limit`. */
export async function serviceChanges(client: Client, service: string, env: string | undefined, limit: number): Promise<ServiceChange[]> {
  const pipelines = (await listPipelines(client, { service, ...(env ? { env } : {}) }, limit)).map(
    (p): ServiceChange => ({ started: p.started, kind: 'pipeline', environment: p.environment, id: p.pipelineId, outcome: p.outcome || p.status.toLowerCase() }),
  );
  const prefix = (kind: string) => `${kind}/${service}/${env ? `${env}/` : ''}`.replace(/['\\]/g, '');
  const query = `(WorkflowType = 'flagRollout' AND WorkflowId STARTS_WITH '${prefix('airlock-flag')}') OR (WorkflowType = 'flagKill' AND WorkflowId STARTS_WITH '${prefix('airlock-flag-kill')}')`;
  const flags: ServiceChange[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const tl = buildFlagTimeline(wf.workflowId, (await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()).events ?? []);
    flags.push({ started: wf.startTime.toISOString(), kind: tl.kind === 'kill' ? 'flag kill' : 'flag rollout', environment: tl.environment ?? '', id: wf.workflowId, outcome: flagTimelineSummary(tl) });
    if (flags.length >= limit) break;
  }
  return [...pipelines, ...flags].sort((a, b) => b.started.localeCompare(a.started)).slice(0, limit);
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/** `airlock list`'s filters (the dashboard's list takes the same). */
export interface ListFilters {
  service?: string;
  env?: string;
  stage?: string;
  outcome?: string;
}

/** One row of `airlock list` (and of the dashboard's pipelines list), from the search attributes. */
export interface PipelineRow {
  pipelineId: string;
  status: string;
  service: string;
  environment: string;
  stage: string;
  risk: string;
  outcome: string;
  author: string;
  started: string;
}

/** The visibility query of `airlock list`; values are quoted with quotes and backslashes dropped. */
export function listQuery(f: ListFilters): string {
  const clauses = [`WorkflowType = 'deploymentPipeline'`];
  if (f.service) clauses.push(`AirlockService = ${quote(f.service)}`);
  if (f.env) clauses.push(`AirlockEnvironment = ${quote(f.env)}`);
  if (f.stage) clauses.push(`AirlockStage = ${quote(f.stage)}`);
  if (f.outcome) clauses.push(`AirlockOutcome = ${quote(f.outcome)}`);
  return clauses.join(' AND ');
}

/** Pipelines matching `filters`, newest first, at most `limit`. */
export async function listPipelines(client: Client, filters: ListFilters, limit: number): Promise<PipelineRow[]> {
  const rows: PipelineRow[] = [];
  for await (const w of client.workflow.list({ query: listQuery(filters) })) {
    const sa = (k: string) => String((w.searchAttributes?.[k] as unknown[] | undefined)?.[0] ?? '');
    rows.push({
      pipelineId: w.workflowId,
      status: w.status.name,
      service: sa('AirlockService'),
      environment: sa('AirlockEnvironment'),
      stage: sa('AirlockStage'),
      risk: sa('AirlockRiskLevel'),
      outcome: sa('AirlockOutcome'),
      author: sa('AirlockAuthor'),
      started: w.startTime.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}

export const STAGE_ALIASES: Record<string, string> = { 'awaiting-approval': 'approval', waiting: 'approval' };

/** The filters of `airlock list` (and of the dashboard's list), validated. */
export const listFiltersSchema = z.object({
  service: z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  stage: z
    .string()
    .transform((s) => STAGE_ALIASES[s] ?? s)
    .pipe(z.enum(STAGES, { message: `expected one of ${STAGES.join(', ')}, awaiting-approval` }))
    .optional(),
  outcome: z.enum(OUTCOMES).optional(),
});

export const listCommand: Command = {
  name: 'list',
  summary: 'pipelines, newest first, filtered by service, env, stage or outcome',
  usage: `usage: airlock list [--service <s>] [--env <e>] [--stage <stage>] [--outcome <outcome>] [--limit N] [--json]

stages: ${STAGES.join(', ')} (awaiting-approval = approval)
outcomes: ${OUTCOMES.join(', ')}`,
  async run(argv) {
    const args = parseCommandArgs(
      'list',
      argv,
      { service: { type: 'string' }, env: { type: 'string' }, stage: { type: 'string' }, outcome: { type: 'string' }, limit: { type: 'string', default: '50' }, ...jsonFlag },
      listFiltersSchema.extend({
        limit: z.coerce.number().int().min(1).max(1000),
        json: z.boolean(),
        positionals: z.array(z.string()).max(0),
      }),
    );
    await withClient(async (client) => {
      const rows = await listPipelines(client, args, args.limit);
      if (args.json) return printJson(rows);
      process.stdout.write(`${table(['pipeline', 'status', 'stage', 'risk', 'outcome', 'author', 'started'], rows.map((r) => [r.pipelineId, r.status, r.stage, r.risk, r.outcome, r.author, r.started]))}\n`);
    });
  },
};
