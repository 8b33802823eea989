import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/curves/utils';
import type { PipelineState } from './pipeline';
import type { Approver, LevelRule, PolicySnapshot } from './policy-snapshot';

// Signed approvals: the bytes that are signed and the pure rules the workflow's update validators apply.
// Sandbox-safe (@noble/curves is pure JS) and deliberately free of zod: workflow code imports this, and
// in the reusable V8 context every cached workflow evaluates its modules afresh, so zod and schemas
// would cost each parked pipeline about a megabyte (docs/architecture.md). The zod schema of the payload,
// for the CLI, is in approval.ts, which re-exports all of this; a unit test keeps the two in step.

export const DECISIONS = ['approve', 'reject', 'promote', 'abort'] as const;
export type Decision = (typeof DECISIONS)[number];

/** The update payload the CLI sends. */
export interface Approval {
  approver: string;
  /** ed25519 signature (64 bytes, hex) over approvalMessage(subject): see ApprovalSubject. */
  signature: string;
  comment?: string;
}

export const SIGNATURE_MESSAGE = 'must be a 64-byte ed25519 signature as 128 lowercase hex digits';

/** `path: message` problems of an approval payload (the same rules as approvalSchema in approval.ts). */
export function approvalProblems(payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return ['(root): expected an object'];
  const p = payload as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof p.approver !== 'string' || p.approver.length < 1 || p.approver.length > 100) problems.push('approver: expected a name of 1 to 100 characters');
  if (typeof p.signature !== 'string' || !/^[0-9a-f]{128}$/.test(p.signature)) problems.push(`signature: ${SIGNATURE_MESSAGE}`);
  if (p.comment !== undefined && (typeof p.comment !== 'string' || p.comment.length > 500)) problems.push('comment: expected text of at most 500 characters');
  const extra = Object.keys(p).filter((k) => !['approver', 'signature', 'comment'].includes(k));
  if (extra.length) problems.push(`(root): unknown keys ${extra.join(', ')}`);
  return problems;
}

/**
 * What the signature covers (message format v2): everything that makes this decision about this one run
 * of this one change, so a signature taken from another run, another environment, another commit range,
 * a rebuilt image, another risk level or another policy does not verify. Built by boundSubject from the
 * workflow's own state, never from the payload.
 */
export interface ApprovalSubject {
  pipelineId: string;
  /** the Temporal run id: workflow ids are reused (ALLOW_DUPLICATE) and a reset starts a new run */
  runId: string;
  environment: string;
  /** sha256:... of the built image ('' before the build, for an early abort) */
  imageDigest: string;
  /** the judged commit range (PipelineState.judged) */
  baseCommit: string;
  headCommit: string;
  /** '' before the risk is routed (an early abort) */
  riskLevel: string;
  /** digest of the protected policy the change is judged under ('' before it is read) */
  policyDigest: string;
  decision: Decision;
}

/** The subject of `decision` on the pipeline in `state`, for run `runId`. CLI and validators both use this. */
export function boundSubject(state: PipelineState, runId: string, decision: Decision): ApprovalSubject {
  return {
    pipelineId: state.pipelineId,
    runId,
    environment: state.environment,
    imageDigest: state.image?.split('@')[1] ?? '',
    baseCommit: state.judged?.base ?? '',
    headCommit: state.judged?.head ?? state.headCommit,
    riskLevel: state.risk?.level ?? '',
    policyDigest: state.judged?.policyDigest ?? '',
    decision,
  };
}

/** A decision as recorded in the workflow state (and so in the history). */
export interface ApprovalRecord {
  approver: string;
  decision: Decision;
  groups: string[];
  at: string;
  comment?: string;
  signature?: string;
  /** Low risk: airlock decided, with its reasons. */
  automatic?: boolean;
  reasons?: string[];
}

/** What the update returns to the approver. */
export interface ApprovalReceipt {
  accepted: true;
  decision: Decision;
  approvals: number;
  needed: number;
  missingGroups: string[];
}

