// DORA performance bands of the four keys (docs/metrics.md). Zod-free, pure.

export type Band = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

/**
 * DORA performance bands (Accelerate State of DevOps 2023, software delivery performance clusters). A value
 * is in the best band whose bound it meets; the bounds are ordered so every band is monotone in its metric.
 */
export const DORA_BANDS = {
  /** deployments per day: elite on demand (daily or more), high weekly, medium monthly, low less often */
  deploymentsPerDay: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  /** lead time: elite < 1 day, high < 1 week, medium < 1 month */
  leadTimeMs: { elite: DAY, high: WEEK, medium: MONTH },
  /** change failure rate: elite <= 5%, high <= 10%, medium <= 15% (2023; low: 64%) */
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  /** failed deployment recovery time: elite < 1 hour, high < 1 day, medium < 1 week */
  timeToRestoreMs: { elite: HOUR, high: DAY, medium: WEEK },
} as const;

type Bounds = { elite: number; high: number; medium: number };
/** Higher is better (deployment frequency). */
export const bandAtLeast = (value: number, b: Bounds): Band => (value >= b.elite ? 'elite' : value >= b.high ? 'high' : value >= b.medium ? 'medium' : 'low');
/** Lower is better (durations: strictly below the bound). */
export const bandBelow = (value: number, b: Bounds): Band => (value < b.elite ? 'elite' : value < b.high ? 'high' : value < b.medium ? 'medium' : 'low');
/** Lower is better, bound included (change failure rate). */
export const bandAtMost = (value: number, b: Bounds): Band => (value <= b.elite ? 'elite' : value <= b.high ? 'high' : value <= b.medium ? 'medium' : 'low');

