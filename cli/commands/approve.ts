import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { approvalMessageText, boundSubject, signApproval, type ApprovalSubject, type Decision } from '../../model/approval';
import type { PipelineState } from '../../model/pipeline';
import { approveUpdate, promoteUpdate, rejectUpdate, stateQuery } from '../../workflows/messages';
import { jsonFlag, parseCommandArgs } from '../args';
import { existingPipeline, withClient } from '../client';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { readKey } from '../keys';
import { printJson } from '../output';

const UPDATES = { approve: approveUpdate, reject: rejectUpdate, promote: promoteUpdate } as const;

/**
 * The subject of `decision` on the pipeline as it is now: its state (the query) and its current run id.
 * The workflow's validator rebuilds the same subject from its own state.
 */
export async function currentSubject(handle: WorkflowHandle, decision: Decision): Promise<{ state: PipelineState; subject: ApprovalSubject }> {
  const state: PipelineState = await handle.query(stateQuery);
  const runId = state.runId ?? (await handle.describe()).runId;
  return { state, subject: boundSubject(state, runId, decision) };
}

/** The signature: the one given with --signature (signed offline over --print-message), else made with the identity's key. */
export function signatureFor(keysDir: string, as: string, subject: ApprovalSubject, given?: string): string {
  return given ?? signApproval(readKey(keysDir, as), subject);
}

export const OFFLINE_HELP = `--print-message prints the exact bytes to sign (no newline at the end) for people who sign offline;
send the result with --signature <128 hex digits>. The bytes: "airlock-approval-v2", a newline and the
JSON array [pipeline id, run id, environment, image digest, base commit, head commit, risk level,
policy digest, decision]: a signature holds for this one run of this one change only.`;

const signatureFlag = z
  .string()
  .regex(/^[0-9a-f]{128}$/, 'must be a 64-byte ed25519 signature as 128 lowercase hex digits')
  .optional();

/** approve, reject and promote: sign the bound message with the identity's key and send the update. */
function decisionCommand(decision: Exclude<Decision, 'abort'>, summary: string, note: 'comment' | 'reason'): Command {
  const schema = z
    .object({
      as: z.string().min(1).optional(),
      comment: z.string().min(1).optional(),
      reason: z.string().min(1).optional(),
      signature: signatureFlag,
      'print-message': z.boolean(),
      json: z.boolean(),
      positionals: z.array(z.string()).length(1, 'expected exactly one pipeline id'),
    })
    .refine((a) => a['print-message'] || a.as, { path: ['as'], message: 'is required: the approver identity (its key signs the decision)' })
    .refine((a) => a['print-message'] || note !== 'reason' || a.reason, { path: ['reason'], message: 'is required: why the change is rejected' });
  return {
    name: decision,
    summary,
    usage: `usage: airlock ${decision} <pipeline id> --as <identity> ${note === 'reason' ? '--reason <text>' : '[--comment <text>]'} [--signature <hex>] [--json]
       airlock ${decision} <pipeline id> --print-message

Signs with $AIRLOCK_HOME/keys/<identity>.ed25519 (airlock keys create --as <identity>). The pipeline's
validator checks the approver (not an author, in the right group, not already decided), the signature
and that the pipeline is waiting; a refusal is printed as the pipeline gave it, with exit code 1.
${OFFLINE_HELP}`,
    async run(argv) {
      const args = parseCommandArgs(
        decision,
        argv,
        { as: { type: 'string' }, [note]: { type: 'string' }, signature: { type: 'string' }, 'print-message': { type: 'boolean', default: false }, ...jsonFlag },
        schema,
      );
      const id = args.positionals[0]!;
      await withClient(async (client, config) => {
        const handle = await existingPipeline(client, id);
        const { state, subject } = await currentSubject(handle, decision);
        if (args['print-message']) return void process.stdout.write(approvalMessageText(subject));
        const signature = signatureFor(config.dirs.keys, args.as!, subject, args.signature);
        const text = note === 'reason' ? args.reason : args.comment;
        try {
          const receipt = await handle.executeUpdate(UPDATES[decision], { args: [{ approver: args.as!, signature, ...(text ? { comment: text } : {}) }] });
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
