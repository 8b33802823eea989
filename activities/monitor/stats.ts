import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import hypergeometricCdf from '@stdlib/stats-base-dists-hypergeometric-cdf';
import erfc from '@stdlib/math-base-special-erfc';

// The statistics of canary analysis: tests over counts of requests, so that "4 requests, 0 errors" is not
// read as a success rate of 1.0. stdlib's distributions (maintained, exact) do the arithmetic.

const clamp01 = (p: number): number => (Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 1);

/**
 * One-sided binomial test: the chance of seeing `events` or more in `n` trials if the true rate were `p0`.
 * Small = the rate is very likely above p0.
 */
export function binomialAtLeast(events: number, n: number, p0: number): number {
  if (events <= 0) return 1;
  if (p0 <= 0) return 0;
  return clamp01(1 - binomialCdf(events - 1, n, Math.min(1, p0)));
}

/** The 2x2 table of a comparison: events and requests of the candidate and of stable. */
export interface Counts {
  events: number;
  n: number;
}

/**
 * Above this many requests in the two windows together the exact test gives way to the normal
 * approximation: stdlib's hypergeometric CDF allocates memory linear in the counts (a Prometheus answer of
 * 4.5e15 requests threw RangeError: Invalid typed array length), and at such sizes the two agree closely.
 */
export const EXACT_TEST_LIMIT = 200_000;

/** The two-proportion z-test (pooled): both tails of the candidate's rate against stable's. */
function normalTails(c: Counts, s: Counts) {
  const pooled = (c.events + s.events) / (c.n + s.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / c.n + 1 / s.n));
  const diff = c.events / c.n - s.events / s.n;
  // every request the same answer in both windows: nothing differs
  if (!(se > 0) || !Number.isFinite(diff)) return { upper: 1, lower: 1 };
  const z = diff / se;
  return { upper: clamp01(0.5 * erfc(z / Math.SQRT2)), lower: clamp01(0.5 * erfc(-z / Math.SQRT2)) };
}

function hypergeometric(c: Counts, s: Counts) {
  if (c.n + s.n > EXACT_TEST_LIMIT) return normalTails(c, s);
  const N = c.n + s.n;
  const K = c.events + s.events;
  return {
    /** P(candidate events >= observed) with the margins fixed. */
    upper: c.events <= 0 ? 1 : clamp01(1 - hypergeometricCdf(c.events - 1, N, K, c.n)),
    /** P(candidate events <= observed). */
    lower: clamp01(hypergeometricCdf(c.events, N, K, c.n)),
  };
}

/** Fisher's exact test, one-sided: small when the candidate's event rate is higher than stable's. */
export function fisherGreater(c: Counts, s: Counts): number {
  if (c.n === 0 || s.n === 0) return 1;
  return hypergeometric(c, s).upper;
}

/** Fisher's exact test, two-sided (twice the smaller tail, at most 1): small when the rates differ either way. */
export function fisherTwoSided(c: Counts, s: Counts): number {
  if (c.n === 0 || s.n === 0) return 1;
  const { upper, lower } = hypergeometric(c, s);
  return Math.min(1, 2 * Math.min(upper, lower));
}

/** The q-quantile (0..1) of the samples, nearest-rank; null when there are none. */
export function quantile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
