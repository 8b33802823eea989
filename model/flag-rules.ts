// Feature flags (issue 18): flagd's flag definition format and the pure decisions of a flag rollout.
// zod-free: workflow code imports this module (the schema that parses the files is model/flags.ts).
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/curves/utils';
import type { Approver } from './policy-snapshot';

/** A JSON value as flagd's variants and targeting rules hold them. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One flag in flagd's format (https://flagd.dev/reference/flag-definitions/). */
export interface FlagDefinition {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, Json>;
  defaultVariant: string;
  targeting?: { [key: string]: Json };
  metadata?: Record<string, string | number | boolean>;
}

/** A flagd flag definition file (`flags.flagd.json`). */
export interface FlagdFile {
  $schema?: string;
  flags: Record<string, FlagDefinition>;
  $evaluators?: Record<string, Json>;
  metadata?: Record<string, string | number | boolean>;
}

/** The two variants a flag airlock rolls out must have: the new code path and the old one. */
export const ON = 'on';
export const OFF = 'off';

/** Default steps of `airlock flag rollout`, in percent of users on the `on` variant. */
export const DEFAULT_FLAG_STEPS = [1, 5, 25, 50, 100] as const;

/** A forged start cannot jump: the first step is at most this, and no step more than 5x the previous (min +25). */
export const MAX_FIRST_STEP = 25;

/** Problems with a step list (empty: fine): ascending whole percents, ending at 100, no jump. */
export function flagStepProblems(steps: readonly number[]): string[] {
  const problems: string[] = [];
  if (steps.length === 0) return ['steps: at least one step'];
  steps.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1 || s > 100) problems.push(`steps.${i}: must be a whole percent 1..100`);
    const prev = i > 0 ? steps[i - 1]! : 0;
    if (i > 0 && s <= prev) problems.push(`steps.${i}: must be larger than the step before (${prev})`);
    if (i === 0 && s > MAX_FIRST_STEP) problems.push(`steps.0: the first step is at most ${MAX_FIRST_STEP}% (a flag is activated gradually)`);
    if (i > 0 && s > Math.max(prev * 5, prev + 25)) problems.push(`steps.${i}: ${prev} -> ${s} is too big a jump (at most 5x or +25)`);
  });
  if (steps[steps.length - 1] !== 100) problems.push('steps: the last step must be 100');
  return problems;
}

/**
 * flagd targeting that puts `share` percent of users on `on` and the rest on `off`. flagd's `fractional`
 * buckets a user by murmur3(flagKey + targetingKey) into 0..99 and walks the variants in order: with `on`
 * first, a user on `on` at 5% (bucket < 5) stays on it at 25%: buckets are sticky across steps.
 */
export function fractionalTargeting(share: number): { [key: string]: Json } {
  return { fractional: [[ON, share], [OFF, 100 - share]] };
}

/** The flag at `share` percent (0: off for everyone; 100: on for everyone, no targeting). */
export function flagAtShare(flag: FlagDefinition, share: number): FlagDefinition {
  const { targeting: _dropped, ...rest } = flag;
  if (share <= 0) return { ...rest, state: 'ENABLED', defaultVariant: OFF };
  if (share >= 100) return { ...rest, state: 'ENABLED', defaultVariant: ON };
  return { ...rest, state: 'ENABLED', defaultVariant: OFF, targeting: fractionalTargeting(share) };
}

/**
 * MurmurHash3 (x86, 32 bit, seed 0) of a string of code units below 256, as flagd's `fractional` computes it
 * (flagd-core hashes with imurmurhash). airlock uses it to know, without asking the service, which variant a
 * synthetic user of its own gets.
 */
