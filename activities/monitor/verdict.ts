import type { CanaryAnalysisSettings, CustomCheck } from '../../model/manifest';
import type { CanaryVerdict, Measurement, MeasurementStatus } from '../../model/deploy';
import type { Reading } from './prometheus';
import { binomialAtLeast, fisherGreater, fisherTwoSided, type Counts } from './stats';

// The judgement of canary analysis, pure: what one check's evidence says (measure) and what the checks of a
// step add up to (decide). Counts, not ratios: a check without enough requests is inconclusive, and
// "worse than the threshold" is a statistical test at the manifest's confidence. No data, NaN and +-Inf
// are never a pass; inconclusive checks count towards failureLimit like failed ones.

/** What the router counted for one release since the step's analysis began. */
export interface RouterCounts {
  total: number;
  /** 5xx and `other` (the router's "no valid answer") */
  failures: number;
  /** 4xx */
  clientErrors: number;
}

/** The evidence of one check, gathered by the activity. */
export interface CheckEvidence {
  check: number;
  step: number;
  at: string;
  /** The candidate's router counts; null with `problem` when they could not be read. */
  candidate: RouterCounts | null;
  /** Stable's, when there is a stable release (null counts with `problem` when unreadable). */
  stable: { counts: RouterCounts | null } | null;
  /** Why the router counts are unusable: Prometheus down, a scrape gap, a counter reset. */
  problem?: string;
  latency: {
    /** p95 of what airlock's own load measured through the router, and over how many answers */
    routerP95: number | null;
    samples: number;
    /** the router's average response time (used when airlock drove too little load) */
    routerAverage: number | null;
    /** the release's own histogram (recorded; it never decides) */
    app: number | null;
    /** stable's p95 from the same load (null with fewer than MIN_SAMPLES answers) */
    stableP95: number | null;
  };
  /**
   * 401/403 answers among airlock's load, per release (from the router's server header), in total and per
   * request path (`GET /api/entries`). The per-path counts decide when present: the router's round-robin
   * does not give both releases the same mix of paths, so totals compare different requests.
   */
  auth: { candidate: Counts; stable: Counts | null; byPath?: PathCounts[] };
  custom: { check: CustomCheck; query: string; reading: Reading }[];
  queries: { responses: string; stableResponses?: string; latency: string; appLatency?: string };
  /** airlock drives synthetic load (loadRps > 0) */
  loadOn: boolean;
}

/** One request path's 401/403 answers per release. */
export interface PathCounts {
  path: string;
  candidate: Counts;
  stable: Counts;
}

export type Thresholds = Pick<
  CanaryAnalysisSettings,
  'minSuccessRate' | 'maxLatencyP95Ms' | 'maxSuccessRateDrop' | 'minRequests' | 'confidence' | 'maxAuthRefusalChange' | 'maxClientErrorChange'
>;

/** A candidate within this factor (+50 ms) of a stable that is itself over the latency limit is not the cause. */
export const LATENCY_TOLERANCE = 1.5;

/** Fewest samples for a percentile or a share of airlock's own load to mean anything. */
export const MIN_SAMPLES = 20;

const round = (n: number | null, digits = 4): number | null => (n === null ? null : Number(n.toFixed(digits)) || 0); // -0 is 0 (JSON has no -0)
const share = (events: number, n: number): number | null => (n > 0 ? events / n : null);
const pRound = (p: number): number => Number(p.toPrecision(3));

type Base = Pick<Measurement, 'step' | 'check' | 'at'>;

function m(base: Base, metric: string, status: MeasurementStatus, fields: Partial<Measurement> & Pick<Measurement, 'value' | 'threshold' | 'query'>): Measurement {
  return { metric, ...base, ...fields, status, passed: status === 'pass' || status === 'skipped' };
}

/**
 * The measurements of one check: requests seen; success rate (binomial test against minSuccessRate); the
 * comparisons with stable over the same window (error rate one-sided, 4xx and 401/403 shares either way,
 * Fisher's exact test); latency as measured through the router; the manifest's own checks. Below
 * `minRequests` a measurement that would pass is inconclusive instead (a failure stays a failure: ten
 * errors in ten requests need no more evidence).
 */
