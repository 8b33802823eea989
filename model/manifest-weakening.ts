import { durationMs } from './duration';
import type { CanaryAnalysisSettings, CustomCheck, Manifest, RolloutSettings } from './manifest';

// A change to airlock.yaml that weakens how a release is rolled out or judged is a change to the gate
// (issue 11, item 4): the pipeline reads these settings from the manifest at the head commit, so the
// change under review could otherwise pick its own, laxer, rollout. Pure: the risk scorer's input.

/** One setting the head manifest makes weaker than the base one, e.g. `rollout.steps: [10, 50, 100] -> [100]`. */
export interface Weakening {
  /** `environments.<env>.rollout.steps`, `environments.<env>.analysis.minSuccessRate`, ... */
  field: string;
  from: string;
  to: string;
}

export const weakeningText = (w: Weakening): string => `${w.field}: ${w.from} -> ${w.to}`;

const show = (v: unknown): string => {
  if (v === undefined) return 'default';
  if (!Array.isArray(v)) return String(v);
  return `[${v.map((x) => (x && typeof x === 'object' ? ('name' in x ? String(x.name) : `${String((x as { method?: string }).method)} ${String((x as { path?: string }).path)}`) : String(x))).join(', ')}]`;
};

/**
 * Every rollout or canary analysis setting of an environment present in both manifests that `head` makes
 * weaker than `base`: canary -> blue-green, fewer canary steps or a bigger first step, fewer checks, a
 * shorter interval, a higher failure limit, a lower minimum success rate, higher latency or drop
 * thresholds, less synthetic load. An environment only in `head` is new (nothing to compare); one only in
 * `base` can no longer be deployed by this manifest. Stronger or equal settings give nothing.
 */
export function manifestWeakenings(base: Manifest, head: Manifest): Weakening[] {
  const out: Weakening[] = [];
  for (const [env, headEnv] of Object.entries(head.environments).sort(([a], [b]) => a.localeCompare(b))) {
    const baseEnv = base.environments[env];
    if (!baseEnv) continue;
    const prefix = `environments.${env}`;
    out.push(...rolloutWeakenings(`${prefix}.rollout`, baseEnv.rollout, headEnv.rollout));
    out.push(...analysisWeakenings(`${prefix}.analysis`, baseEnv.analysis, headEnv.analysis));
    // promotion gates (they apply from the anchor's manifest, model/promotion.ts; named here so the change is judged as a gate change)
    if (durationMs(headEnv.soak ?? '0s') < durationMs(baseEnv.soak ?? '0s')) out.push({ field: `${prefix}.soak`, from: baseEnv.soak ?? '0s', to: headEnv.soak ?? '0s' });
    if ((headEnv.approvals ?? 'inherit') !== (baseEnv.approvals ?? 'inherit') && !higherApprovals(baseEnv.approvals, headEnv.approvals))
      out.push({ field: `${prefix}.approvals`, from: baseEnv.approvals ?? 'inherit', to: headEnv.approvals ?? 'inherit' });
  }
  const dropped = (base.promotion ?? []).filter((e) => !(head.promotion ?? []).includes(e));
  if (base.promotion && dropped.length) out.push({ field: 'promotion', from: show(base.promotion), to: show(head.promotion) });
  out.push(...securityWeakenings(base, head));
  return out;
}

const APPROVAL_RANK = { low: 0, medium: 1, high: 2 } as const;
/** A fixed level above the base's fixed level raises the rule; anything else (to or from `inherit`, or lower) may lower it. */
const higherApprovals = (base: string | undefined, head: string | undefined): boolean =>
  !!base && !!head && base !== 'inherit' && head !== 'inherit' && APPROVAL_RANK[head as keyof typeof APPROVAL_RANK] > APPROVAL_RANK[base as keyof typeof APPROVAL_RANK];

/**
 * The runtime security stage probes what `security.endpoints` declares at head: an endpoint dropped from
 * the list, or turned from `auth: required` to `public`, is not probed (or not for auth) any more.
 */
function securityWeakenings(base: Manifest, head: Manifest): Weakening[] {
  const out: Weakening[] = [];
  const headBy = new Map((head.security?.endpoints ?? []).map((e) => [`${e.method} ${e.path}`, e]));
  for (const e of base.security?.endpoints ?? []) {
    const name = `${e.method} ${e.path}`;
    const now = headBy.get(name);
    if (!now) out.push({ field: `security.endpoints[${name}]`, from: `auth: ${e.auth}`, to: 'not declared' });
    else if (e.auth === 'required' && now.auth !== 'required') out.push({ field: `security.endpoints[${name}].auth`, from: e.auth, to: now.auth });
  }
  return out;
}

function rolloutWeakenings(field: string, base: RolloutSettings, head: RolloutSettings): Weakening[] {
  if (base.strategy === 'canary' && head.strategy !== 'canary') return [{ field: `${field}.strategy`, from: base.strategy, to: head.strategy }];
  if (base.strategy !== 'canary' || head.strategy !== 'canary') return [];
  const fewer = head.steps.length < base.steps.length;
  const biggerFirst = head.steps[0]! > base.steps[0]!;
  return fewer || biggerFirst ? [{ field: `${field}.steps`, from: show(base.steps), to: show(head.steps) }] : [];
}

/** Which way each analysis setting gets weaker. */
const WEAKER: { [K in keyof CanaryAnalysisSettings]: (base: CanaryAnalysisSettings[K], head: CanaryAnalysisSettings[K]) => boolean } = {
  interval: (b, h) => durationMs(h) < durationMs(b),
  checks: (b, h) => h < b,
  failureLimit: (b, h) => h > b,
  minSuccessRate: (b, h) => h < b,
  maxLatencyP95Ms: (b, h) => h > b,
  maxSuccessRateDrop: (b, h) => h > b,
  loadRps: (b, h) => h < b,
  minRequests: (b, h) => h < b,
  confidence: (b, h) => h < b,
  maxAuthRefusalChange: (b, h) => h > b,
  maxClientErrorChange: (b, h) => h > b,
  // A longer wait only gives the checks more evidence; a shorter one makes them inconclusive sooner (fail-safe).
  evidenceWait: () => false,
  // Load that no longer requests a path the base requested stops exercising it.
  load: (b, h) => !loadKeys(b).every((k) => loadKeys(h).includes(k)),
  metrics: (b, h) => b.some((c) => !h.some((x) => x.name === c.name && !customCheckWeaker(c, x))),
};

// No `load` means the default (the health path and `/`): a head that names a load without `/` asks less of it.
const loadKeys = (l: CanaryAnalysisSettings['load']): string[] => (l ?? [{ method: 'GET', path: '/' }]).map((p) => `${p.method} ${p.path}`);

/** A custom check removed, its query changed, its bound loosened, or no data no longer counting. */
function customCheckWeaker(b: CustomCheck, h: CustomCheck): boolean {
  if (b.query !== h.query || (b.failOnNoData && !h.failOnNoData)) return true;
  if (b.max !== undefined) return h.max === undefined || h.max > b.max;
  return h.min === undefined || h.min < (b.min ?? -Infinity);
}

function analysisWeakenings(field: string, base: CanaryAnalysisSettings, head: CanaryAnalysisSettings): Weakening[] {
  const keys = Object.keys(WEAKER) as (keyof CanaryAnalysisSettings)[];
  return keys
    .filter((k) => (WEAKER[k] as (b: unknown, h: unknown) => boolean)(base[k], head[k]))
    .map((k) => ({ field: `${field}.${k}`, from: show(base[k]), to: show(head[k]) }));
}
