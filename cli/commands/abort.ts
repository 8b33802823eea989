import { z } from 'zod';
import { abortSignal } from '../../workflows/messages';
import { parseCommandArgs } from '../args';
import { existingPipeline, withClient } from '../client';
import type { Command } from '../command';

export const abortCommand: Command = {
  name: 'abort',
  summary: 'stop a pipeline now; a rollout in progress is rolled back',
  usage: 'usage: airlock abort <pipeline id> --as <identity> --reason <text>',
  async run(argv) {
    const args = parseCommandArgs(
      'abort',
      argv,
      { as: { type: 'string' }, reason: { type: 'string' } },
      z.object({
        as: z.string({ message: 'is required: who aborts' }).min(1),
        reason: z.string({ message: 'is required: why' }).min(1),
        positionals: z.array(z.string()).length(1, 'expected exactly one pipeline id'),
      }),
    );
    await withClient(async (client) => {
      const handle = await existingPipeline(client, args.positionals[0]!);
      await handle.signal(abortSignal, { by: args.as, reason: args.reason });
      process.stdout.write(`abort sent to ${args.positionals[0]}\n`);
    });
  },
};
