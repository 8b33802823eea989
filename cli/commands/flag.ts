import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { flagsDirOf, readServed } from '../../activities/flags/store';
import type { FlagKillResult, FlagRolloutOutcome, FlagRolloutState } from '../../model/flag-activities';
import { DEFAULT_FLAG_STEPS, FLAG_KEY, flagKillMessageText, flagKillWorkflowId, flagRolloutWorkflowId, flagStepProblems, shareOf, signFlagKill } from '../../model/flags';
import { isSlug } from '../../model/names';
import { flagKill } from '../../workflows/flag-kill';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { signFlagApproval } from '../../model/flag-approval';
import { flagApproveUpdate, flagRolloutStateQuery } from '../../workflows/flag-messages';
import { flagRollout } from '../../workflows/flag-rollout';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { badInput, EXIT, ExitError } from '../errors';
import { readKey } from '../keys';
import { printJson, progress, table } from '../output';

const slug = z.string({ message: 'is required' }).refine(isSlug, 'must be a lowercase slug');
const flagKey = z.string().regex(FLAG_KEY, 'must be a flag key (lowercase letters, digits, dashes)');
const steps = z
  .string()
  .transform((s, ctx) => {
    const list = s.split(',').map((x) => Number(x.trim()));
    for (const p of flagStepProblems(list)) ctx.addIssue({ code: 'custom', message: p });
    return list;
  })
  .optional();

const rolloutSchema = z.object({
  env: slug,
  steps,
  window: z.coerce.number().int().min(3).max(600).optional(),
  rps: z.coerce.number().int().min(0).max(200).optional(),
  as: z.string().min(1).optional(),
  wait: z.boolean(),
  json: z.boolean(),
  positionals: z.tuple([slug, flagKey], { error: 'expects: <service> <flag>' }),
});

const killSchema = z.object({
  env: slug,
  as: z.string({ message: 'is required: the identity whose key signs the kill' }).min(1),
  reason: z.string({ message: 'is required: why the flag is killed' }).min(1).max(500),
  json: z.boolean(),
  positionals: z.tuple([slug, flagKey], { error: 'expects: <service> <flag>' }),
});

const approveSchema = z.object({
  env: slug,
  as: z.string({ message: 'is required: the approver identity (its key signs)' }).min(1),
  json: z.boolean(),
  positionals: z.tuple([slug, flagKey], { error: 'expects: <service> <flag>' }),
});

const statusSchema = z.object({
  env: slug,
  json: z.boolean(),
  positionals: z.tuple([slug], { error: 'expects: <service>' }),
});

/** Exit codes like `trigger`: 0 fully on, 6 killed (the flag is off again), 2 refused input, 1 failed. */
export function exitCodeOf(outcome: FlagRolloutOutcome): number {
  switch (outcome.kind) {
    case 'completed':
      return EXIT.ok;
    case 'killed':
      return EXIT.rolledBack;
    case 'refused':
      return EXIT.badInput;
    case 'failed':
      return EXIT.failure;
  }
}

function describe(outcome: FlagRolloutOutcome): string {
  switch (outcome.kind) {
    case 'completed':
      return 'on for everyone (100%)';
    case 'killed':
      return `killed by ${outcome.by} at step ${outcome.step} (${outcome.share}%): ${outcome.reason}`;
    case 'refused':
      return `refused: ${outcome.reason}`;
    case 'failed':
      return `failed: ${outcome.cause.type}: ${outcome.cause.message}`;
  }
}

const USAGE = `usage: airlock flag rollout <service> <flag> --env <env> [--steps 1,5,25,50,100] [--window <s>] [--rps <n>] [--wait] [--json]
       airlock flag kill <service> <flag> --env <env> --as <identity> --reason <text> [--json]
       airlock flag approve <service> <flag> --env <env> --as <identity> [--json]
       airlock flag status <service> --env <env> [--json]

rollout  raises the flag's fractional share of users on "on" step by step (flagd format, flags.flagd.json in
         the service repository at the commit the environment runs), holding the environment lock; at each
         step the "on" variant's 5xx and 401/403 shares are judged against thresholds and against "off" over
         the same window. A failed check kills the flag (off for everyone) and records why.
         Exit: 0 fully on, 6 killed, 2 refused (bad definitions, steps), 1 failed.
kill     off for everyone at once, signed with $AIRLOCK_HOME/keys/<identity>.ed25519: the signer must be an
         approver of the environment's policy. Does not wait for the environment lock.
approve  a signed approval of a waiting rollout: a flag is as risky as the code that names it (auth,
         payments, crypto... paths: high; data, infra, network, api: medium); medium and high wait for the
         approvals the environment's policy asks for that level (not from the flag's owner or requester).
status   each flag of the environment: what its instances are served, and airlock's record (share, killed).`;

