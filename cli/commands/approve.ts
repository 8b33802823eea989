import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { signApproval, type Decision } from '../../model/approval';
import type { PipelineState } from '../../model/pipeline';
import { approveUpdate, promoteUpdate, rejectUpdate, stateQuery } from '../../workflows/messages';
import { jsonFlag, parseCommandArgs } from '../args';
import { existingPipeline, withClient } from '../client';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { readKey } from '../keys';
import { printJson } from '../output';

const UPDATES = { approve: approveUpdate, reject: rejectUpdate, promote: promoteUpdate } as const;

/** approve, reject and promote: sign {pipeline id, image digest, decision} with the identity's key and send the update. */
function decisionCommand(decision: Decision, summary: string, note: 'comment' | 'reason'): Command {
  const schema = z
    .object({
      as: z.string({ message: 'is required: the approver identity (its key signs the decision)' }).min(1),
      comment: z.string().min(1).optional(),
      reason: z.string().min(1).optional(),
      json: z.boolean(),
      positionals: z.array(z.string()).length(1, 'expected exactly one pipeline id'),
    })
    .refine((a) => note !== 'reason' || a.reason, { path: ['reason'], message: 'is required: why the change is rejected' });
  return {
    name: decision,
    summary,
    usage: `usage: airlock ${decision} <pipeline id> --as <identity> ${note === 'reason' ? '--reason <text>' : '[--comment <text>]'} [--json]

Signs with $AIRLOCK_HOME/keys/<identity>.ed25519 (airlock keys create --as <identity>). The pipeline's
validator checks the approver (not an author, in the right group, not already decided), the signature
and that the pipeline is waiting; a refusal is printed as the pipeline gave it, with exit code 1.`,
    async run(argv) {
      const args = parseCommandArgs(decision, argv, { as: { type: 'string' }, [note]: { type: 'string' }, ...jsonFlag }, schema);
      const id = args.positionals[0]!;
      await withClient(async (client, config) => {
        const privateKey = readKey(config.dirs.keys, args.as);
        const handle = await existingPipeline(client, id);
        const state: PipelineState = await handle.query(stateQuery);
        const imageDigest = state.image?.split('@')[1] ?? '';
        const signature = signApproval(privateKey, { pipelineId: id, imageDigest, decision });
        const text = note === 'reason' ? args.reason : args.comment;
        try {
          const receipt = await handle.executeUpdate(UPDATES[decision], { args: [{ approver: args.as, signature, ...(text ? { comment: text } : {}) }] });
          if (args.json) return printJson(receipt);
          const missing = receipt.missingGroups.length ? `; still needed from ${receipt.missingGroups.join(', ')}` : '';
          process.stdout.write(`${decision} by ${args.as} accepted (${receipt.approvals}/${receipt.needed} approvals${missing})\n`);
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) throw new ExitError(EXIT.failure, `${decision} refused: ${err.cause?.message ?? err.message}`);
          if (err instanceof WorkflowNotFoundError)
            throw new ExitError(EXIT.failure, `${decision} refused: pipeline ${id} has ended${state.outcome ? ` (${state.outcome.kind})` : ''}; nothing waits for a decision`);
          throw err;
        }
      });
    },
  };
}

export const approveCommand = decisionCommand('approve', 'approve a waiting pipeline, signed with your key', 'comment');
export const rejectCommand = decisionCommand('reject', 'reject a waiting pipeline, signed with your key', 'reason');
export const promoteCommand = decisionCommand('promote', 'skip the remaining analysis and promote (an approver, signed)', 'comment');