export const APPROVAL_DOMAIN = 'airlock-approval-v2';

/**
 * The canonical bytes that are signed: the domain tag, a newline and a JSON array of the subject's fields
 * in a fixed order, so no field can run into another and no field can be left out.
 */
export function approvalMessage(s: ApprovalSubject): Uint8Array {
  return utf8ToBytes(approvalMessageText(s));
}

export function approvalMessageText(s: ApprovalSubject): string {
  const fields = [s.pipelineId, s.runId, s.environment, s.imageDigest, s.baseCommit, s.headCommit, s.riskLevel, s.policyDigest, s.decision];
  return `${APPROVAL_DOMAIN}\n${JSON.stringify(fields)}`;
}

/** The retired v1 bytes (pipeline id, image digest, decision): still recognised, only to refuse them with a hint. */
export function approvalMessageV1(s: Pick<ApprovalSubject, 'pipelineId' | 'imageDigest' | 'decision'>): Uint8Array {
  return utf8ToBytes(`airlock-approval-v1\n${JSON.stringify([s.pipelineId, s.imageDigest, s.decision])}`);
}

export function signApproval(privateKeyHex: string, s: ApprovalSubject): string {
  return bytesToHex(ed25519.sign(approvalMessage(s), hexToBytes(privateKeyHex)));
}

export function publicKeyOf(privateKeyHex: string): string {
  return bytesToHex(ed25519.getPublicKey(hexToBytes(privateKeyHex)));
}

/** Strict RFC 8032 verification (no ZIP-215 leniency): one message, one valid signature encoding. */
function verifyBytes(publicKeyHex: string, signatureHex: string, message: Uint8Array): boolean {
  try {
    return ed25519.verify(hexToBytes(signatureHex), message, hexToBytes(publicKeyHex), { zip215: false });
  } catch {
    return false;
  }
}

export function verifyApproval(publicKeyHex: string, signatureHex: string, s: ApprovalSubject): boolean {
  return verifyBytes(publicKeyHex, signatureHex, approvalMessage(s));
}

export function verifyApprovalV1(publicKeyHex: string, signatureHex: string, s: Pick<ApprovalSubject, 'pipelineId' | 'imageDigest' | 'decision'>): boolean {
  return verifyBytes(publicKeyHex, signatureHex, approvalMessageV1(s));
}

/** How a refused v1 signature is told to re-sign. */
export function resignHint(s: Pick<ApprovalSubject, 'pipelineId' | 'decision'>): string {
  return `it is signed in the retired format airlock-approval-v1 (pipeline, image, decision only), which a later run of the same pipeline would accept again; re-sign with this airlock: \`airlock ${s.decision} ${s.pipelineId} --as <identity>\` (signs ${APPROVAL_DOMAIN}), or sign the bytes of \`airlock ${s.decision} ${s.pipelineId} --print-message\` offline`;
}

export interface ResolvedApprover extends Approver {
  groups: string[];
}

