/** HAProxy accepts server weights 0..256. */
export const MAX_SERVER_WEIGHT = 256;

export interface TrafficSplit {
  stable: string[];
  candidate: string[];
  /** Share of user requests the candidate receives, 0..100. */
  candidatePercent: number;
}

/**
 * Per-server HAProxy weights that split traffic `candidatePercent` / rest between the candidate's and
 * the stable release's servers, whatever their replica counts. The side with the larger per-server
 * share gets the maximum weight, so rounding stays small (1% to one of ten stable servers: 26 vs 256).
 * A side with a share above zero never rounds to 0; a side with no share gets 0 (no new requests).
 * Without a stable release the candidate gets everything as soon as its share is above zero.
 */
export function serverWeights(split: TrafficSplit): Record<string, number> {
  const { stable, candidate } = split;
  if (!Number.isFinite(split.candidatePercent) || split.candidatePercent < 0 || split.candidatePercent > 100) {
    throw new RangeError(`candidatePercent must be within 0..100, got ${split.candidatePercent}`);
  }
  let p = split.candidatePercent / 100;
  if (stable.length === 0) p = p > 0 ? 1 : 0; // no stable release: the candidate takes all or nothing
  if (candidate.length === 0) p = 0;
  const perCandidate = candidate.length ? p / candidate.length : 0;
  const perStable = stable.length ? (1 - p) / stable.length : 0;
  const top = Math.max(perCandidate, perStable);
  const scale = (share: number) => (share <= 0 || top <= 0 ? 0 : Math.max(1, Math.round((share / top) * MAX_SERVER_WEIGHT)));
  const weights: Record<string, number> = {};
  for (const s of stable) weights[s] = scale(perStable);
  for (const c of candidate) weights[c] = scale(perCandidate);
  return weights;
}

/** Percentage of requests the named servers receive under `weights` (what the router will actually do). */
export function effectivePercent(weights: Record<string, number>, servers: string[]): number {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const part = servers.reduce((a, s) => a + (weights[s] ?? 0), 0);
  return (part / total) * 100;
}
