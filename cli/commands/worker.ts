import { z } from 'zod';
import { runWorker } from '../../worker/main';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run a worker for airlock pipelines (stops cleanly on SIGINT/SIGTERM)',
  usage: 'usage: airlock worker\n\nConnects to TEMPORAL_ADDRESS and polls the task queue TEMPORAL_TASK_QUEUE (default airlock).',
  async run(argv) {
    parseCommandArgs('worker', argv, {}, z.object({ positionals: z.array(z.string()).max(0) }));
    await runWorker();
  },
};
