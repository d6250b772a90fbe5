/**
 * twoWayMap builds both directions of a one-to-one mapping (a proto enum and the value stored for
 * it) from one list of pairs, so the two directions cannot drift apart.
 */
export function twoWayMap<A extends string | number, B extends string | number>(pairs: ReadonlyArray<readonly [A, B]>) {
  return {
    forward: Object.fromEntries(pairs) as Record<A, B>,
    backward: Object.fromEntries(pairs.map(([a, b]) => [b, a])) as Record<B, A>,
  };
}
