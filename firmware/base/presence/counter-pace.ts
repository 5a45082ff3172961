// Record by day, replay at night (SPEC §4, "Counter pace"): the MAC and "above the last accepted
// counter" cannot tell a fresh beacon from one recorded while the unit was not listening — the
// subject away with the tag — and played back later at home. Time can: a genuine tag sends one
// counter per beacon interval, so its counter keeps pace with the unit's clock and can only run
// ahead of it (bursts, reboot reservations), never fall behind by more than the tag's jitter and
// the two clocks' drift allow. A frame further behind was made earlier than it is heard.
//
// Allowed at `elapsed` ms after the anchor (the last accepted beacon):
//   counter ≥ anchor + floor(elapsed × (1 − TOLERANCE_PCT/100) / interval) − SLACK
// TOLERANCE_PCT covers the tag's timer overrun per beacon (a few ms in 8 s) and both crystals'
// drift (≤ 0.01 %) with room; SLACK covers a reboot's pause and the last beacons' jitter. A
// recording made more than about (SLACK + 1) intervals before it is replayed is refused: 40 s at
// the default 8 s.
//
// The interval is the one the centre last set (set_intervals key 2). A longer one applies at
// once (a tag not yet told only runs ahead); a shorter one only once a beacon one counter after
// its predecessor arrives within 1.5 new intervals — until then the tag may still beacon slowly,
// and holding it to the new pace would be a false alarm.

export const PACE_TOLERANCE_PCT = 2;
export const PACE_SLACK = 4;

export class CounterPace {
  private intervalMs: number;
  /** A shorter interval the tag has not yet shown; 0 when none. */
  private shorterMs: number;
  /** Counter and monotonic ms of the last accepted beacon; counter −1 = no anchor. */
  private counter: number;
  private atMs: number;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
    this.shorterMs = 0;
    this.counter = -1;
    this.atMs = 0;
  }

  setInterval(ms: number): void {
    if (ms >= this.intervalMs) {
      this.intervalMs = ms;
      this.shorterMs = 0;
    } else this.shorterMs = ms;
  }

  /** How far `counter`, heard at `nowMs`, is behind the slowest genuine pace (0: not behind). */
  behind(counter: number, nowMs: number): number {
    if (this.counter < 0) return 0;
    const elapsed = nowMs - this.atMs;
    const least =
      this.counter +
      Math.floor((elapsed * (100 - PACE_TOLERANCE_PCT)) / 100 / this.intervalMs) -
      PACE_SLACK;
    return counter < least ? least - counter : 0;
  }

  /** An accepted beacon: the new anchor. */
  accepted(counter: number, nowMs: number): void {
    if (
      this.shorterMs > 0 &&
      counter === this.counter + 1 &&
      (nowMs - this.atMs) * 2 <= this.shorterMs * 3
    ) {
      this.intervalMs = this.shorterMs;
      this.shorterMs = 0;
    }
    this.counter = counter;
    this.atMs = nowMs;
  }

  /** Anchors at a beacon accepted `agoMs` before `nowMs` (persisted state after a reboot). */
  anchorAt(counter: number, nowMs: number, agoMs: number): void {
    this.counter = counter;
    this.atMs = nowMs - agoMs;
  }

  /** The interval in force, ms. */
  interval(): number {
    return this.intervalMs;
  }

  /** Monotonic ms of the anchor; −1 without one. */
  anchorMs(): number {
    return this.counter < 0 ? -1 : this.atMs;
  }

  /** No anchor: a new key epoch or another tag starts from its first beacon. */
  forget(): void {
    this.counter = -1;
  }
}
