import { z } from 'zod';
import { rollbackRelease, rollbackWorkflowId } from '../../workflows/deploy-release';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { printJson, progress } from '../output';

const options = {
  service: { type: 'string' },
  env: { type: 'string' },
  to: { type: 'string' },
  reason: { type: 'string' },
  ...jsonFlag,
} as const;

const schema = z.object({
  service: z.string({ message: 'is required' }).min(1),
  env: z.string({ message: 'is required' }).min(1),
  to: z.string().min(1).optional(),
  reason: z.string().min(1).optional(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
});

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'put a previous release of an environment back at once (allowed during freezes)',
  usage: `usage: airlock rollback --service <service> --env <env> [--to <release id>] [--reason <text>] [--json]

Puts the release before the current one (or --to, any release that was stable in the environment) back
from its image digest, with new containers, and removes what serves now. Holds the environment's lock
(the one pipelines take): behind a deploying pipeline it waits; a pipeline waiting for approval steps aside.`,
  async run(argv) {
    const args = parseCommandArgs('rollback', argv, options, schema);
    await withClient(async (client, config) => {
      const workflowId = rollbackWorkflowId(args.service, args.env, args.to);
      const handle = await client.workflow.start(rollbackRelease, {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [{ service: args.service, environment: args.env, toReleaseId: args.to, reason: args.reason ?? 'airlock rollback' }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      if (!args.json) progress(`rolling ${args.service}/${args.env} back to ${args.to ?? 'the previous release'}: workflow ${workflowId}`);
      const result = await handle.result();
      if (args.json) printJson({ workflowId, ...result });
      else progress(result.reused ? `${result.stable.releaseId} already serves` : `${result.stable.releaseId} serves again (removed: ${result.removed.join(', ') || 'nothing'})`);
    });
  },
};
