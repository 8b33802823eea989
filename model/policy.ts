import { z } from 'zod';
import { DEFAULT_COMPLIANCE } from './compliance';
import { rescanPolicyShape } from './compliance-policy';
import type { RiskLevel } from './risk';
import { notificationsSchema } from './notifications-schema';
import { driftPolicyShape } from './drift-policy';
import { flagPolicySchema } from './flag-policy';

/**
 * `airlock.policy.yaml`: policy as code, kept in the service repo, its sha256 recorded with every verdict.
 * Strict like the manifest (unknown keys are errors). Keys are camelCase like airlock.yaml, except the
 * `security_requirements` block, whose names come from the product brief. Documented in docs/policy.md.
 * Sandbox-safe: the workflow may call the helpers at the bottom (freeze windows, approval rules).
 */

export const POLICY_FILE = 'airlock.policy.yaml';

const lower = ['critical', 'high', 'medium', 'low'] as const;
export const policySeveritySchema = z.enum(lower);
export type PolicySeverity = z.output<typeof policySeveritySchema>;

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'must be a lowercase slug (letters, digits, dashes)');

/** Durations for human-scale waits: 90s, 30m, 24h, 7d. */
export const policyDurationSchema = z.string().regex(/^\d+(s|m|h|d)$/, 'must be a duration like 30m, 24h or 7d');

/** ISO date (`2026-12-31`, valid through the end of that day UTC) or an ISO date-time with offset. */
const dateOrDateTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be a date (2026-12-31) or an ISO date-time (2026-12-31T18:00:00Z)',
});

// --- security_requirements (product brief) -------------------------------------------------------------
export const securityRequirementsSchema = z
  .object({
    authentication: z.enum(['mandatory', 'optional']).optional(),
    encryption_at_rest: z.enum(['required', 'optional']).optional(),
    encryption_in_transit: z.enum(['required', 'optional']).optional(),
    input_validation: z.enum(['strict', 'basic', 'none']).optional(),
    error_handling: z.enum(['secure', 'default']).optional(),
    logging: z.enum(['comprehensive', 'basic', 'none']).optional(),
  })
  .strict();
export type SecurityRequirements = z.output<typeof securityRequirementsSchema>;

// --- gates ----------------------------------------------------------------------------------------------
export const gatesSchema = z
  .object({
    vulnerabilities: z
      .object({
        /** Highest severity allowed; a finding above it blocks. `none` allows no finding at all. */
        maxSeverity: z.enum([...lower, 'none']).default('high'),
        /** A finding at one of these severities with a fixed version available blocks, whatever maxSeverity says. */
        failOnFixable: z.array(policySeveritySchema).default(['critical', 'high']),
        /** Findings without a fixed version do not count against maxSeverity (they are still reported). */
        ignoreUnfixed: z.boolean().default(false),
        /**
         * Oldest vulnerability DB a scan may use (its build time, Trivy's metadata.json UpdatedAt, against the
         * time of the gate), e.g. `48h`. Unset: any age.
         */
        maxDbAge: policyDurationSchema.optional(),
      })
      .strict()
      .default({ maxSeverity: 'high', failOnFixable: ['critical', 'high'], ignoreUnfixed: false }),
    secrets: z
      .object({ allowed: z.boolean().default(false) })
      .strict()
      .default({ allowed: false }),
    dockerfile: z
      .object({
        /** The image must set a non-root USER (Trivy check DS002). */
        requireNonRoot: z.boolean().default(true),
        /** The image must define a HEALTHCHECK (Trivy check DS026). */
        requireHealthcheck: z.boolean().default(false),
        /** Further Trivy Dockerfile check ids that block (e.g. DS001 `latest` tag). */
        deny: z.array(z.string().regex(/^[A-Z]+-?\d+$/, 'must be a Trivy check id like DS001')).default([]),
        /** Any other misconfiguration above this severity blocks; `critical` never blocks by severity. */
        maxSeverity: policySeveritySchema.default('critical'),
      })
      .strict()
      .default({ requireNonRoot: true, requireHealthcheck: false, deny: [], maxSeverity: 'critical' }),
    licenses: z
      .object({
        /** SPDX ids (as Trivy reports them) that may not ship. */
        deny: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ deny: [] }),
    baseImages: z
      .object({
        /** Allowed base images (the final stage's FROM); `*` matches any characters. Empty: any base. */
        allow: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ allow: [] }),
  })
  .strict();
export type Gates = z.output<typeof gatesSchema>;

