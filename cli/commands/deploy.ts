import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import { loadManifest } from '../../activities/shared';
import { loadConfig } from '../../infra/config';
import { approvalSchema, signBreakGlass, type Approval, type BreakGlassSubject } from '../../model/approval';
import { deployTargetOf, releaseIdForImage } from '../../model/deploy';
import { breakGlassWorkflowId, digestOfImage } from '../../model/deploy-gate';
import { parseWith } from '../../model/parse';
import { deployRelease, deployWorkflowId, type DeployReleaseOutcome } from '../../workflows/deploy-release';
import { jsonFlag, parseCommandArgs } from '../args';
import { withClient } from '../client';
import type { Command } from '../command';
import { badInput, EXIT, exitCodeOfType, ExitError } from '../errors';
import { readKey } from '../keys';
import { printJson, progress } from '../output';

const options = {
  'service-dir': { type: 'string' },
  env: { type: 'string' },
  image: { type: 'string' },
  wait: { type: 'boolean', default: false },
  'break-glass': { type: 'boolean', default: false },
  reason: { type: 'string' },
  nonce: { type: 'string' },
  expires: { type: 'string' },
  'sign-as': { type: 'string' },
  signature: { type: 'string', multiple: true },
  ...jsonFlag,
} as const;

const schema = z.object({
  'service-dir': z.string({ message: 'is required: the directory with airlock.yaml' }).min(1),
  env: z.string({ message: 'is required: the environment to deploy to' }).min(1),
  image: z.string({ message: 'is required: the image, pinned as <repository>@sha256:<digest>' }).regex(/@sha256:[0-9a-f]{64}$/, 'must be pinned by digest: <repository>@sha256:<64 hex>'),
  wait: z.boolean(),
  'break-glass': z.boolean(),
  reason: z.string().min(1).max(500).optional(),
  nonce: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores').optional(),
  expires: z.iso.datetime({ offset: true, message: 'must be an ISO date-time, e.g. 2026-12-02T18:00:00Z' }).optional(),
  'sign-as': z.string().min(1).optional(),
  signature: z.array(z.string().min(1)).optional(),
  json: z.boolean(),
  positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
}).superRefine((a, ctx) => {
  const glassOnly = (['reason', 'nonce', 'expires', 'sign-as', 'signature'] as const).filter((k) => a[k] !== undefined);
  if (!a['break-glass']) {
    for (const k of glassOnly) ctx.addIssue({ code: 'custom', path: [k], message: 'only goes with --break-glass' });
    return;
  }
  for (const k of ['reason', 'nonce', 'expires'] as const) if (a[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required with --break-glass (the signers sign it)' });
  if (a['sign-as'] === undefined && !a.signature?.length) ctx.addIssue({ code: 'custom', path: ['signature'], message: 'is required with --break-glass: a signature file per signer (made with --sign-as)' });
  if (a['sign-as'] !== undefined && a.signature?.length) ctx.addIssue({ code: 'custom', path: ['sign-as'], message: 'signs; --signature deploys: give one of them' });
});

/** Exit code of a deploy outcome: 0 promoted (or already stable), 6 rolled back, failed by its cause (2 bad input, 1 other). */
export function deployExitCode(outcome: DeployReleaseOutcome): number {
  if (outcome.kind === 'promoted' || outcome.kind === 'unchanged') return EXIT.ok;
  if (outcome.kind === 'rolled_back') return EXIT.rolledBack;
  return exitCodeOfType(outcome.cause.type);
}

export function describeDeploy(o: DeployReleaseOutcome): string {
  const glass = o.gate?.kind === 'break-glass' ? `BREAK-GLASS (${o.gate.reason}; signed by ${o.gate.signers.join(', ')}): ` : '';
  return glass + describeOutcome(o);
}

function describeOutcome(o: DeployReleaseOutcome): string {
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
       airlock deploy ... --break-glass --reason <text> --nonce <id> --expires <date-time> --sign-as <signer>
       airlock deploy ... --break-glass --reason <text> --nonce <id> --expires <date-time> --signature <file>... [--wait]

Deploys an image that passed the gate for the environment: a pipeline of that service and environment
(on this worker's task queue) ended promoted with this exact digest. Any other image is refused (exit 3).
The deploy holds the environment's lock (the one pipelines take) from before the first container to the
end. Reads airlock.yaml in the service directory for the environment's router port, replicas, rollout
(canary steps or blue-green) and analysis. The release id derives from the digest: deploying the same
image again attaches to (or repeats nothing of) the same deployment.

Break-glass (an emergency, on purpose): N distinct members of the policy's breakGlass group (policy
\`breakGlass: { group, approvals }\`, read at the commit of the environment's newest promoted pipeline)
each sign {service, env, image digest, reason, workflow id airlock-break-glass/<service>/<env>/<nonce>,
expiry} with --sign-as (prints a signature file; deploys nothing); the deploy then passes the files with
--signature. It skips the gate, not the lock; the nonce is single-use; the outcome (history) records
break-glass with the reason and the signers. With --wait, exit codes: 0 promoted or already stable,
3 refused (gate not passed, break-glass refused), 6 rolled back, 2 bad input, 1 other failure.`,
  async run(argv) {
    const args = parseCommandArgs('deploy', argv, options, schema);
    const target = deployTargetOf(await loadManifest(resolve(args['service-dir'])), args.env);
    const releaseId = releaseIdForImage(target.service, target.environment, args.image);
    const glass = args['break-glass'] ? { reason: args.reason!, nonce: args.nonce!, expiresAt: args.expires! } : undefined;
    const subject = (g: NonNullable<typeof glass>): BreakGlassSubject => ({
      service: target.service,
      environment: target.environment,
      imageDigest: digestOfImage(args.image),
      reason: g.reason,
      workflowId: breakGlassWorkflowId(target.service, target.environment, g.nonce),
      expiresAt: g.expiresAt,
    });
    if (glass && args['sign-as']) {
      const config = loadConfig();
      const signed: Approval = { approver: args['sign-as'], signature: signBreakGlass(readKey(config.dirs.keys, args['sign-as']), subject(glass)) };
      printJson(signed);
      return;
    }
    const signatures = (args.signature ?? []).map(readSignatureFile);
    await withClient(async (client, config) => {
      const workflowId = glass ? subject(glass).workflowId : deployWorkflowId(target.service, target.environment, releaseId);
      const breakGlass = glass ? { breakGlass: { reason: glass.reason, expiresAt: glass.expiresAt, signatures } } : {};
      const handle = await client.workflow.start(deployRelease, {
        workflowId,
        taskQueue: config.temporal.taskQueue,
        args: [{ target, releaseId, image: args.image, ...breakGlass }],
        // a break-glass id is single-use: its signatures name it
        ...(glass
          ? { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE }
          : { workflowIdConflictPolicy: 'USE_EXISTING' as const }),
      });
      if (!args.json)
        progress(`${glass ? 'BREAK-GLASS ' : ''}deploying ${releaseId} to ${target.service}/${target.environment} (${target.settings.rollout.strategy}): workflow ${workflowId}`);
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

/** A signature file made by `airlock deploy --break-glass --sign-as`: {approver, signature}. */
function readSignatureFile(file: string): Approval {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw badInput(`airlock deploy: --signature ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badInput(`airlock deploy: --signature ${file}: not JSON (make it with airlock deploy --break-glass ... --sign-as <you>)`);
  }
  return parseWith(approvalSchema, json, `--signature ${file}`);
}
