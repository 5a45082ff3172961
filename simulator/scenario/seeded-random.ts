// The scenario's one random source: xorshift32 from a nonzero 32-bit state, numbers in [0, 1).
// Seeded from the scenario's seed, so the same scenario plays the same way.

export function xorshift32(state: number): () => number {
  let x = state >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** The same numbers for the same parts (e.g. scenario seed, routine, subject, day): xorshift32
 * seeded with their FNV-1a hash. */
export function seeded(...parts: number[]): () => number {
  let h = 2166136261;
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 16777619) >>> 0;
  return xorshift32(h);
}