export function measure(e: CheckEvidence, t: Thresholds): Measurement[] {
  const base: Base = { step: e.step, check: e.check, at: e.at };
  const alpha = 1 - t.confidence;
  const c = possible(e.candidate);
  const enough = c !== null && c.total >= t.minRequests;
  const few = c ? `only ${c.total} requests (minRequests ${t.minRequests})` : (e.problem ?? 'no router counts');
  const unlessFew = (s: MeasurementStatus, note?: string): [MeasurementStatus, string | undefined] => (s === 'pass' && !enough ? ['inconclusive', few] : [s, note]);
  const out: Measurement[] = [];

  out.push(m(base, 'requests', enough ? 'pass' : 'inconclusive', { value: c?.total ?? null, threshold: t.minRequests, query: e.queries.responses, ...(enough ? {} : { note: few }) }));

  if (!c) {
    out.push(m(base, 'success-rate', 'inconclusive', { value: null, threshold: t.minSuccessRate, query: e.queries.responses, note: few }));
  } else {
    const pValue = binomialAtLeast(c.failures, c.total, 1 - t.minSuccessRate);
    const [status, note] = unlessFew(c.total > 0 && pValue < alpha ? 'fail' : 'pass');
    out.push(m(base, 'success-rate', status, { value: round(share(c.total - c.failures, c.total)), threshold: t.minSuccessRate, query: e.queries.responses, pValue: pRound(pValue), counts: { candidate: [c.failures, c.total] }, ...(note ? { note } : {}) }));
  }

  if (e.stable) out.push(...comparisons(base, e, t, alpha, unlessFew));
  out.push(latency(base, e, t, unlessFew));
  for (const x of e.custom) out.push(custom(base, x));
  return out;
}

/** Counts that cannot be (more failures than requests, negative) are no counts: never a pass. */
const possible = (c: RouterCounts | null): RouterCounts | null =>
  c && [c.total, c.failures, c.clientErrors].every((x) => Number.isFinite(x) && x >= 0) && c.failures + c.clientErrors <= c.total
    ? { total: c.total + 0, failures: c.failures + 0, clientErrors: c.clientErrors + 0 } // + 0: no -0 (JSON has none)
    : null;
/** A latency below zero (or not a number) is no latency. */
const ms = (x: number | null): number | null => (x !== null && Number.isFinite(x) && x >= 0 ? x : null);

type UnlessFew = (s: MeasurementStatus, note?: string) => [MeasurementStatus, string | undefined];