export function findApprover(snapshot: PolicySnapshot, id: string): ResolvedApprover | undefined {
  let found: ResolvedApprover | undefined;
  for (const [group, members] of Object.entries(snapshot.groups)) {
    const m = members.find((a) => a.id === id);
    if (m) found = found ? { ...found, groups: [...found.groups, group] } : { ...m, groups: [group] };
  }
  return found;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function isAuthor(approver: Approver, authors: readonly string[]): boolean {
  return [approver.id, ...approver.aliases].some((name) => authors.some((author) => same(name, author)));
}

/** Groups whose members may decide at this level (all groups when the rule names none). */
export function eligibleGroups(snapshot: PolicySnapshot, rule: LevelRule): string[] {
  return rule.groups.length ? [...new Set([...rule.groups, ...rule.require])] : Object.keys(snapshot.groups);
}

export interface ApprovalTally {
  approvals: number;
  needed: number;
  missingGroups: string[];
  satisfied: boolean;
}

export function tally(rule: LevelRule, decisions: readonly ApprovalRecord[]): ApprovalTally {
  const approvals = decisions.filter((d) => d.decision === 'approve');
  const approvers = new Set(approvals.map((d) => d.approver));
  const missingGroups = rule.require.filter((g) => !approvals.some((d) => d.groups.includes(g)));
  return {
    approvals: approvers.size,
    needed: rule.approvals,
    missingGroups,
    satisfied: approvers.size >= rule.approvals && missingGroups.length === 0,
  };
}

export interface ApprovalContext {
  snapshot: PolicySnapshot;
  rule: LevelRule;
  level: string;
  /** input author plus every commit author of base..head */
  authors: readonly string[];
  decisions: readonly ApprovalRecord[];
  subject: ApprovalSubject;
}

export type Review = { ok: true; approver: ResolvedApprover } | { ok: false; reason: string };

/** The human approvals in `decisions` whose signatures do not verify for `runId` (the rest of the subject unchanged). */
export function unboundApprovals(snapshot: PolicySnapshot, decisions: readonly ApprovalRecord[], subjectFor: (decision: Decision) => ApprovalSubject): string[] {
  return decisions
    .filter((d) => !d.automatic)
    .filter((d) => {
      const key = findApprover(snapshot, d.approver)?.publicKey;
      return !key || !d.signature || !verifyApproval(key, d.signature, subjectFor(d.decision));
    })
    .map((d) => `${d.decision} by ${d.approver}`);
}

/**
 * Why this approver may not take this decision, or the resolved approver. Checks, cheapest first: shape,
 * unknown, author, group, already decided, useless approval (a required group is still missing and this
 * approver cannot fill it), signature. Whether the pipeline is waiting is the caller's check.
 */
export function reviewApproval(ctx: ApprovalContext, payload: unknown): Review {
  const problems = approvalProblems(payload);
  if (problems.length) return { ok: false, reason: `invalid approval: ${problems.join('; ')}` };
  const a = payload as Approval;
  const { decision } = ctx.subject;
  const approver = findApprover(ctx.snapshot, a.approver);
  if (!approver) return { ok: false, reason: `unknown approver "${a.approver}": not in any group of the policy at ${ctx.snapshot.source}` };
  // abort only stops (and rolls back): the author may abort their own change
  if (decision !== 'abort' && isAuthor(approver, ctx.authors)) return { ok: false, reason: `"${a.approver}" is an author of this change and cannot ${decision} it` };
  const eligible = eligibleGroups(ctx.snapshot, ctx.rule);
  if (!approver.groups.some((g) => eligible.includes(g)))
    return {
      ok: false,
      reason: `"${a.approver}" (groups: ${approver.groups.join(', ')}) is not in a group that may ${decision} a ${ctx.level}-risk change (needs: ${eligible.join(', ')})`,
    };
  if ((decision === 'approve' || decision === 'reject') && ctx.decisions.some((d) => d.approver === a.approver))
    return { ok: false, reason: `"${a.approver}" already decided on this pipeline` };
  if (decision === 'approve') {
    const t = tally(ctx.rule, ctx.decisions);
    const slotsAfter = ctx.rule.approvals - t.approvals - 1;
    const stillMissing = t.missingGroups.filter((g) => !approver.groups.includes(g));
    if (stillMissing.length > Math.max(slotsAfter, 0))
      return {
        ok: false,
        reason: `a ${ctx.level}-risk change needs an approval from ${stillMissing.join(', ')}; "${a.approver}" (${approver.groups.join(', ')}) cannot fill the remaining slot`,
      };
  }
  if (!verifyApproval(approver.publicKey, a.signature, ctx.subject)) {
    const s = ctx.subject;
    if (verifyApprovalV1(approver.publicKey, a.signature, s)) return { ok: false, reason: `signature of "${a.approver}" refused: ${resignHint(s)}` };
    return {
      ok: false,
      reason: `signature of "${a.approver}" does not verify over ${APPROVAL_DOMAIN} {pipeline ${s.pipelineId}, run ${s.runId}, env ${s.environment}, image ${s.imageDigest}, commits ${s.baseCommit}..${s.headCommit}, risk ${s.riskLevel}, policy ${s.policyDigest}, decision ${decision}}: signed for another run, change or decision?`,
    };
  }
  return { ok: true, approver };
}

// --- break-glass (`airlock deploy --break-glass`) --------------------------------------------------------
// Its own domain tag and subject: a break-glass signature can never stand in for an approval, nor the
// reverse. The nonce is the deploy workflow's id (started with REJECT_DUPLICATE: one use), the expiry
// bounds it in time (a workflow id may be reused after the namespace's retention).

const BREAK_GLASS_DOMAIN = 'airlock-break-glass-v1';

/** What a break-glass signature covers. */
export interface BreakGlassSubject {
  service: string;
  environment: string;
  /** sha256:<hex> of the image */
  imageDigest: string;
  reason: string;
  /** The deploy workflow id, `airlock-break-glass/<service>/<env>/<nonce>`. */
  workflowId: string;
  /** ISO date-time after which the signatures are void. */
  expiresAt: string;
}

export function breakGlassMessage(s: BreakGlassSubject): Uint8Array {
  return utf8ToBytes(`${BREAK_GLASS_DOMAIN}\n${JSON.stringify([s.service, s.environment, s.imageDigest, s.reason, s.workflowId, s.expiresAt])}`);
}

export function signBreakGlass(privateKeyHex: string, s: BreakGlassSubject): string {
  return bytesToHex(ed25519.sign(breakGlassMessage(s), hexToBytes(privateKeyHex)));
}

export function verifyBreakGlass(publicKeyHex: string, signatureHex: string, s: BreakGlassSubject): boolean {
  try {
    return ed25519.verify(hexToBytes(signatureHex), breakGlassMessage(s), hexToBytes(publicKeyHex), { zip215: false });
  } catch {
    return false;
  }
}

/** The policy's `breakGlass` rule with its group's members resolved. */
export interface BreakGlassRule {
  group: string;
  approvals: number;
  members: Approver[];
}

export type BreakGlassReview = { ok: true; signers: string[] } | { ok: false; reason: string; signers: string[]; rejected: string[] };

/**
 * N of M: distinct members of the break-glass group whose signatures verify over `subject`, before
 * `expiresAt`. Signatures of anyone else, duplicates and bad signatures count for nothing (and are named).
 */
export function reviewBreakGlass(rule: BreakGlassRule | undefined, subject: BreakGlassSubject, signatures: readonly Approval[], nowMs: number): BreakGlassReview {
  if (!rule) return { ok: false, reason: 'the policy has no breakGlass rule: break-glass deploys are off', signers: [], rejected: [] };
  const expires = Date.parse(subject.expiresAt);
  if (!Number.isFinite(expires)) return { ok: false, reason: `expiresAt "${subject.expiresAt}" is not a date-time`, signers: [], rejected: [] };
  if (expires <= nowMs) return { ok: false, reason: `the break-glass signatures expired at ${subject.expiresAt}`, signers: [], rejected: [] };
  const signers: string[] = [];
  const rejected: string[] = [];
  for (const sig of signatures) {
    const member = rule.members.find((m) => m.id === sig?.approver);
    const why = approvalProblems(sig).join('; ') || (!member ? `not in group ${rule.group}` : signers.includes(member.id) ? 'signed twice' : '');
    if (why) rejected.push(`${String(sig?.approver)}: ${why}`);
    else if (!verifyBreakGlass(member!.publicKey, sig.signature, subject)) rejected.push(`${sig.approver}: signature does not verify over the break-glass message`);
    else signers.push(member!.id);
  }
  if (signers.length >= rule.approvals) return { ok: true, signers };
  return {
    ok: false,
    reason: `break-glass needs ${rule.approvals} valid signatures of group ${rule.group}, got ${signers.length}${rejected.length ? ` (refused: ${rejected.join('; ')})` : ''}`,
    signers,
    rejected,
  };
}