export const flagCommand: Command = {
  name: 'flag',
  summary: 'feature flags: flag rollout | kill | status (flagd definitions, per-variant analysis, kill switch)',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'rollout') return rollout(rest);
    if (sub === 'kill') return kill(rest);
    if (sub === 'status') return status(rest);
    if (sub === 'approve') return approve(rest);
    throw badInput(`airlock flag: expected rollout, kill or status, got ${sub ? `'${sub}'` : 'nothing'}\n${USAGE}`);
  },
};

async function rollout(argv: string[]): Promise<void> {
  const args = parseCommandArgs(
    'flag rollout',
    argv,
    { env: { type: 'string' }, steps: { type: 'string' }, window: { type: 'string' }, rps: { type: 'string' }, as: { type: 'string' }, wait: { type: 'boolean', default: false }, ...jsonFlag },
    rolloutSchema,
  );
  const [service, flag] = args.positionals;
  await withClient(async (client, config) => {
    const workflowId = flagRolloutWorkflowId(service, args.env, flag);
    const handle = await client.workflow.start(flagRollout, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          service,
          environment: args.env,
          flag,
          steps: args.steps ?? [...DEFAULT_FLAG_STEPS],
          ...(args.as ? { requestedBy: args.as } : {}),
          ...(args.window ? { windowMs: args.window * 1000 } : {}),
          ...(args.rps !== undefined ? { loadRps: args.rps } : {}),
        },
      ],
      // a second `flag rollout` of the same flag attaches to the running one
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    if (!args.wait) {
      if (args.json) return printJson({ workflowId, runId: handle.firstExecutionRunId });
      return progress(`flag rollout started: ${workflowId} (airlock flag status ${service} --env ${args.env})`);
    }
    if (!args.json) progress(`rolling out ${flag} in ${service}/${args.env}: ${workflowId}`);
    const outcome = await handle.result();
    const state: FlagRolloutState | undefined = await handle.query(flagRolloutStateQuery).catch(() => undefined);
    if (args.json) printJson({ workflowId, outcome, analysis: state?.analysis ?? [] });
    else {
      for (const a of state?.analysis ?? [])
        progress(`  step ${a.step} ${String(a.share).padStart(3)}%  ${a.verdict.padEnd(12)} on ${a.on.requests} req ${a.on.errors} 5xx ${a.on.denied} 401/403 | off ${a.off.requests} req ${a.off.errors} 5xx ${a.off.denied} 401/403${a.reasons.length ? `  ${a.reasons.join('; ')}` : ''}`);
      progress(`${flag}: ${describe(outcome)}`);
      if (state?.evidence) progress(state.evidence.recorded ? `recorded in the evidence chain of ${state.evidence.image ?? '?'} (airlock verify; airlock history ${workflowId})` : 'NOT recorded in the evidence chain (see the worker log)');
    }
    const code = exitCodeOf(outcome);
    if (code !== EXIT.ok) throw new ExitError(code, `${flag}: ${describe(outcome)}`);
  });
}

