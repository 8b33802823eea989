import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { approvalMessageText } from '../../model/approval';
import { abortSignedUpdate } from '../../workflows/messages';
import { parseCommandArgs } from '../args';
import { existingPipeline, withClient } from '../client';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { currentSubject, OFFLINE_HELP, signatureFor } from './approve';

/**
 * A signed abort (update `abortSigned`): an approver of a group that may decide at the pipeline's risk
 * level, or the change's author if an approver, signs the bound message with decision `abort`. The
 * unsigned `abort` signal of earlier versions is ignored by pipelines started since.
 */
export const abortCommand: Command = {
  name: 'abort',
  summary: 'stop a pipeline now, signed with your key; a rollout in progress is rolled back',
  usage: `usage: airlock abort <pipeline id> --as <identity> --reason <text> [--signature <hex>]
       airlock abort <pipeline id> --print-message

Signs with $AIRLOCK_HOME/keys/<identity>.ed25519. Who may abort: an approver of the policy in a group
that may decide at the pipeline's risk level (any group before the risk is known), the author included.
${OFFLINE_HELP}`,
  async run(argv) {
    const args = parseCommandArgs(
      'abort',
      argv,
      { as: { type: 'string' }, reason: { type: 'string' }, signature: { type: 'string' }, 'print-message': { type: 'boolean', default: false } },
      z
        .object({
          as: z.string().min(1).optional(),
          reason: z.string().min(1).max(500).optional(),
          signature: z.string().regex(/^[0-9a-f]{128}$/, 'must be a 64-byte ed25519 signature as 128 lowercase hex digits').optional(),
          'print-message': z.boolean(),
          positionals: z.array(z.string()).length(1, 'expected exactly one pipeline id'),
        })
        .refine((a) => a['print-message'] || a.as, { path: ['as'], message: 'is required: who aborts (their key signs the abort)' })
        .refine((a) => a['print-message'] || a.reason, { path: ['reason'], message: 'is required: why' }),
    );
    const id = args.positionals[0]!;
    await withClient(async (client, config) => {
      const handle = await existingPipeline(client, id);
      const { subject } = await currentSubject(handle, 'abort');
      if (args['print-message']) return void process.stdout.write(approvalMessageText(subject));
      const signature = signatureFor(config.dirs.keys, args.as!, subject, args.signature);
      try {
        const receipt = await handle.executeUpdate(abortSignedUpdate, { args: [{ approver: args.as!, signature, comment: args.reason! }] });
        process.stdout.write(`abort by ${args.as} accepted at stage ${receipt.stage}: ${id} stops\n`);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new ExitError(EXIT.failure, `abort refused: ${err.cause?.message ?? err.message}`);
        if (err instanceof WorkflowNotFoundError) throw new ExitError(EXIT.failure, `abort refused: pipeline ${id} has ended`);
        throw err;
      }
    });
  },
};
