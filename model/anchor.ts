import { z } from 'zod';
import { approverSchema as policyApproverSchema, branchListSchema, environmentBranchesSchema, gatesSchema, policyDurationSchema } from './policy';

// The policy anchor (issue 11, items 1 and 2): the commit whose policy judges a change is the one the
// environment runs now (its stable release), never one the change or its trigger chose; the judged range
// is stable..head. An environment's first release has no anchor: it is a bootstrap, judged by approvers
// configured on the worker (this file's schema), outside the repository. Sandbox-safe.

export { EMPTY_TREE } from './names';

/** Branches an environment deploys from when its policy does not name them. */
export const DEFAULT_BRANCHES = ['main'];

/** resolveAnchor's answer: what the environment runs now. */
export interface Anchor {
  /** Full commit of the stable release; null for a first release (no stable release: bootstrap). */
  commit: string | null;
  stableReleaseId: string | null;
}

/** Where the policy that judges a pipeline came from: recorded in the pipeline state and so the history. */
export interface PolicyOrigin {
  /** The anchor commit, or `bootstrap` for an environment's first release. */
  commit: string;
  stableReleaseId?: string;
  /** sha256 of the policy file's bytes (the bootstrap file's for a first release). */
  policyDigest: string;
  /** e.g. `git:<repo>@<commit>:airlock.policy.yaml` or `bootstrap:/path/bootstrap.policy.yaml`. */
  policySource: string;
  /** The protected branch head was found on. */
  branch: string;
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be a lowercase slug (letters, digits, dashes)');

/**
 * The worker's first-release policy (AIRLOCK_BOOTSTRAP_POLICY, default $AIRLOCK_HOME/bootstrap.policy.yaml):
 * who approves an environment's first release and how many of them. Lives outside every repository.
 */
export const bootstrapPolicySchema = z
  .object({
    version: z.literal(1).default(1),
    approvers: z
      .array(
        z
          .object({
            name: policyApproverSchema.shape.id,
            publicKey: policyApproverSchema.shape.publicKey,
            groups: z.array(slug).min(1),
            aliases: z.array(z.string().min(1)).default([]),
          })
          .strict(),
      )
      .min(1, 'a first release needs at least one approver'),
    /** How many distinct approvers, and which groups must be among them. */
    rule: z.object({ approvals: z.number().int().min(1).max(10), require: z.array(slug).default([]) }).strict(),
    timeout: policyDurationSchema.default('24h'),
    /** Branches a first release may come from, per environment; default: DEFAULT_BRANCHES. */
    branches: branchListSchema.default(DEFAULT_BRANCHES),
    environments: environmentBranchesSchema.default({}),
    /** Gates of a first release (vulnerabilities, secrets, Dockerfile...); default: the built-in ones. */
    gates: gatesSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const groups = new Set(b.approvers.flatMap((a) => a.groups));
    b.rule.require.forEach((g, i) => {
      if (!groups.has(g)) ctx.addIssue({ code: 'custom', path: ['rule', 'require', i], message: `no approver is in group ${g}` });
    });
    if (b.rule.approvals > b.approvers.length) ctx.addIssue({ code: 'custom', path: ['rule', 'approvals'], message: `needs ${b.rule.approvals} approvers, ${b.approvers.length} listed` });
    if (b.rule.require.length > b.rule.approvals) ctx.addIssue({ code: 'custom', path: ['rule', 'require'], message: 'requires more groups than approvals' });
  });
export type BootstrapPolicy = z.output<typeof bootstrapPolicySchema>;

/** The branches `environment` deploys from: its own entry, else the default list. */
export function branchesOf(environments: Record<string, { branches: string[] }> | undefined, environment: string, fallback: string[] = DEFAULT_BRANCHES): string[] {
  return environments?.[environment]?.branches ?? fallback;
}