// --- exceptions -----------------------------------------------------------------------------------------
export const exceptionSchema = z
  .object({
    /** What is excepted: a CVE/GHSA id, a Trivy check id (DS026), a secret rule id or a license id. */
    id: z.string().min(1),
    owner: z.string().min(1),
    reason: z.string().min(1),
    /** Exceptions always expire; an expired one stops applying (and is reported). */
    expires: dateOrDateTime,
    /** Optional scope: only findings in these packages (vulnerabilities, licenses). */
    packages: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type PolicyException = z.output<typeof exceptionSchema>;

// --- approvers and approvals ----------------------------------------------------------------------------
/**
 * An ed25519 public key: the 32 raw bytes, written as 64 hex digits or as standard base64 (44 characters
 * with padding, 43 without). Nothing else (no PEM, no SSH format).
 */
export const publicKeySchema = z
  .string()
  .refine((k) => decodePublicKey(k) !== undefined, 'must be an ed25519 public key: 32 bytes as 64 hex digits or base64');

export const approverSchema = z
  .object({
    /** Who signs: the name used with `airlock approve --as`. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/, 'must be a user name or e-mail without spaces'),
    publicKey: publicKeySchema,
    /** Other identities of the same person (git author e-mails): an author cannot approve under any of them. */
    aliases: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type Approver = z.output<typeof approverSchema>;

export const approverGroupSchema = z
  .object({ members: z.array(approverSchema).min(1, 'a group needs at least one member') })
  .strict()
  .superRefine((g, ctx) => {
    const seen = new Set<string>();
    g.members.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: ['members', i, 'id'], message: `duplicate member ${m.id}` });
      seen.add(m.id);
    });
  });

export const approvalRuleSchema = z
  .object({
    /** Distinct approvals needed; 0 = automatic (recorded as a decision with its reasons). */
    required: z.number().int().min(0).max(10),
    /** Groups whose members may approve; default: every group. */
    from: z.array(slug).optional(),
    /** Groups that must each be represented among the approvers, e.g. [security] for high risk. */
    require: z.array(slug).default([]),
  })
  .strict()
  .refine((r) => r.require.length <= r.required, { message: 'requires more groups than approvals', path: ['require'] });
export type ApprovalRule = z.output<typeof approvalRuleSchema>;

export const approvalsSchema = z
  .object({
    /** How long a pipeline waits for approvals before it expires (1s to 30d). */
    timeout: policyDurationSchema
      .refine((d) => !/^\d+(s|m|h|d)$/.test(d) || (policyDurationMs(d) >= 1000 && policyDurationMs(d) <= 30 * 86_400_000), 'must be between 1s and 30d')
      .default('24h'),
    low: approvalRuleSchema.default({ required: 0, require: [] }),
    medium: approvalRuleSchema.default({ required: 1, require: [] }),
    high: approvalRuleSchema.default({ required: 2, require: [] }),
  })
  .strict();

// --- freeze windows -------------------------------------------------------------------------------------
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a UTC time HH:MM (00:00 to 24:00)');

export const freezeWindowSchema = z
  .object({
    name: z.string().min(1),
    reason: z.string().optional(),
    /** Environments frozen; default: all. */
    environments: z.array(slug).optional(),
    /** A one-off window: both start and end. */
    start: z.iso.datetime({ offset: true, error: 'must be an ISO date-time like 2026-12-20T00:00:00Z' }).optional(),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO date-time like 2027-01-04T00:00:00Z' }).optional(),
    /** A weekly window in UTC; when end <= start it runs past midnight into the next day. */
    weekly: z.object({ days: z.array(z.enum(DAYS)).min(1), start: clock, end: clock }).strict().optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const oneOff = w.start !== undefined || w.end !== undefined;
    if (oneOff && w.weekly) ctx.addIssue({ code: 'custom', message: 'give either start/end or weekly, not both' });
    else if (!oneOff && !w.weekly) ctx.addIssue({ code: 'custom', message: 'give start and end, or weekly' });
    else if (oneOff && (w.start === undefined || w.end === undefined))
      ctx.addIssue({ code: 'custom', path: [w.start === undefined ? 'start' : 'end'], message: 'a one-off window needs both start and end' });
    else if (w.start && w.end && Date.parse(w.end) <= Date.parse(w.start))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });
export type FreezeWindow = z.output<typeof freezeWindowSchema>;

// --- protected branches -------------------------------------------------------------------------------
const branchName = z.string().regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/, 'must be a branch name like main or release/1.x');

/** `environments:` of a policy (and of the worker's bootstrap file): the branches each environment deploys from. */
export const environmentBranchesSchema = z.record(
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'environment names are lowercase slugs'),
  z.object({ branches: z.array(branchName).min(1) }).strict(),
);
export const branchListSchema = z.array(branchName).min(1);

