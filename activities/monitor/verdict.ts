import type { CanaryAnalysisSettings } from '../../model/manifest';
import type { CanaryVerdict, Measurement } from '../../model/deploy';
import type { LatencySource } from './promql';

/** What one check read from Prometheus (null = no data). */
export interface CheckReading {
  check: number;
  step: number;
  at: string;
  candidate: { successRate: number | null; latencyMs: number | null };
  stable: { successRate: number | null; latencyMs: number | null } | null;
  queries: { successRate: string; latency: string; stableSuccessRate?: string };
  latencySource: LatencySource;
}

export type Thresholds = Pick<CanaryAnalysisSettings, 'minSuccessRate' | 'maxLatencyP95Ms' | 'maxSuccessRateDrop'>;

const round = (n: number | null, digits = 4): number | null => (n === null ? null : Number(n.toFixed(digits)));

// A reading outside what the metric can be (a success rate above 1 or below 0, a negative latency, a
// non-finite number) comes from a broken query or exporter, not from the release: it counts as no data,
// so it can never pass a check (found by test/unit/fuzz-prometheus.test.ts: a rate of 2 passed, and a NaN
// was recorded as a value that JSON turns into null).
const rateOrNull = (n: number | null | undefined): number | null => (n != null && Number.isFinite(n) && n >= 0 && n <= 1 ? n : null);
const latencyOrNull = (n: number | null | undefined): number | null => (n != null && Number.isFinite(n) && n >= 0 ? n : null);

/**
 * The measurements of one check: the candidate's success rate against the minimum, its latency against
 * the maximum, and its success rate against the stable release's over the same window (skipped, and
 * recorded as passed with stableValue null, when stable had no traffic). No data fails a measurement.
 */
export function measure(reading: CheckReading, t: Thresholds): Measurement[] {
  const { check, step, at } = reading;
  const sr = round(rateOrNull(reading.candidate.successRate));
  const lat = round(latencyOrNull(reading.candidate.latencyMs), 1);
  const stableSr = round(rateOrNull(reading.stable?.successRate));
  const latencyMetric = reading.latencySource === 'app-histogram' ? 'latency-p95-ms' : 'latency-avg-ms';
  const out: Measurement[] = [
    { metric: 'success-rate', step, check, at, value: sr, threshold: t.minSuccessRate, stableValue: stableSr, passed: sr !== null && sr >= t.minSuccessRate, query: reading.queries.successRate },
    { metric: latencyMetric, step, check, at, value: lat, threshold: t.maxLatencyP95Ms, stableValue: round(latencyOrNull(reading.stable?.latencyMs), 1), passed: lat !== null && lat <= t.maxLatencyP95Ms, query: reading.queries.latency },
  ];
  if (reading.stable) {
    const drop = sr !== null && stableSr !== null ? round(stableSr - sr) : null;
    out.push({
      metric: 'success-rate-drop',
      step,
      check,
      at,
      value: drop,
      threshold: t.maxSuccessRateDrop,
      stableValue: stableSr,
      passed: stableSr === null || (drop !== null && drop <= t.maxSuccessRateDrop),
      query: reading.queries.stableSuccessRate ?? '',
    });
  }
  return out;
}

/** One line saying why a measurement failed, e.g. "success-rate 0.7 < 0.99". */
export function describeFailure(m: Measurement): string {
  if (m.value === null) return `${m.metric}: no data (query: ${m.query})`;
  if (m.metric === 'success-rate') return `success-rate ${m.value} < ${m.threshold}`;
  if (m.metric === 'success-rate-drop') return `success-rate-drop ${m.value} > ${m.threshold} (stable ${m.stableValue})`;
  return `${m.metric} ${m.value} > ${m.threshold}`;
}

export const checkFailed = (measurements: Measurement[]): boolean => measurements.some((m) => !m.passed);

/**
 * The verdict after `checks` readings: fail as soon as `failureLimit` checks failed (Flagger's threshold),
 * with the failing metric and its value; pass when every planned check ran without reaching the limit.
 */
export function decide(step: number, checks: Measurement[][], settings: Pick<CanaryAnalysisSettings, 'checks' | 'failureLimit'>): CanaryVerdict & { done: boolean } {
  const failed = checks.filter(checkFailed);
  const measurements = checks.flat();
  const base = { step, measurements, checks: checks.length, failedChecks: failed.length };
  if (failed.length >= settings.failureLimit) {
    const last = failed[failed.length - 1]!;
    const reasons = last.filter((m) => !m.passed).map(describeFailure);
    const check = last[0]?.check ?? checks.length;
    return { ...base, verdict: 'fail', done: true, reason: `${reasons.join('; ')} (check ${check} of ${settings.checks}, ${failed.length} failed, limit ${settings.failureLimit})` };
  }
  return { ...base, verdict: 'pass', done: checks.length >= settings.checks };
}
