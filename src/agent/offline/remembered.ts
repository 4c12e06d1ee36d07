/**
 * A pure function of a string, remembered for the last few hundred strings. A turn reads the same
 * words several times (every reader, then again once the tools answered), and tagging them
 * (compromise) or finding their dates (chrono) is most of the offline agent's CPU. Only a cache
 * of computations: nothing a later turn relies on.
 */
export function remembered<T>(compute: (key: string) => T, limit = 512): (key: string) => T {
  const seen = new Map<string, T>();
  return (key) => {
    if (seen.has(key)) return seen.get(key) as T;
    // The oldest goes first: a Map iterates in insertion order.
    if (seen.size >= limit) seen.delete(seen.keys().next().value as string);
    const value = compute(key);
    seen.set(key, value);
    return value;
  };
}