// --- the file -------------------------------------------------------------------------------------------
export const policySchema = z
  .object({
    version: z.literal(1, { error: 'must be 1 (the only policy format so far)' }).default(1),
    security_requirements: securityRequirementsSchema.default({}),
    gates: gatesSchema.default(gatesSchema.parse({})),
    exceptions: z.array(exceptionSchema).default([]),
    approverGroups: z.record(slug, approverGroupSchema).default({}),
    approvals: approvalsSchema.default(approvalsSchema.parse({})),
    /** `airlock deploy --break-glass`: N distinct signatures of this group skip the gate (not the lock). Absent: off. */
    breakGlass: z
      .object({ group: slug, approvals: z.number().int().min(1).max(10) })
      .strict()
      .optional(),
    freezeWindows: z.array(freezeWindowSchema).default([]),
    /**
     * What a freeze window that starts during a rollout does (re-checked before the deploy and before each
     * traffic increase): `hold` keeps the release at its current step until the window ends (bounded by the
     * lock lease, then it rolls back), `rollback` rolls it back at once. Before the deploy a freeze blocks.
     */
    freeze: z
      .object({ duringRollout: z.enum(['hold', 'rollback']).default('hold') })
      .strict()
      .default({ duringRollout: 'hold' }),
    /** Risk weights and levels: the risk engine's schema (model/change.ts riskPolicySchema) parses this. */
    risk: z.unknown().optional(),
    /**
     * Feature flags (docs/flags.md): the thresholds a flag rollout judges the `on` variant by. Read from the
     * environment's protected policy only (model/flag-policy.ts); absent: airlock's defaults.
     */
    flags: flagPolicySchema.optional(),
    /** The branches each environment deploys from (read at the anchor); an environment not listed: [main]. */
    environments: environmentBranchesSchema.default({}),
    /**
     * The release evidence chain (docs/evidence.md): the worker signing keys (SPKI PEM, ECDSA P-256) whose
     * attestations count. Empty: the key of the worker that checks (one worker).
     */
    evidence: z
      .object({ trustedKeys: z.array(z.string().regex(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/, 'must be a PEM public key (SPKI)')).default([]) })
      .strict()
      .default({ trustedKeys: [] }),
    /** Alerts: CloudEvents / Slack webhooks and the events each wants (model/notifications.ts, docs in README). */
    notifications: notificationsSchema.optional(),
    /**
     * Continuous compliance after deploy (issue 16): scheduled rescans (model/compliance-policy.ts,
     * docs/compliance.md) and the drift check (model/drift-policy.ts), side by side.
     */
    compliance: z
      .object({ ...rescanPolicyShape, ...driftPolicyShape })
      .strict()
      .default({ ...DEFAULT_COMPLIANCE, driftEvery: '1h', onDrift: 'alert' }),
  })
  .strict()
  .superRefine((p, ctx) => {
    checkApprovals(p, ctx);
    if (!p.breakGlass) return;
    const members = p.approverGroups[p.breakGlass.group]?.members.length;
    if (members === undefined) ctx.addIssue({ code: 'custom', path: ['breakGlass', 'group'], message: `no approver group named ${p.breakGlass.group}` });
    else if (p.breakGlass.approvals > members)
      ctx.addIssue({ code: 'custom', path: ['breakGlass', 'approvals'], message: `needs ${p.breakGlass.approvals} signatures but group ${p.breakGlass.group} has ${members} members` });
  });
export type Policy = z.output<typeof policySchema>;

/** A parsed policy file and the sha256 of its bytes: what a verdict records, and what the pipeline passes on once read. */
export interface LoadedPolicy {
  policy: Policy;
  /** `sha256:<hex>` of the file's bytes */
  digest: string;
  /** Where it came from (a path), for messages. */
  source: string;
}

type ApprovalSections = { approverGroups: Record<string, { members: Approver[] }>; approvals: z.output<typeof approvalsSchema> };

