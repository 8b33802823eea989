import { z } from 'zod';
import type { PipelineState } from '../../model/pipeline';
import { STAGES, OUTCOMES } from '../../model/pipeline';
import { stateQuery } from '../../workflows/messages';
import { jsonFlag, parseCommandArgs } from '../args';
import { existingPipeline, withClient } from '../client';
import type { Command } from '../command';
import { buildTimeline } from '../history/timeline';
import { renderState, renderTimeline } from '../history/render';
import { printJson, table } from '../output';
import { EXIT, ExitError } from '../errors';

const oneId = z.array(z.string()).length(1, 'expected exactly one pipeline id');

export const statusCommand: Command = {
  name: 'status',
  summary: 'the live state of a pipeline (stage, risk, findings, approvals, analysis)',
  usage: 'usage: airlock status <pipeline id> [--json]',
  async run(argv) {
    const args = parseCommandArgs('status', argv, jsonFlag, z.object({ json: z.boolean(), positionals: oneId }));
    await withClient(async (client) => {
      const handle = await existingPipeline(client, args.positionals[0]!);
      const described = await handle.describe();
      const state: PipelineState = await handle.query(stateQuery).catch((err: Error) => {
        throw new ExitError(EXIT.failure, `cannot query ${args.positionals[0]}: ${err.message} (is a worker running? \`airlock worker\`; \`airlock history\` works without one)`);
      });
      if (args.json) return printJson({ status: described.status.name, ...state });
      process.stdout.write(`${renderState(state, described.status.name)}\n`);
    });
  },
};

export const historyCommand: Command = {
  name: 'history',
  summary: 'the audit timeline of a pipeline, from its workflow history',
  usage: 'usage: airlock history <pipeline id> [--json]\n\nEvery stage with start, duration and result; risk and reasons; scan summary; policy verdict;\neach approval with identity, time, comment and signature status; canary measurements; the outcome.',
  async run(argv) {
    const args = parseCommandArgs('history', argv, jsonFlag, z.object({ json: z.boolean(), positionals: oneId }));
    await withClient(async (client) => {
      const handle = await existingPipeline(client, args.positionals[0]!);
      const history = await handle.fetchHistory();
      const timeline = buildTimeline(args.positionals[0]!, history.events ?? []);
      if (args.json) return printJson(timeline);
      process.stdout.write(`${renderTimeline(timeline)}\n`);
    });
  },
};

const STAGE_ALIASES: Record<string, string> = { 'awaiting-approval': 'approval', waiting: 'approval' };
const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

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
      z.object({
        service: z.string().min(1).optional(),
        env: z.string().min(1).optional(),
        stage: z
          .string()
          .transform((s) => STAGE_ALIASES[s] ?? s)
          .pipe(z.enum(STAGES, { message: `expected one of ${STAGES.join(', ')}, awaiting-approval` }))
          .optional(),
        outcome: z.enum(OUTCOMES).optional(),
        limit: z.coerce.number().int().min(1).max(1000),
        json: z.boolean(),
        positionals: z.array(z.string()).max(0),
      }),
    );
    const clauses = [`WorkflowType = 'deploymentPipeline'`];
    if (args.service) clauses.push(`AirlockService = ${quote(args.service)}`);
    if (args.env) clauses.push(`AirlockEnvironment = ${quote(args.env)}`);
    if (args.stage) clauses.push(`AirlockStage = ${quote(args.stage)}`);
    if (args.outcome) clauses.push(`AirlockOutcome = ${quote(args.outcome)}`);
    await withClient(async (client) => {
      const rows: Record<string, string>[] = [];
      for await (const w of client.workflow.list({ query: clauses.join(' AND ') })) {
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
        if (rows.length >= args.limit) break;
      }
      if (args.json) return printJson(rows);
      process.stdout.write(`${table(['pipeline', 'status', 'stage', 'risk', 'outcome', 'author', 'started'], rows.map((r) => [r.pipelineId!, r.status!, r.stage!, r.risk!, r.outcome!, r.author!, r.started!]))}\n`);
    });
  },
};
