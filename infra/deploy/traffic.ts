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
 * the stable release's servers, whatever their replica counts: of all integer weights up to 256, the
 * ones whose split is closest to the asked share (10% to one of two stable servers: 57 vs 256 each).
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
  const at = (scaleTo: number) => (share: number) => (share <= 0 || top <= 0 ? 0 : Math.max(1, Math.round((share / top) * scaleTo)));
  // Integer weights cannot hit every split exactly: try every top weight and keep the closest split
  // (ties to the larger weights, for finer later changes).
  let best = { error: Infinity, stable: 0, candidate: 0 };
  for (let scaleTo = MAX_SERVER_WEIGHT; scaleTo >= 1 && best.error > 0; scaleTo--) {
    const ws = at(scaleTo)(perStable);
    const wc = at(scaleTo)(perCandidate);
    const total = ws * stable.length + wc * candidate.length;
    const error = total === 0 ? 0 : Math.abs((wc * candidate.length) / total - p);
    if (error < best.error - 1e-12) best = { error, stable: ws, candidate: wc };
  }
  const weights: Record<string, number> = {};
  for (const s of stable) weights[s] = best.stable;
  for (const c of candidate) weights[c] = best.candidate;
  return weights;
}

/** Percentage of requests the named servers receive under `weights` (what the router will actually do). */
export function effectivePercent(weights: Record<string, number>, servers: string[]): number {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const part = servers.reduce((a, s) => a + (weights[s] ?? 0), 0);
  return (part / total) * 100;
}
