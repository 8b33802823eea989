import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/curves/utils';
import { eligibleGroups, findApprover, isAuthor, tally, type ApprovalTally } from './approval-rules';
import type { LevelRule, PolicySnapshot } from './policy-snapshot';

// Risk and signed approvals of a flag rollout (issue 18). zod-free: the rollout workflow's update validator
// applies these. A flag is as risky as the code it guards: the files of the service that name the flag key,
// judged by the risk engine's path categories (activities/flags/source.ts finds them at the commit the
// environment runs).

export type FlagRiskLevel = 'low' | 'medium' | 'high';

export interface FlagRisk {
  level: FlagRiskLevel;
  /** `path (categories)` of each file that names the flag. */
  reasons: string[];
}

/** Categories of code whose flags are high risk (a switch that changes who gets in or who pays). */
const HIGH = ['auth', 'payments', 'crypto', 'security-control', 'secrets', 'permissions'];
const MEDIUM = ['data', 'infra', 'network', 'integration', 'api'];

/** The flag's risk from the files that name it and their path categories. */
export function flagRiskOf(guards: readonly { file: string; categories: readonly string[] }[]): FlagRisk {
  const reasons = guards.map((g) => `${g.file} (${g.categories.join(', ') || 'code'})`);
  const has = (list: string[]) => guards.some((g) => g.categories.some((c) => list.includes(c)));
  return { level: has(HIGH) ? 'high' : has(MEDIUM) ? 'medium' : 'low', reasons };
}

/** What a flag approval signs: this run of this rollout, of this flag, at this risk, from this commit, with these steps. */
export interface FlagApprovalSubject {
  workflowId: string;
  runId: string;
  service: string;
  environment: string;
  flag: string;
  level: FlagRiskLevel;
  commit: string;
  steps: number[];
}

export const FLAG_APPROVAL_DOMAIN = 'airlock-flag-approval-v1';

export function flagApprovalMessageText(s: FlagApprovalSubject): string {
  return `${FLAG_APPROVAL_DOMAIN}\n${JSON.stringify([s.workflowId, s.runId, s.service, s.environment, s.flag, s.level, s.commit, s.steps])}`;
}

export function signFlagApproval(privateKeyHex: string, s: FlagApprovalSubject): string {
  return bytesToHex(ed25519.sign(utf8ToBytes(flagApprovalMessageText(s)), hexToBytes(privateKeyHex)));
}

function verify(publicKeyHex: string, signatureHex: string, s: FlagApprovalSubject): boolean {
  try {
    return ed25519.verify(hexToBytes(signatureHex), utf8ToBytes(flagApprovalMessageText(s)), hexToBytes(publicKeyHex), { zip215: false });
  } catch {
    return false;
  }
}

export interface FlagApproval {
  approver: string;
  signature: string;
}

export interface FlagApprovalRecord {
  approver: string;
  groups: string[];
  decision: 'approve';
  signature: string;
  /** Workflow time of the approval (ISO). */
  at: string;
}

export interface FlagApprovalContext {
  snapshot: PolicySnapshot;
  rule: LevelRule;
  /** The flag's owner (metadata.owner at the commit) and who asked for the rollout. */
  authors: readonly string[];
  decisions: readonly FlagApprovalRecord[];
  subject: FlagApprovalSubject;
}

/** Why this approval is refused, or the record to add. Same rules as a pipeline's approvals (approval-rules.ts). */
export function reviewFlagApproval(ctx: FlagApprovalContext, payload: unknown): { ok: true; record: Omit<FlagApprovalRecord, 'at'> } | { ok: false; reason: string } {
  const a = payload as Partial<FlagApproval> | null;
  if (!a || typeof a.approver !== 'string' || typeof a.signature !== 'string' || !/^[0-9a-f]{128}$/.test(a.signature))
    return { ok: false, reason: 'invalid approval: needs approver and a 128-hex-digit signature' };
  const approver = findApprover(ctx.snapshot, a.approver);
  if (!approver) return { ok: false, reason: `unknown approver "${a.approver}": not in any group of the policy at ${ctx.snapshot.source}` };
  if (isAuthor(approver, ctx.authors)) return { ok: false, reason: `"${a.approver}" owns or asked for this flag change and cannot approve it` };
  const level = ctx.subject.level;
  const eligible = eligibleGroups(ctx.snapshot, ctx.rule);
  if (!approver.groups.some((g) => eligible.includes(g)))
    return { ok: false, reason: `"${a.approver}" (groups: ${approver.groups.join(', ')}) may not approve a ${level}-risk flag change (needs: ${eligible.join(', ')})` };
  if (ctx.decisions.some((d) => d.approver === a.approver)) return { ok: false, reason: `"${a.approver}" already approved` };
  const t = tally(ctx.rule, ctx.decisions);
  const stillMissing = t.missingGroups.filter((g) => !approver.groups.includes(g));
  if (stillMissing.length > Math.max(ctx.rule.approvals - t.approvals - 1, 0))
    return { ok: false, reason: `a ${level}-risk flag change needs an approval from ${stillMissing.join(', ')}; "${a.approver}" cannot fill the remaining slot` };
  if (!verify(approver.publicKey, a.signature, ctx.subject))
    return { ok: false, reason: `signature of "${a.approver}" does not verify over ${FLAG_APPROVAL_DOMAIN} for this run (${ctx.subject.workflowId}, ${ctx.subject.runId}, ${level}, ${ctx.subject.commit.slice(0, 12)}, steps ${ctx.subject.steps.join(',')})` };
  return { ok: true, record: { approver: a.approver, groups: approver.groups, decision: 'approve', signature: a.signature } };
}

export function flagTally(rule: LevelRule, decisions: readonly FlagApprovalRecord[]): ApprovalTally {
  return tally(rule, decisions);
}