/** Candidate against stable: error rate (one-sided), 4xx share and 401/403 share (either way). */
function comparisons(base: Base, e: CheckEvidence, t: Thresholds, alpha: number, unlessFew: UnlessFew): Measurement[] {
  const c = possible(e.candidate);
  const s = possible(e.stable?.counts ?? null);
  const query = e.queries.stableResponses ?? '';
  const noStable = (metric: string, threshold: number, q = query): Measurement | undefined => {
    if (!c || !s) return m(base, metric, 'inconclusive', { value: null, threshold, query: q, note: e.problem ?? 'no router counts' });
    if (s.total >= t.minRequests) return undefined;
    // At 100% stable gets no traffic by design: nothing to compare with, the absolute checks decide.
    if (e.step === 100) return m(base, metric, 'skipped', { value: null, stableValue: null, threshold, query: q, note: 'stable gets no traffic at 100%' });
    return m(base, metric, 'inconclusive', { value: null, threshold, query: q, note: `stable answered only ${s.total} requests (minRequests ${t.minRequests})` });
  };
  const out: Measurement[] = [];

  out.push(
    noStable('success-rate-drop', t.maxSuccessRateDrop) ??
      (() => {
        const cc = { events: c!.failures, n: c!.total };
        const ss = { events: s!.failures, n: s!.total };
        const drop = (share(ss.n - ss.events, ss.n) ?? 0) - (share(cc.n - cc.events, cc.n) ?? 0);
        const pValue = fisherGreater(cc, ss);
        const [status, note] = unlessFew(pValue < alpha && drop > t.maxSuccessRateDrop ? 'fail' : 'pass');
        return m(base, 'success-rate-drop', status, { value: round(drop), stableValue: round(share(ss.n - ss.events, ss.n)), threshold: t.maxSuccessRateDrop, query, pValue: pRound(pValue), counts: { candidate: [cc.events, cc.n], stable: [ss.events, ss.n] }, ...(note ? { note } : {}) });
      })(),
  );

  out.push(
    noStable('client-error-change', t.maxClientErrorChange) ??
      shareChange(base, 'client-error-change', { events: c!.clientErrors, n: c!.total }, { events: s!.clientErrors, n: s!.total }, t.maxClientErrorChange, alpha, query, unlessFew),
  );

  const okCounts = (k: Counts | null): Counts | null => (k && Number.isInteger(k.n) && Number.isInteger(k.events) && k.events >= 0 && k.events <= k.n ? { events: k.events + 0, n: k.n + 0 } : null);
  const a = { candidate: okCounts(e.auth.candidate) ?? { events: 0, n: 0 }, stable: okCounts(e.auth.stable) };
  const authQuery = 'airlock load: 401/403 answers per release (router header X-Airlock-Server)';
  if (!e.loadOn) out.push(m(base, 'auth-refusal-change', 'skipped', { value: null, threshold: t.maxAuthRefusalChange, query: authQuery, note: 'needs airlock synthetic load (loadRps is 0)' }));
  else if (!a.stable || a.stable.n === 0) {
    const status = e.step === 100 ? 'skipped' : 'inconclusive';
    out.push(m(base, 'auth-refusal-change', status, { value: null, threshold: t.maxAuthRefusalChange, query: authQuery, note: e.step === 100 ? 'stable gets no traffic at 100%' : 'no answers from stable in the load' }));
  } else if (a.candidate.n < MIN_SAMPLES || a.stable.n < MIN_SAMPLES) {
    out.push(m(base, 'auth-refusal-change', 'inconclusive', { value: null, threshold: t.maxAuthRefusalChange, query: authQuery, note: `too few load answers (candidate ${a.candidate.n}, stable ${a.stable.n}, need ${MIN_SAMPLES})` }));
  } else if (e.auth.byPath) out.push(authByPath(base, e.auth.byPath.map((x) => ({ path: x.path, candidate: okCounts(x.candidate), stable: okCounts(x.stable) })), a.candidate, a.stable, t.maxAuthRefusalChange, alpha, authQuery, unlessFew));
  else out.push(shareChange(base, 'auth-refusal-change', a.candidate, a.stable, t.maxAuthRefusalChange, alpha, authQuery, unlessFew));
  return out;
}

/**
 * The 401/403 share compared path by path: does the candidate refuse a request that stable answers (or the
 * reverse)? Totals would compare two different mixes of requests whenever the router happens to send one
 * path more often to one release (its round-robin is not random, and airlock's load is periodic): 8 of
 * stable's 25 answers refused against 8 of the candidate's 74 is the same code seeing different requests.
 * Each path that both releases answered is a Fisher test at alpha / paths (Bonferroni: more paths must not
 * mean more false alarms); the measurement fails on the path with the strongest evidence, and names it.
 * Passing, it reports the path-weighted difference (each path's difference weighted by its answers).
 */
function authByPath(base: Base, paths: { path: string; candidate: Counts | null; stable: Counts | null }[], total: Counts, stableTotal: Counts, max: number, alpha: number, query: string, unlessFew: UnlessFew): Measurement {
  const compared = paths.filter((x): x is PathCounts => x.candidate !== null && x.stable !== null && x.candidate.n > 0 && x.stable.n > 0);
  const metric = 'auth-refusal-change';
  if (!compared.length) return m(base, metric, 'inconclusive', { value: null, threshold: max, query, note: 'no request path answered by both releases' });
  const tests = compared.map((x) => ({ ...x, diff: (share(x.candidate.events, x.candidate.n) ?? 0) - (share(x.stable.events, x.stable.n) ?? 0), pValue: fisherTwoSided(x.candidate, x.stable) }));
  const perPathAlpha = alpha / tests.length;
  const failing = tests.filter((x) => x.pValue < perPathAlpha && Math.abs(x.diff) > max).sort((a, b) => a.pValue - b.pValue)[0];
  if (failing) {
    return m(base, metric, 'fail', {
      value: round(failing.diff),
      stableValue: round(share(failing.stable.events, failing.stable.n)),
      threshold: max,
      query,
      pValue: pRound(failing.pValue),
      counts: { candidate: [failing.candidate.events, failing.candidate.n], stable: [failing.stable.events, failing.stable.n] },
      note: `on ${failing.path} (compared path by path, ${tests.length} paths, alpha ${pRound(perPathAlpha)} each)`,
    });
  }
  const weight = tests.reduce((t, x) => t + x.candidate.n + x.stable.n, 0);
  const diff = tests.reduce((t, x) => t + x.diff * (x.candidate.n + x.stable.n), 0) / weight;
  const [status, note] = unlessFew('pass', `compared path by path (${tests.length} paths)`);
  return m(base, metric, status, {
    value: round(diff),
    stableValue: round(share(stableTotal.events, stableTotal.n)),
    threshold: max,
    query,
    pValue: pRound(Math.min(1, Math.min(...tests.map((x) => x.pValue)) * tests.length)),
    counts: { candidate: [total.events, total.n], stable: [stableTotal.events, stableTotal.n] },
    ...(note ? { note } : {}),
  });
}

