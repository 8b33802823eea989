import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import type { AirlockConfig } from '../../infra/config';
import { deploymentPipeline, pipelineStartOptions, triggerUpdate } from '../../workflows';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import type { PipelineInput, PipelineState } from '../../model/pipeline';
import { printJson, progress } from '../output';
import { ciContext } from '../pipeline/ci-context';
import { pipelineInputFor } from '../pipeline/input';
import { waitForOutcome } from '../pipeline/follow';

const options = {
  repo: { type: 'string' },
  'repo-url': { type: 'string' },
  'service-dir': { type: 'string' },
  env: { type: 'string' },
  to: { type: 'string' },
  commit: { type: 'string' },
  base: { type: 'string' },
  author: { type: 'string' },
  policy: { type: 'string' },
  wait: { type: 'boolean', default: false },
  ...jsonFlag,
} as const;

const schema = z.object({
  repo: z.string({ message: 'is required: the git repository to deploy from' }).min(1),
  'repo-url': z.string().min(1).optional(),
  'service-dir': z.string().min(1).optional(),
  env: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
  commit: z.string().min(1).optional(),
  base: z.string().min(1).optional(),
  author: z.string().min(1).optional(),
  policy: z.string().min(1).optional(),
  wait: z.boolean(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

export const triggerCommand: Command = {
  name: 'trigger',
  summary: 'start (or attach to) the pipeline of a commit; --wait exits with its outcome',
  usage: `usage: airlock trigger --repo <dir> (--env <env> | --to <env>) [--repo-url <url>] [--service-dir <subdir>]
                       [--commit <rev>] [--base <rev>] [--author <id>] [--wait] [--json]

With \`promotion: [staging, production]\` in airlock.yaml, one pipeline builds the commit once and carries
it through the environments in order up to --to (default: the last one; --env names it too): per
environment its gate, lock, approvals, rollout, analysis and soak; a failure stops it there. The order,
soaks and approval rules are the ones of airlock.yaml at the target environment's stable release.

The worker fetches the commits into its own cache from --repo-url (https://, ssh://, file://), by
default the file:// URL of the --repo checkout; it never reads the checkout in place.
Reads GitHub Actions / GitLab CI variables when present (sha, before-sha, actor, run URL).
--commit defaults to the CI sha or HEAD, --base to the commit's parent. --base is information only:
the change judged is everything the environment does not run yet (its stable release..commit), by the
policy at the stable release's commit (a first release: the worker's bootstrap approvers). The policy
path is set in airlock.yaml (\`policy:\`), not here: --policy is refused. Triggering a commit whose
pipeline is running attaches to it. With --wait, exit codes: 0 promoted, 3 blocked by policy,
4 rejected, 5 expired, 6 rolled back, 1 other failure; 2 is bad input. A promotion exits 0 only when the
last environment promoted; otherwise with the code of the environment where it stopped.`,
  run: (argv) => runTrigger(argv),
};

/** What `airlock trigger` reaches outside itself: Temporal (through withClient) and the CI environment. Tests inject both. */
export interface TriggerDeps {
  withClient: <T>(fn: (client: Client, config: Pick<AirlockConfig, 'temporal'>) => Promise<T>) => Promise<T>;
  env: Record<string, string | undefined>;
}

/**
 * The trigger: every check of the flags and the repository (parseCommandArgs, pipelineInputFor and its
 * pipelineInputSchema) runs before Temporal is contacted, so bad input never starts a workflow
 * (property-tested in test/unit/fuzz-cli.test.ts with a client that records its calls).
 */
export async function runTrigger(argv: string[], deps: TriggerDeps = { withClient: (fn) => withClient(fn), env: process.env }): Promise<void> {
  const args = parseCommandArgs('trigger', argv, options, schema);
  const input = await pipelineInputFor(
    { repo: args.repo, repoUrl: args['repo-url'], serviceDir: args['service-dir'], env: args.env, to: args.to, commit: args.commit, base: args.base, author: args.author, policy: args.policy },
    ciContext(deps.env),
  );
  await startPipelineOf(input, args, deps);
}

/** Starts (or attaches to) the pipeline of `input`; with `wait`, follows it and exits with its outcome. */
export async function startPipelineOf(input: PipelineInput, args: { json: boolean; wait: boolean }, deps: TriggerDeps): Promise<void> {
  await deps.withClient(async (client, config) => {
    const opts = pipelineStartOptions(input, config.temporal.taskQueue);
    const attached = await client.workflow
      .getHandle(opts.workflowId)
      .describe()
      .then((d) => d.status.name === 'RUNNING', () => false);
    // --wait needs the run's state anyway: Update-with-Start answers with it (after the run's first workflow
    // task, so a worker must be up); without --wait the trigger returns once the start is recorded
    const { handle, runId, first } = args.wait ? await startWithAnswer(client, opts) : await startOnly(client, opts);
    if (!args.json) progress(`${attached ? 'attached to running' : 'started'} pipeline ${opts.workflowId}\n  ${input.service} -> ${input.environment}, ${input.baseCommit.slice(0, 12)}..${input.headCommit.slice(0, 12)} by ${input.author}`);
    if (!args.wait) {
      if (args.json) printJson({ pipelineId: opts.workflowId, runId, attached });
      return;
    }
    await waitForOutcome(handle, { json: args.json, runId, attached }, first ? { first } : {});
  });
}

type StartOptions = ReturnType<typeof pipelineStartOptions>;
interface Started {
  handle: WorkflowHandle;
  runId: string;
  /** the run's state after its first workflow task (or now, when it was running), from the trigger Update */
  first?: PipelineState;
}

/** Start (USE_EXISTING: attach to the running one); the run id comes with the answer, no describe needed. */
async function startOnly(client: Client, opts: StartOptions): Promise<Started> {
  const handle = await client.workflow.start(deploymentPipeline, opts);
  return { handle, runId: handle.firstExecutionRunId };
}

/**
 * Update-with-Start (workflows/messages.ts triggerUpdate): the start, the run id and its first state in one
 * call. Refused (a run that answered MAX_TRIGGER_ANSWERS triggers, a worker of a version without the
 * handler): falls back to a plain start, which attaches to the run the refused call may have started.
 */
async function startWithAnswer(client: Client, opts: StartOptions): Promise<Started> {
  const op = new WithStartWorkflowOperation(deploymentPipeline, opts);
  try {
    const first = await client.workflow.executeUpdateWithStart(triggerUpdate, { startWorkflowOperation: op });
    const handle = await op.workflowHandle();
    return { handle, runId: first.runId ?? (await handle.describe()).runId, first };
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    return startOnly(client, opts);
  }
}
