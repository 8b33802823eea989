import { z } from 'zod';
import type { FlagRolloutOutcome } from '../../flag-activities';
import type { FlagApprovalRecord, FlagRisk } from '../../flag-approval';
import { flagKillMessageText, verifyFlagKill, type FlagThresholds, type VariantVerdict } from '../../flag-rules';

// A flag change in an environment (docs/flags.md): a rollout (its steps, each step's per-variant analysis, the
// thresholds and approvals it ran under, its outcome: fully on, or killed and why) or a signed kill (who, why,
// the signature). Recorded next to the image of the release serving the environment when the flag changed:
// the flag switched that release's code path, so the release's chain says what ran, and under which flag state.

export const FLAG_TYPE = 'https://airlock.dev/attestation/flag/v1';

const counts = z.object({ requests: z.number().min(0), errors: z.number().min(0), denied: z.number().min(0) });
const hex128 = z.string().regex(/^[0-9a-f]{128}$/, 'must be 128 lowercase hex digits');

export const flagPredicateSchema = z.object({
  service: z.string().min(1),
  environment: z.string().min(1),
  flag: z.string().min(1),
  change: z.enum(['rollout', 'kill']),
  /** The flag workflow (rollout or kill) and its run. */
  invocation: z.object({ uri: z.string().min(1), event_id: z.string().min(1), 'builder.id': z.string().min(1) }),
  /** Where the definition and the protected policy were read: the promoted pipeline and its head commit. */
  source: z.object({ pipelineId: z.string().min(1), commit: z.string().min(1) }),
  requestedBy: z.string().optional(),
  risk: z.object({ level: z.enum(['low', 'medium', 'high']), reasons: z.array(z.string()) }).optional(),
  approvals: z.array(z.object({ approver: z.string().min(1), groups: z.array(z.string()), signature: z.string(), at: z.string().min(1) })).optional(),
  steps: z.array(z.number()).optional(),
  thresholds: z.object({ maxErrorRate: z.number(), maxDeniedRate: z.number(), maxDegradation: z.number(), minRequests: z.number() }).optional(),
  analysis: z.array(z.object({ step: z.number(), share: z.number(), verdict: z.enum(['pass', 'fail', 'inconclusive']), on: counts, off: counts, reasons: z.array(z.string()) })).optional(),
  outcome: z.object({
    kind: z.enum(['completed', 'killed', 'refused', 'failed']),
    /** 100 fully on; killed: the share of the step it was killed at (0: a kill from outside, or a kill command); else 0. */
    share: z.number().min(0).max(100),
    step: z.number().optional(),
    by: z.string().optional(),
    reason: z.string().optional(),
  }),
  /** A kill: the signer, its key as the protected policy listed it, the signed message and the signature. */
  kill: z.object({ by: z.string().min(1), reason: z.string().min(1), publicKey: z.string().regex(/^[0-9a-f]{64}$/), message: z.string().min(1), signature: hex128 }).optional(),
  recordedAt: z.iso.datetime({ offset: true }),
});
export type FlagPredicate = z.output<typeof flagPredicateSchema>;

/** What a flag workflow sends to have its change recorded (model/evidence-record.ts, link `flag`). */
export interface FlagChangeInput {
  service: string;
  environment: string;
  flag: string;
  change: 'rollout' | 'kill';
  source: { pipelineId: string; commit: string };
  requestedBy?: string;
  risk?: FlagRisk;
  approvals?: FlagApprovalRecord[];
  steps?: number[];
  thresholds?: FlagThresholds;
  analysis?: (VariantVerdict & { step: number; share: number })[];
  outcome: FlagRolloutOutcome | { kind: 'killed'; share: 0; by: string; reason: string };
  kill?: { by: string; reason: string; publicKey: string; signature: string };
  /** Workflow time of the change's end (ISO). */
  recordedAt: string;
}

export function flagPredicate(i: FlagChangeInput & { workflowId: string; runId: string; builderId: string }): FlagPredicate {
  const o = i.outcome;
  const outcome: FlagPredicate['outcome'] =
    o.kind === 'completed'
      ? { kind: 'completed', share: 100 }
      : o.kind === 'killed'
        ? { kind: 'killed', share: o.share, ...('step' in o ? { step: o.step } : {}), by: o.by, reason: o.reason }
        : o.kind === 'refused'
          ? { kind: 'refused', share: 0, reason: o.reason }
          : { kind: 'failed', share: 0, reason: `${o.cause.type}: ${o.cause.message}` };
  return {
    service: i.service,
    environment: i.environment,
    flag: i.flag,
    change: i.change,
    invocation: { uri: i.workflowId, event_id: i.runId, 'builder.id': i.builderId },
    source: i.source,
    ...(i.requestedBy ? { requestedBy: i.requestedBy } : {}),
    ...(i.risk ? { risk: { level: i.risk.level, reasons: i.risk.reasons } } : {}),
    ...(i.approvals ? { approvals: i.approvals.map((a) => ({ approver: a.approver, groups: a.groups, signature: a.signature, at: a.at })) } : {}),
    ...(i.steps ? { steps: i.steps } : {}),
    ...(i.thresholds ? { thresholds: i.thresholds } : {}),
    ...(i.analysis ? { analysis: i.analysis.map((a) => ({ step: a.step, share: a.share, verdict: a.verdict, on: a.on, off: a.off, reasons: a.reasons })) } : {}),
    outcome,
    ...(i.kill
      ? { kill: { ...i.kill, message: flagKillMessageText({ service: i.service, environment: i.environment, flag: i.flag, reason: i.kill.reason, workflowId: i.workflowId }) } }
      : {}),
    recordedAt: i.recordedAt,
  };
}

/** A kill record holds: the message is the one bound to this flag, environment, reason and workflow, and the signature verifies. */
export function flagKillRecordProblem(p: FlagPredicate): string | undefined {
  if (!p.kill) return p.change === 'kill' ? 'a kill without its signature' : undefined;
  const subject = { service: p.service, environment: p.environment, flag: p.flag, reason: p.kill.reason, workflowId: p.invocation.uri };
  if (p.kill.message !== flagKillMessageText(subject)) return 'the recorded kill message is not the one bound to this flag, environment, reason and workflow';
  if (!verifyFlagKill(p.kill.publicKey, p.kill.signature, subject)) return `the kill signature of ${p.kill.by} does not verify`;
  return undefined;
}

/** One line for `airlock verify` and `airlock history`: `new-checkout rollout 1,5,25,50,100: killed at 25% by airlock: ...`. */
export function flagChangeSummary(p: Pick<FlagPredicate, 'flag' | 'change' | 'steps' | 'outcome'>): string {
  const what = p.change === 'kill' ? `${p.flag} kill` : `${p.flag} rollout ${p.steps?.join(',') ?? ''}`.trimEnd();
  const o = p.outcome;
  const end =
    o.kind === 'completed'
      ? 'on for everyone (100%)'
      : o.kind === 'killed'
        ? `killed${p.change === 'rollout' ? ` at step ${o.step ?? '?'} (${o.share}%)` : ''} by ${o.by ?? '?'}: ${o.reason ?? ''}`
        : `${o.kind}: ${o.reason ?? ''}`;
  return `${what}: ${end}`;
}
