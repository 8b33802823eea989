/**
 * Runs `fn`, heartbeating `details()` at once and then every `everyMs` until it settles, besides whatever
 * `fn` reports itself: a long Dockerfile step, a layer upload, a Trivy run or a `pulumi up` waiting for
 * healthy containers sends no events, and the heartbeat timeout must not fire meanwhile. Without a
 * heartbeat (outside an activity) it just runs `fn`.
 */
export async function keepBeating<T, D>(heartbeat: ((details: D) => void) | undefined, details: () => D, fn: () => Promise<T>, everyMs: number): Promise<T> {
  if (!heartbeat) return fn();
  heartbeat(details());
  const timer = setInterval(() => heartbeat(details()), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
