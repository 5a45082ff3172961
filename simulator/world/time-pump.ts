// Drives a VirtualClock from the host's real clock so virtual devices can talk to real sockets:
// virtual time follows real time × speed while the pump runs, and can jump ahead (an outage of
// six hours in a blink) with `skip`, which runs every timer due on the way in order — the
// devices' own timers, not the wall clock, decide what happens in the skipped span.
//
// Socket callbacks arrive on Node's event loop between pump ticks and run at the current
// virtual time, which is what a device would see: a reply arrives "now".

import type { VirtualClock } from "../../firmware/testing/virtual-clock";

export class TimePump {
  private timer: NodeJS.Timeout | null = null;
  private lastReal = 0;

  constructor(
    readonly clock: VirtualClock,
    /** Virtual ms per real ms. */
    public speed = 1,
    private readonly tickMs = 2,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.lastReal = performance.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Runs every virtual timer due in the next ms, at once. */
  skip(ms: number): void {
    this.clock.advance(ms);
  }

  /** Resolves when predicate() holds, checking after each tick; rejects after realMs. */
  until(predicate: () => boolean, realMs: number, what = "condition"): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const poll = setInterval(() => {
        if (predicate()) {
          clearInterval(poll);
          resolve();
        } else if (performance.now() - started > realMs) {
          clearInterval(poll);
          reject(new Error("timed out after " + realMs + " ms (real) waiting for " + what));
        }
      }, this.tickMs);
    });
  }

  private tick(): void {
    const whole = Math.floor((performance.now() - this.lastReal) * this.speed);
    if (whole <= 0) return;
    // Only whole virtual ms are consumed; the fraction carries over, so virtual time does not
    // fall behind real × speed by up to a millisecond every tick.
    this.lastReal += whole / this.speed;
    this.clock.advance(whole);
  }
}
