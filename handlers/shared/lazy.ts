/**
 * Builds a value once per Lambda container (at the first invocation, not at import) and reuses it.
 * A failed build is forgotten, so the next invocation tries again instead of failing forever.
 *
 * @example
 * const runtime = once(() => buildProbeDeps(process.env));
 * const { deps } = await runtime();
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
