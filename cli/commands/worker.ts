import { z } from 'zod';
import { rolesSchema } from '../../infra/config';
import { runWorker } from '../../worker/main';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run a worker for airlock pipelines (stops cleanly on SIGINT/SIGTERM)',
  usage: [
    'usage: airlock worker [--roles pipeline,build,deploy:<target>]',
    '',
    'Connects to TEMPORAL_ADDRESS and polls the task queue TEMPORAL_TASK_QUEUE (default airlock).',
    '--roles (or AIRLOCK_WORKER_ROLES): serve only these roles, on their task queues: `pipeline` (the workflows,',
    'change analysis, risk, policy, evidence: <queue>), `build` (build and scan: <queue>-build), `deploy:<target>`',
    '(deploy, traffic, analysis, rollback, drift, flags of one target: <queue>-deploy-<target>). Without it, one',
    'process serves everything on <queue> (docs/scale-out.md).',
  ].join('\n'),
  async run(argv) {
    const args = parseCommandArgs('worker', argv, { roles: { type: 'string' } }, z.object({ roles: rolesSchema.optional(), positionals: z.array(z.string()).max(0) }));
    await runWorker({ ...process.env, ...(args.roles ? { AIRLOCK_WORKER_ROLES: args.roles.join(',') } : {}) });
  },
};