export function murmur3(key: string): number {
  let h = 0;
  const n = key.length;
  const tail = n & 3;
  const body = n - tail;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < body; i += 4) {
    const k = (key.charCodeAt(i) & 0xff) | ((key.charCodeAt(i + 1) & 0xff) << 8) | ((key.charCodeAt(i + 2) & 0xff) << 16) | ((key.charCodeAt(i + 3) & 0xff) << 24);
    h ^= mix(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  if (tail === 3) k ^= (key.charCodeAt(body + 2) & 0xff) << 16;
  if (tail >= 2) k ^= (key.charCodeAt(body + 1) & 0xff) << 8;
  if (tail >= 1) {
    k ^= key.charCodeAt(body) & 0xff;
    h ^= mix(k);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The variant flagd serves `user` for `flag` at `share` percent (airlock's targeting: `on` first, weights summing to 100). */
export function variantAt(flag: string, user: string, share: number): typeof ON | typeof OFF {
  if (share <= 0) return OFF;
  if (share >= 100) return ON;
  const bucket = Math.floor((murmur3(`${flag}${user}`) * 100) / 2 ** 32);
  return bucket < share ? ON : OFF;
}

/** The share a served flag gives `on` (0..100), as far as airlock's own targeting goes; null: other targeting. */
export function shareOf(flag: FlagDefinition): number | null {
  if (flag.state === 'DISABLED') return 0;
  const t = flag.targeting;
  if (!t || Object.keys(t).length === 0) return flag.defaultVariant === ON ? 100 : flag.defaultVariant === OFF ? 0 : null;
  const f = t.fractional;
  if (!Array.isArray(f) || f.length !== 2) return null;
  const [on, off] = f;
  if (!Array.isArray(on) || !Array.isArray(off) || on[0] !== ON || off[0] !== OFF || typeof on[1] !== 'number') return null;
  return on[1];
}

/** What the environment serves: the file the running instances read, and airlock's record of each flag. */
export interface ServedFlags {
  file: FlagdFile;
  /** Per flag: killed (with who and why) or the share set last, and by which workflow. */
  state: Record<string, FlagRecord>;
}

export interface FlagRecord {
  share: number;
  /** Set by a kill: the flag stays off until a new rollout starts from 0. */
  killed?: { by: string; reason: string; at: string; workflowId: string };
  workflowId: string;
  at: string;
}

// -- per-variant analysis ---------------------------------------------------------------------------

/** Requests one variant answered over the window, by outcome. */
export interface VariantCounts {
  requests: number;
  /** 5xx */
  errors: number;
  /** 401 and 403 */
  denied: number;
}

export interface FlagThresholds {
  /** Most 5xx share of the `on` variant, 0..1. */
  maxErrorRate: number;
  /** Most 401/403 share of the `on` variant, 0..1. */
  maxDeniedRate: number;
  /** How much worse than `off` the `on` variant may be, per rate (absolute, 0..1). */
  maxDegradation: number;
  /** Fewest `on` requests to judge by; fewer: inconclusive (the step waits for the next window). */
  minRequests: number;
}

export const DEFAULT_FLAG_THRESHOLDS: FlagThresholds = { maxErrorRate: 0.02, maxDeniedRate: 0.05, maxDegradation: 0.02, minRequests: 20 };

export interface VariantVerdict {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** The service's own counters (flag_requests_total), from Prometheus. */
  on: VariantCounts;
  off: VariantCounts;
  reasons: string[];
  /** What airlock's synthetic users saw, split by the variant airlock computed for each (not the service's word). */
  observed?: { on: VariantCounts; off: VariantCounts };
}

/**
 * Both judgements of one window: the service's counters and airlock's own observations. Either failing fails
 * the step (a service under-reporting its `on` errors is caught by what airlock saw); pass needs the
 * service's counters to pass (they cover real users too).
 */
export function combineVerdicts(reported: VariantVerdict, observed: VariantVerdict): VariantVerdict {
  const seen = { on: observed.on, off: observed.off };
  if (observed.verdict === 'fail') {
    const reasons = [...(reported.verdict === 'fail' ? reported.reasons : []), ...observed.reasons.map((r) => `airlock's users: ${r}`)];
    return { ...reported, verdict: 'fail', reasons, observed: seen };
  }
  return { ...reported, observed: seen };
}

const rate = (n: number, of: number): number => (of > 0 ? n / of : 0);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Judges the `on` variant over one window: its 5xx and 401/403 shares against the thresholds, and against
 * the `off` variant over the same window (so a problem of the whole service is not blamed on the flag).
 */
export function judgeVariants(on: VariantCounts, off: VariantCounts, t: FlagThresholds): VariantVerdict {
  const reasons: string[] = [];
  const errorRate = rate(on.errors, on.requests);
  const deniedRate = rate(on.denied, on.requests);
  // a handful of requests judge nothing either way (one 500 of two is not a 50% error rate)
  if (on.requests >= Math.max(1, Math.ceil(t.minRequests / 4))) {
    if (errorRate > t.maxErrorRate) reasons.push(`on: 5xx ${pct(errorRate)} > ${pct(t.maxErrorRate)} (${on.errors}/${on.requests})`);
    if (deniedRate > t.maxDeniedRate) reasons.push(`on: 401/403 ${pct(deniedRate)} > ${pct(t.maxDeniedRate)} (${on.denied}/${on.requests})`);
    if (off.requests > 0) {
      const offErrors = rate(off.errors, off.requests);
      const offDenied = rate(off.denied, off.requests);
      if (errorRate - offErrors > t.maxDegradation) reasons.push(`on: 5xx ${pct(errorRate)} vs off ${pct(offErrors)}: worse by more than ${pct(t.maxDegradation)}`);
      if (deniedRate - offDenied > t.maxDegradation) reasons.push(`on: 401/403 ${pct(deniedRate)} vs off ${pct(offDenied)}: worse by more than ${pct(t.maxDegradation)}`);
    }
  }
  if (reasons.length) return { verdict: 'fail', on, off, reasons };
  if (on.requests < t.minRequests) return { verdict: 'inconclusive', on, off, reasons: [`on: ${on.requests} requests < ${t.minRequests}`] };
  return { verdict: 'pass', on, off, reasons: [] };
}

// -- kill: signed ----------------------------------------------------------------------------------

/** What a kill signature binds: this flag, in this environment, for this reason, under this request id. */
export interface FlagKillSubject {
  service: string;
  environment: string;
  flag: string;
  reason: string;
  /** The kill workflow's id (single-use: a signature cannot be replayed into a second kill later). */
  workflowId: string;
}

export const FLAG_KILL_DOMAIN = 'airlock-flag-kill-v1';

export function flagKillMessageText(s: FlagKillSubject): string {
  return `${FLAG_KILL_DOMAIN}\n${JSON.stringify([s.service, s.environment, s.flag, s.reason, s.workflowId])}`;
}

export function signFlagKill(privateKeyHex: string, s: FlagKillSubject): string {
  return bytesToHex(ed25519.sign(utf8ToBytes(flagKillMessageText(s)), hexToBytes(privateKeyHex)));
}

export function verifyFlagKill(publicKeyHex: string, signatureHex: string, s: FlagKillSubject): boolean {
  try {
    return ed25519.verify(hexToBytes(signatureHex), utf8ToBytes(flagKillMessageText(s)), hexToBytes(publicKeyHex), { zip215: false });
  } catch {
    return false;
  }
}

/** A signed kill request: who, and their signature over the FlagKillSubject. */
export interface FlagKillSignature {
  by: string;
  signature: string;
}

/**
 * Who may kill a flag: any approver of the environment's protected policy (any group): killing only ever
 * goes back to the code that already runs. Returns the problem, or undefined when the signature holds.
 */
export function flagKillProblem(groups: Record<string, readonly Pick<Approver, 'id' | 'publicKey'>[]>, subject: FlagKillSubject, signed: FlagKillSignature): string | undefined {
  const keys = Object.values(groups)
    .flat()
    .filter((a) => a.id === signed.by)
    .map((a) => a.publicKey);
  if (keys.length === 0) return `${signed.by} is not an approver in the environment's policy`;
  if (!/^[0-9a-f]{128}$/.test(signed.signature)) return 'the signature must be 128 lowercase hex digits';
  if (!keys.some((k) => verifyFlagKill(k, signed.signature, subject))) return `the signature of ${signed.by} does not verify for this kill (${subject.workflowId})`;
  return undefined;
}

// -- names -----------------------------------------------------------------------------------------

export const flagRolloutWorkflowId = (service: string, environment: string, flag: string): string => `airlock-flag/${service}/${environment}/${flag}`;
export const flagKillWorkflowId = (service: string, environment: string, flag: string, nonce: string): string => `airlock-flag-kill/${service}/${environment}/${flag}/${nonce}`;

/** flagd flag keys airlock accepts (they end up in workflow ids and PromQL label values). */
export const FLAG_KEY = /^[a-z0-9][a-z0-9-]{0,62}$/;