function checkApprovals(p: ApprovalSections, ctx: z.RefinementCtx): void {
  const groups = p.approverGroups;
  const keys = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const [name, g] of Object.entries(groups)) {
    g.members.forEach((m, i) => {
      const key = normalizedKey(m.publicKey);
      const prior = keys.get(m.id);
      if (prior !== undefined && prior !== key)
        ctx.addIssue({ code: 'custom', path: ['approverGroups', name, 'members', i, 'publicKey'], message: `${m.id} has a different key in another group` });
      keys.set(m.id, key);
      // one key, one approver: else one person holds two approvals (issue 11 item 5)
      const owner = owners.get(key);
      if (owner !== undefined && owner !== m.id)
        ctx.addIssue({ code: 'custom', path: ['approverGroups', name, 'members', i, 'publicKey'], message: `the same key is listed for ${owner}: one key may belong to one approver id only` });
      else owners.set(key, m.id);
    });
  }
  for (const level of ['low', 'medium', 'high'] as const) {
    const rule = p.approvals[level];
    const path = ['approvals', level];
    const from = rule.from ?? Object.keys(groups);
    for (const [i, g] of (rule.from ?? []).entries())
      if (!groups[g]) ctx.addIssue({ code: 'custom', path: [...path, 'from', i], message: `no approver group named ${g}` });
    rule.require.forEach((g, i) => {
      if (!groups[g]) ctx.addIssue({ code: 'custom', path: [...path, 'require', i], message: `no approver group named ${g}` });
      else if (!from.includes(g)) ctx.addIssue({ code: 'custom', path: [...path, 'require', i], message: `${g} is not in from` });
    });
    const eligible = new Set(from.flatMap((g) => groups[g]?.members.map((m) => m.id) ?? []));
    // Without any approver group nobody can approve: medium/high changes then wait and expire (documented).
    if (Object.keys(groups).length > 0 && rule.required > eligible.size)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'required'],
        message: `needs ${rule.required} distinct approvers but the eligible groups have ${eligible.size} members`,
      });
  }
}

// --- helpers (pure; usable from workflows) --------------------------------------------------------------

/** The 32 key bytes, or undefined when `key` is neither 64 hex digits nor base64 of 32 bytes. */
export function decodePublicKey(key: string): Uint8Array | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(key)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(key.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  if (/^[A-Za-z0-9+/]{43}=?$/.test(key)) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const bits = key.replace(/=$/, '').split('').map((c) => alphabet.indexOf(c));
    const out = new Uint8Array(32);
    let acc = 0;
    let n = 0;
    let o = 0;
    for (const v of bits) {
      acc = (acc << 6) | v;
      n += 6;
      if (n >= 8) {
        n -= 8;
        if (o < 32) out[o++] = (acc >> n) & 0xff;
      }
      acc &= (1 << n) - 1;
    }
    return acc === 0 ? out : undefined; // the 2 spare bits of the last character must be zero
  }
  return undefined;
}

/** The key as 64 lowercase hex digits (the form approvals are verified with). */
export const normalizedKey = (key: string): string =>
  Array.from(decodePublicKey(key) ?? [], (b) => b.toString(16).padStart(2, '0')).join('');

/** Milliseconds of a policy duration (`24h`). */
export function policyDurationMs(d: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  if (!m) throw new RangeError(`not a duration: ${d}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Approval rule for a risk level, with `from` resolved to the group names. */
export function approvalRule(policy: Policy, level: RiskLevel): { required: number; from: string[]; require: string[] } {
  const rule = policy.approvals[level];
  return { required: rule.required, from: rule.from ?? Object.keys(policy.approverGroups), require: rule.require };
}

/** End of validity of an exception: a date-only `expires` lasts through that day (UTC). */
export function exceptionExpiresAt(e: PolicyException): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(e.expires) ? Date.parse(`${e.expires}T00:00:00Z`) + 86_400_000 : Date.parse(e.expires);
}

/**
 * When the freeze window `w`, active at `now`, ends: its one-off end, or the end of the weekly slot (the
 * next HH:MM end after now). Milliseconds since the epoch.
 */
export function freezeWindowEndsAt(w: FreezeWindow, now: Date): number {
  if (w.end) return Date.parse(w.end);
  if (!w.weekly) return now.getTime();
  const [h, m] = [Number(w.weekly.end.slice(0, 2)), Number(w.weekly.end.slice(3))];
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m);
  return end > now.getTime() ? end : end + 86_400_000;
}

/** The freeze window that covers `environment` at `now`, if any. Freezes block forward deploys only. */
export function activeFreezeWindow(policy: Policy, environment: string | undefined, now: Date): FreezeWindow | undefined {
  const t = now.getTime();
  return policy.freezeWindows.find((w) => {
    if (w.environments && (environment === undefined || !w.environments.includes(environment))) return false;
    if (w.start && w.end) return t >= Date.parse(w.start) && t < Date.parse(w.end);
    if (!w.weekly) return false;
    const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
    const [start, end] = [minutes(w.weekly.start), minutes(w.weekly.end)];
    const nowMin = now.getUTCHours() * 60 + now.getUTCMinutes();
    const today = DAYS[now.getUTCDay()]!;
    const yesterday = DAYS[(now.getUTCDay() + 6) % 7]!;
    if (end > start) return w.weekly.days.includes(today) && nowMin >= start && nowMin < end;
    // wraps past midnight: the evening part belongs to `today`, the early-morning part to `yesterday`
    return (w.weekly.days.includes(today) && nowMin >= start) || (w.weekly.days.includes(yesterday) && nowMin < end);
  });
}

/** `*` glob match over the whole string (base image allowlist). */
export function matchesGlob(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}
