import { z } from 'zod';
import { analysisSchema, rolloutSchema } from './manifest';
import { isSlug } from './names';
import type { AnalysisVerdict } from './deploy';
import type { RiskLevel } from './risk';
import type { ApprovalRecord } from './approval-rules';

export { lockWorkflowId } from './lock';

// Input, policy snapshot, live state and outcome of the deploymentPipeline workflow (workflows/pipeline.ts).
// Wire types: they are in workflow histories, so fields are only ever added (optional), never renamed.

const slug = z.string().refine(isSlug, 'must be a lowercase slug (letters, digits, dashes)');
const commit = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full git commit id (40 or 64 lowercase hex)');
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the repository');
const groupName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'group names are lowercase slugs');

export const approverSchema = z
  .object({
    /** Who signs: the name used with `airlock approve --as`. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/, 'must be a user name or e-mail without spaces'),
    /** ed25519 public key, 32 bytes as lowercase hex. */
    publicKey: z.string().regex(/^[0-9a-f]{64}$/, 'must be a 32-byte ed25519 public key as 64 lowercase hex digits'),
    /** Other identities of the same person (git author e-mails): an author cannot approve under any of them. */
    aliases: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type Approver = z.output<typeof approverSchema>;

export const levelRuleSchema = z
  .object({
    /** Distinct approvals needed; 0 = automatic. */
    approvals: z.number().int().min(0).max(10),
    /** Groups whose members may approve at this level; empty = a member of any group. */
    groups: z.array(groupName).default([]),
    /** Groups that must each be represented among the approvers (e.g. `security` for high risk). */
    require: z.array(groupName).default([]),
  })
  .strict()
  .refine((r) => r.require.length <= r.approvals, { message: 'cannot require more groups than approvals', path: ['require'] });
export type LevelRule = z.output<typeof levelRuleSchema>;

/**
 * The approval part of airlock.policy.yaml, read from the BASE commit (already reviewed) or a protected
 * location by the readPolicySnapshot activity: never from the change under review.
 */
export const policySnapshotSchema = z
  .object({
    /** Where it was read, e.g. `git:<repo>@<baseCommit>:airlock.policy.yaml`. */
    source: z.string().min(1),
    /** sha256 of the policy file's bytes. */
    policyDigest: z.string().min(1),
    groups: z.record(groupName, z.array(approverSchema).min(1)),
    levels: z
      .object({
        low: levelRuleSchema.default({ approvals: 0, groups: [], require: [] }),
        medium: levelRuleSchema.default({ approvals: 1, groups: [], require: [] }),
        high: levelRuleSchema.default({ approvals: 2, groups: [], require: ['security'] }),
      })
      .strict(),
    approvalTimeoutMs: z.number().int().min(1000).max(30 * 24 * 3600 * 1000),
  })
  .strict()
  .superRefine((p, ctx) => {
    const keys = new Map<string, string>();
    for (const [group, members] of Object.entries(p.groups)) {
      members.forEach((m, i) => {
        const seen = keys.get(m.id);
        if (seen !== undefined && seen !== m.publicKey)
          ctx.addIssue({ code: 'custom', path: ['groups', group, i, 'publicKey'], message: `${m.id} has a different key in another group` });
        keys.set(m.id, m.publicKey);
      });
    }
    for (const [level, rule] of Object.entries(p.levels)) {
      for (const g of [...rule.groups, ...rule.require])
        if (!(g in p.groups)) ctx.addIssue({ code: 'custom', path: ['levels', level], message: `unknown group ${g}` });
    }
  });
export type PolicySnapshot = z.output<typeof policySnapshotSchema>;

export const pipelineInputSchema = z
  .object({
    service: slug,
    environment: slug,
    /** Git repository the worker reads (path or URL). */
    repo: z.string().min(1),
    /** Directory of the service (airlock.yaml, Dockerfile) inside the repository. */
    serviceDir: relativePath.default('.'),
    baseCommit: commit,
    headCommit: commit,
    author: z.string().min(1).max(200),
    trigger: z.object({ ci: z.string().min(1).max(100), runUrl: z.url().optional() }).strict(),
    /** Path of airlock.policy.yaml in the repository; read at the BASE commit. */
    policyPath: relativePath.default('airlock.policy.yaml'),
    rollout: rolloutSchema.default({ strategy: 'canary', steps: [10, 50, 100] }),
    analysis: analysisSchema.default(analysisSchema.parse({})),
  })
  .strict()
  .refine((i) => i.baseCommit !== i.headCommit, { message: 'head commit equals base commit: nothing to deploy', path: ['headCommit'] });
export type PipelineInput = z.output<typeof pipelineInputSchema>;

export const STAGES = [
  'change-analysis',
  'risk',
  'build',
  'scan',
  'policy',
  'lock',
  'approval',
  'deploy',
  'analysis',
  'promote',
  'rollback',
  'done',
] as const;
export type Stage = (typeof STAGES)[number];

export const OUTCOMES = ['promoted', 'rolled_back', 'blocked_by_policy', 'rejected', 'expired', 'superseded', 'failed'] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

/** A failure as the workflow saw it: the ApplicationFailure type (an activities/errors.ts class name) and message. */
export interface FailureCause {
  type: string;
  message: string;
}

export type Outcome =
  | { kind: 'promoted'; releaseId: string; image: string }
  | { kind: 'rolled_back'; reason: string; step?: number; cause?: FailureCause }
  | { kind: 'blocked_by_policy'; violations: string[] }
  | { kind: 'rejected'; by: string; comment?: string }
  | { kind: 'expired'; afterMs: number }
  | { kind: 'superseded'; by: string }
  | { kind: 'failed'; stage: Stage; cause: FailureCause };

export interface PipelineResult {
  pipelineId: string;
  releaseId: string;
  outcome: Outcome;
}

/** What the `state` query returns: enough for `airlock status` without reading the history. */
export interface PipelineState {
  pipelineId: string;
  releaseId: string;
  service: string;
  environment: string;
  headCommit: string;
  author: string;
  stage: Stage;
  risk?: { score: number; level: RiskLevel; reasons: string[] };
  image?: string; // image@digest
  findings?: {
    vulnerabilities: Record<string, number>;
    secrets: number;
    misconfigurations: number;
    licenses: number;
    reportDigest: string;
  };
  policy?: { allowed: boolean; policyDigest: string; violations: string[] };
  approval?: { needed: number; require: string[]; groups: string[]; deadline?: string; decisions: ApprovalRecord[] };
  traffic: number;
  analysis: AnalysisVerdict[];
  compensations: string[];
  outcome?: Outcome;
}
