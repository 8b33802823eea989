import { z } from 'zod';

// The approval part of airlock.policy.yaml as the pipeline waits on it (read at the BASE commit by the
// readPolicySnapshot activity). Its own module: model/approval-rules.ts (the zod-free rules workflow code
// imports) takes these types, and model/pipeline.ts takes the approval records from there.

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
    /**
     * `evidence.trustedKeys` of the policy: the worker signing keys (SPKI PEM, ECDSA P-256) whose evidence
     * counts. Absent: the key of the worker that checks (a single-worker setup).
     */
    trustedKeys: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const keys = new Map<string, string>();
    const owners = new Map<string, string>();
    for (const [group, members] of Object.entries(p.groups)) {
      members.forEach((m, i) => {
        const seen = keys.get(m.id);
        if (seen !== undefined && seen !== m.publicKey)
          ctx.addIssue({ code: 'custom', path: ['groups', group, i, 'publicKey'], message: `${m.id} has a different key in another group` });
        keys.set(m.id, m.publicKey);
        const owner = owners.get(m.publicKey);
        if (owner !== undefined && owner !== m.id)
          ctx.addIssue({ code: 'custom', path: ['groups', group, i, 'publicKey'], message: `the same key is listed for ${owner}: one key may belong to one approver id only` });
        else owners.set(m.publicKey, m.id);
      });
    }
    for (const [level, rule] of Object.entries(p.levels)) {
      for (const g of [...rule.groups, ...rule.require])
        if (!(g in p.groups)) ctx.addIssue({ code: 'custom', path: ['levels', level], message: `unknown group ${g}` });
    }
  });
export type PolicySnapshot = z.output<typeof policySnapshotSchema>;
