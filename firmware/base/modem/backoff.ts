// Exponential backoff with random jitter for the recovery ladder (modem-driver.ts). The random
// source is injected (a board's hardware RNG on a device, a seeded PRNG in tests), so a test can
// predict every delay exactly. Jitter spreads a fleet's retries after a cell or broker outage, so
// thousands of units do not come back in the same second.

export interface Backoff {
  /** The first delay, ms. */
  baseMs: number;
  /** No delay is longer than this (before jitter), ms. */
  capMs: number;
  /** Up to this fraction of the delay is added at random (0.25 → +0–25 %). */
  jitter: number;
}

/**
 * The delay before retry number n (n >= 1): min(cap, base × 2^(n−1)), plus
 * floor(delay × jitter × random()). random() must return a number in [0, 1).
 */
export function backoffDelay(b: Backoff, n: number, random: () => number): number {
  let d = b.baseMs;
  for (let i = 1; i < n && d < b.capMs; i++) d *= 2;
  if (d > b.capMs) d = b.capMs;
  let r = random();
  if (!(r >= 0 && r < 1)) r = 0;
  return d + Math.floor(d * b.jitter * r);
}