/** A share that must not move either way: fails when the difference is significant and larger than allowed. */
function shareChange(base: Base, metric: string, c: Counts, s: Counts, max: number, alpha: number, query: string, unlessFew: UnlessFew): Measurement {
  const diff = (share(c.events, c.n) ?? 0) - (share(s.events, s.n) ?? 0);
  const pValue = fisherTwoSided(c, s);
  const [status, note] = unlessFew(pValue < alpha && Math.abs(diff) > max ? 'fail' : 'pass');
  return m(base, metric, status, { value: round(diff), stableValue: round(share(s.events, s.n)), threshold: max, query, pValue: pRound(pValue), counts: { candidate: [c.events, c.n], stable: [s.events, s.n] }, ...(note ? { note } : {}) });
}

/** Latency as airlock measured it through the router; the release's own histogram is recorded, never believed over it. */
function latency(base: Base, e: CheckEvidence, t: Thresholds, unlessFew: UnlessFew): Measurement {
  const l = { ...e.latency, routerP95: ms(e.latency.routerP95), routerAverage: ms(e.latency.routerAverage), app: ms(e.latency.app), stableP95: ms(e.latency.stableP95) };
  const fromLoad = l.samples >= MIN_SAMPLES && l.routerP95 !== null;
  const value = fromLoad ? l.routerP95 : l.routerAverage;
  const metric = fromLoad ? 'latency-p95-ms' : 'latency-avg-ms';
  const query = fromLoad ? `airlock load: p95 of ${l.samples} answers through the router` : e.queries.latency;
  const appNote = l.app !== null && value !== null && Math.abs(l.app - value) > Math.max(50, 0.5 * value) ? `the release's own histogram says ${round(l.app, 1)} ms; the router-side value decides` : undefined;
  if (value === null) return m(base, metric, 'inconclusive', { value: null, threshold: t.maxLatencyP95Ms, query, note: 'no latency data' });
  // Measured by the worker's own load, both releases at once: when stable is as slow, the host (or the
  // worker's own scheduling) is slow, not the release. The release still has to be no slower than stable.
  const asSlowAsStable = fromLoad && l.stableP95 !== null && l.stableP95 > t.maxLatencyP95Ms && value <= l.stableP95 * LATENCY_TOLERANCE + 50;
  const verdict: MeasurementStatus = value <= t.maxLatencyP95Ms || asSlowAsStable ? 'pass' : 'fail';
  const slowNote = asSlowAsStable ? `above ${t.maxLatencyP95Ms} ms, but stable measured at the same time is as slow (p95 ${round(l.stableP95, 1)} ms)` : undefined;
  const [status, note] = unlessFew(verdict, [slowNote, appNote].filter(Boolean).join('; ') || undefined);
  return m(base, metric, status, { value: round(value, 1), stableValue: round(l.stableP95, 1), threshold: t.maxLatencyP95Ms, query, ...(note ? { note } : {}) });
}

function custom(base: Base, x: CheckEvidence['custom'][number]): Measurement {
  const { check, query, reading } = x;
  const threshold = (check.max ?? check.min)!;
  const metric = `custom:${check.name}`;
  if (reading.value === null || !Number.isFinite(reading.value)) {
    const status = check.failOnNoData ? 'inconclusive' : 'skipped';
    const problem = reading.value === null ? reading.problem : String(reading.value);
    return m(base, metric, status, { value: null, threshold, query, note: `${problem}${check.failOnNoData ? '' : ' (failOnNoData: false)'}` });
  }
  const ok = check.max !== undefined ? reading.value <= check.max : reading.value >= check.min!;
  return m(base, metric, ok ? 'pass' : 'fail', { value: round(reading.value, 6), threshold, query });
}

