/**
 * `p` kept for later: the returned function awaits it (and throws its error) where the workflow needs it, and
 * until then a failure of `p` is not an unhandled rejection.
 */
export function awaitLater(p: Promise<unknown>): () => Promise<void> {
  const settled = p.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const r = await settled;
    if (!r.ok) throw r.error;
  };
}
