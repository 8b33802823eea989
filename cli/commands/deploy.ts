import { resolve } from 'node:path';
import { z } from 'zod';
import { loadManifest } from '../../activities/shared';
import { deployTargetOf, releaseIdForImage } from '../../model/deploy';
import { deployRelease, deployWorkflowId, type DeployReleaseOutcome } from '../../workflows/deploy-release';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { EXIT, exitCodeOfType, ExitError } from '../errors';
import { printJson, progress } from '../output';

const options = {
  'service-dir': { type: 'string' },
  env: { type: 'string' },
  image: { type: 'string' },
  wait: { type: 'boolean', default: false },
  ...jsonFlag,
} as const;

const schema = z.object({
  'service-dir': z.string({ message: 'is required: the directory with airlock.yaml' }).min(1),
  env: z.string({ message: 'is required: the environment to deploy to' }).min(1),
  image: z.string({ message: 'is required: the image, pinned as <repository>@sha256:<digest>' }).regex(/@sha256:[0-9a-f]{64}$/, 'must be pinned by digest: <repository>@sha256:<64 hex>'),
  wait: z.boolean(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

/** Exit code of a deploy outcome: 0 promoted (or already stable), 6 rolled back, failed by its cause (2 bad input, 1 other). */
export function deployExitCode(outcome: DeployReleaseOutcome): number {
  if (outcome.kind === 'promoted' || outcome.kind === 'unchanged') return EXIT.ok;
  if (outcome.kind === 'rolled_back') return EXIT.rolledBack;
  return exitCodeOfType(outcome.cause.type);
}

export function describeDeploy(o: DeployReleaseOutcome): string {
  const steps = 'analysis' in o ? o.analysis.map((v) => `${v.step}% ${v.verdict}`).join(', ') : '';
  switch (o.kind) {
    case 'promoted':
      return `promoted ${o.releaseId}${steps ? ` (canary analysis: ${steps})` : ''}`;
    case 'unchanged':
      return o.reason;
    case 'rolled_back':
      return `rolled back ${o.releaseId}${o.step !== undefined ? ` at ${o.step}%` : ''}: ${o.reason}`;
    case 'failed':
      return `failed at ${o.stage}: ${o.cause.type}: ${o.cause.message}`;
  }
}

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy a built image (by digest) through canary or blue-green analysis; --wait exits with the outcome',
  usage: `usage: airlock deploy --service-dir <dir> --env <env> --image <repository@sha256:...> [--wait] [--json]

Reads airlock.yaml in the service directory for the environment's router port, replicas, rollout
(canary steps or blue-green) and analysis. The release id derives from the digest: deploying the same
image again attaches to (or repeats nothing of) the same deployment. With --wait, exit codes: 0 promoted
or already stable, 6 rolled back, 2 bad input, 1 other failure.`,
  async run(argv) {
    const args = parseCommandArgs('deploy', argv, options, schema);
    const target = deployTargetOf(await loadManifest(resolve(args['service-dir'])), args.env);
    const releaseId = releaseIdForImage(target.service, target.environment, args.image);
    await withClient(async (client, config) => {
      const workflowId = deployWorkflowId(target.service, target.environment, releaseId);
      const handle = await client.workflow.start(deployRelease, {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [{ target, releaseId, image: args.image }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      if (!args.json) progress(`deploying ${releaseId} to ${target.service}/${target.environment} (${target.settings.rollout.strategy}): workflow ${workflowId}`);
      if (!args.wait) {
        if (args.json) printJson({ workflowId, runId: handle.firstExecutionRunId, releaseId });
        return;
      }
      const outcome = await handle.result();
      if (args.json) printJson({ workflowId, releaseId, outcome });
      else progress(describeDeploy(outcome));
      const code = deployExitCode(outcome);
      if (code !== EXIT.ok) throw new ExitError(code, '');
    });
  },
};
