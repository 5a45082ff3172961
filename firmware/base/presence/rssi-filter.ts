// RSSI smoothing: the median of the last n accepted beacons (default 5).
//
// Why a median and not an exponential moving average: the RSSI of a 2.4 GHz tag worn on an ankle
// is dominated by multipath fades and body shadowing — impulsive, one-sided drops of 10–20 dB on
// a single beacon or channel — rather than by Gaussian noise. A median of 5 discards up to two
// such outliers entirely and follows a real step (walking out of the door) within 3 beacons
// (≈ 24 s at 8 s), while an EMA smears every fade over ~1/α beacons and drags the estimate
// down by a fraction of the fade depth. Cost: two 5-element buffers allocated once and an
// insertion sort of 5 values per beacon; no allocation per sample.
//
// Duplicates (the same beacon heard on other advertising channels) are not fed in: one beacon,
// one sample, so the window spans a fixed amount of time.

export const DEFAULT_MEDIAN_WINDOW = 5;

export class MedianRssiFilter {
  private readonly size: number;
  private readonly ring: Int16Array;
  private readonly scratch: Int16Array;
  private count: number;
  private head: number;
  private current: number;

  constructor(size: number) {
    if (!(size >= 1)) throw new Error("rssi filter: size must be >= 1");
    this.size = size;
    this.ring = new Int16Array(size);
    this.scratch = new Int16Array(size);
    this.count = 0;
    this.head = 0;
    this.current = 0;
  }

  /** Forgets every sample (after a long gap, the old ones describe another situation). */
  reset(): void {
    this.count = 0;
    this.head = 0;
  }

  /** Adds a sample (dBm, integer) and returns the smoothed value (median, rounded). */
  push(rssi: number): number {
    this.ring[this.head] = rssi;
    this.head = (this.head + 1) % this.size;
    if (this.count < this.size) this.count++;
    const n = this.count;
    const s = this.scratch;
    for (let i = 0; i < n; i++) {
      const v = this.ring[i];
      let j = i - 1;
      while (j >= 0 && s[j] > v) {
        s[j + 1] = s[j];
        j--;
      }
      s[j + 1] = v;
    }
    const mid = n >> 1;
    this.current = n % 2 === 1 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
    return this.current;
  }

  /** The smoothed value, or null when no sample has been added since the last reset. */
  value(): number | null {
    return this.count === 0 ? null : this.current;
  }

  samples(): number {
    return this.count;
  }
}
