// Durations as written in airlock.yaml (`500ms`, `5s`, `2m`, `1h`). Zod-free: workflow code imports it.

/** Duration string (`5s`) to milliseconds. */
export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new RangeError(`not a duration: ${d}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
}