const statusOf = (x: Measurement): MeasurementStatus => x.status ?? (x.passed ? 'pass' : 'fail');

/** One line saying why a measurement did not pass, e.g. "success-rate 0.7 < 0.99 (36 of 120 failed, p=1e-20)". */
export function describeFailure(x: Measurement): string {
  if (statusOf(x) === 'inconclusive' || x.value === null) return `${x.metric}: inconclusive, ${x.note ?? `no data (query: ${x.query})`}`;
  const p = x.pValue !== undefined ? `, p=${x.pValue}` : '';
  const counts = (k: [number, number] | undefined) => (k ? `${k[0]}/${k[1]}` : '?');
  switch (x.metric) {
    case 'success-rate':
      return `success-rate ${x.value} < ${x.threshold} (${counts(x.counts?.candidate)} failed${p})`;
    case 'success-rate-drop':
      return `success-rate-drop ${x.value} > ${x.threshold} (stable ${x.stableValue}; failed: candidate ${counts(x.counts?.candidate)}, stable ${counts(x.counts?.stable)}${p})`;
    case 'client-error-change':
    case 'auth-refusal-change':
      return `${x.metric} ${x.value! > 0 ? '+' : ''}${x.value} beyond ${x.threshold} either way${x.metric === 'auth-refusal-change' && x.note?.startsWith('on ') ? ` ${x.note.split(' (')[0]}` : ''} (candidate ${counts(x.counts?.candidate)}, stable ${counts(x.counts?.stable)}${p})`;
    default:
      if (x.metric.startsWith('custom:') && x.value < x.threshold) return `${x.metric} ${x.value} < ${x.threshold} (query: ${x.query})`;
      return `${x.metric} ${x.value} > ${x.threshold}${x.metric.startsWith('custom:') ? ` (query: ${x.query})` : ''}`;
  }
}

/** A check's status: failed when any measurement failed, else inconclusive when any is, else passed. */
export function checkStatus(measurements: Measurement[]): 'pass' | 'fail' | 'inconclusive' {
  const s = measurements.map(statusOf);
  if (s.includes('fail')) return 'fail';
  return s.includes('inconclusive') ? 'inconclusive' : 'pass';
}

/**
 * The verdict after `checks` readings: fail as soon as `failureLimit` checks did not pass (failed or
 * inconclusive: Flagger's threshold, made fail-safe), naming the measurements; pass when every planned check
 * ran under the limit and at least one of them passed (inconclusive checks alone never promote).
 */
export function decide(step: number, checks: Measurement[][], settings: Pick<CanaryAnalysisSettings, 'checks' | 'failureLimit'>): CanaryVerdict & { done: boolean } {
  const status = checks.map(checkStatus);
  const failed = status.filter((s) => s === 'fail').length;
  const inconclusive = status.filter((s) => s === 'inconclusive').length;
  const base = { step, measurements: checks.flat(), checks: checks.length, failedChecks: failed, inconclusiveChecks: inconclusive };
  // A failed check is explained by its failures; an inconclusive one by what was missing.
  const why = (i: number) => {
    const failing = checks[i]!.filter((x) => statusOf(x) === 'fail');
    return (failing.length ? failing : checks[i]!.filter((x) => !x.passed)).map(describeFailure).join('; ');
  };
  if (failed + inconclusive >= settings.failureLimit) {
    const last = status.map((s, i) => (s === 'pass' ? -1 : i)).filter((i) => i >= 0).pop()!;
    const check = checks[last]![0]?.check ?? last + 1;
    const tally = `${failed} failed, ${inconclusive} inconclusive, limit ${settings.failureLimit}`;
    return { ...base, verdict: 'fail', done: true, reason: `${why(last)} (check ${check} of ${settings.checks}, ${tally})` };
  }
  const done = checks.length >= settings.checks;
  if (done && !status.includes('pass')) {
    return { ...base, verdict: 'fail', done, reason: `no check passed: ${status.map((_, i) => why(i)).join(' | ')} (inconclusive checks never promote)` };
  }
  return { ...base, verdict: 'pass', done };
}