async function kill(argv: string[]): Promise<void> {
  const args = parseCommandArgs('flag kill', argv, { env: { type: 'string' }, as: { type: 'string' }, reason: { type: 'string' }, ...jsonFlag }, killSchema);
  const [service, flag] = args.positionals;
  await withClient(async (client, config) => {
    const started = performance.now();
    const workflowId = flagKillWorkflowId(service, args.env, flag, randomBytes(8).toString('hex'));
    const subject = { service, environment: args.env, flag, reason: args.reason, workflowId };
    const signature = signFlagKill(readKey(config.dirs.keys, args.as), subject);
    const result: FlagKillResult = await client.workflow.execute(flagKill, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ service, environment: args.env, flag, reason: args.reason, by: args.as, signature }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    const ms = Math.round(performance.now() - started);
    if (args.json) printJson({ workflowId, ...result, ms, signedMessage: flagKillMessageText(subject) });
    else if (result.kind === 'killed') {
      progress(`${flag} killed in ${service}/${args.env} by ${args.as} (${ms} ms): off for everyone`);
      if (result.evidence) progress(result.evidence.recorded ? `recorded in the evidence chain of ${result.evidence.image ?? '?'}` : 'NOT recorded in the evidence chain (see the worker log)');
    }
    if (result.kind === 'refused') throw new ExitError(EXIT.failure, `flag kill refused: ${result.reason}`);
  });
}

async function approve(argv: string[]): Promise<void> {
  const args = parseCommandArgs('flag approve', argv, { env: { type: 'string' }, as: { type: 'string' }, ...jsonFlag }, approveSchema);
  const [service, flag] = args.positionals;
  await withClient(async (client, config) => {
    const workflowId = flagRolloutWorkflowId(service, args.env, flag);
    const handle = client.workflow.getHandle(workflowId);
    const state: FlagRolloutState = await handle.query(flagRolloutStateQuery);
    if (state.stage !== 'approval' || !state.risk || !state.runId || !state.commit) throw new ExitError(EXIT.failure, `flag approve refused: ${workflowId} is not waiting for approval (stage ${state.stage})`);
    const subject = { workflowId, runId: state.runId, service, environment: args.env, flag, level: state.risk.level, commit: state.commit, steps: state.steps };
    const signature = signFlagApproval(readKey(config.dirs.keys, args.as), subject);
    try {
      const receipt = await handle.executeUpdate(flagApproveUpdate, { args: [{ approver: args.as, signature }] });
      if (args.json) return printJson(receipt);
      const missing = receipt.missingGroups.length ? `; still needed from ${receipt.missingGroups.join(', ')}` : '';
      progress(`approval by ${args.as} accepted (${receipt.approvals}/${receipt.needed}${missing})`);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new ExitError(EXIT.failure, `flag approve refused: ${err.cause?.message ?? err.message}`);
      throw err;
    }
  });
}

async function status(argv: string[]): Promise<void> {
  const args = parseCommandArgs('flag status', argv, { env: { type: 'string' }, ...jsonFlag }, statusSchema);
  const [service] = args.positionals;
  await withClient(async (client, config) => {
    // the served file lives on the worker's host (AIRLOCK_HOME/flags): read where the CLI shares it (local stack)
    const served = await readServed(flagsDirOf(config.home, service, args.env));
    const running: FlagRolloutState[] = [];
    const query = `WorkflowType = 'flagRollout' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH 'airlock-flag/${service}/${args.env}/'`;
    for await (const wf of client.workflow.list({ query })) {
      const state = await client.workflow.getHandle(wf.workflowId).query(flagRolloutStateQuery).catch(() => undefined);
      if (state) running.push(state);
    }
    const rows = Object.entries(served.file.flags).map(([key, def]) => {
      const record = served.state[key];
      const live = running.find((r) => r.flag === key);
      const share = shareOf(def);
      return {
        flag: key,
        serving: share === null ? `custom targeting (default ${def.defaultVariant})` : `${share}% on`,
        killed: record?.killed ? `by ${record.killed.by} at ${record.killed.at}: ${record.killed.reason}` : '',
        rollout: live ? `step ${live.analysis.length ? live.analysis[live.analysis.length - 1]!.step : 0}/${live.steps.length} (${live.stage})` : '',
      };
    });
    if (args.json) return printJson({ service, environment: args.env, flags: rows });
    if (rows.length === 0) return progress(`no flags served in ${service}/${args.env} yet`);
    process.stdout.write(`${table(['flag', 'serving', 'rollout', 'killed'], rows.map((r) => [r.flag, r.serving, r.rollout, r.killed]))}\n`);
  });
}
