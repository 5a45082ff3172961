// The HAL Clock on the host's real time, for the simulator's real-time mode and for tests that
// talk to real sockets (vitest's fake timers cannot drive those). Virtual time uses
// firmware/testing (VirtualClock + FakeClock) instead; the modem takes either.

import type { Clock } from "../../firmware/hal/hal";

export class RealTimeClock implements Clock {
  private readonly startedAt = performance.now();
  private wallOffset = 0;
  private readonly timers: { [id: number]: ReturnType<typeof setTimeout> } = {};
  private nextId = 1;

  now(): number {
    return Date.now() + this.wallOffset;
  }

  setNow(ms: number): void {
    this.wallOffset = ms - Date.now();
  }

  monotonic(): number {
    return Math.floor(performance.now() - this.startedAt);
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers[id] = setTimeout(
      () => {
        delete this.timers[id];
        fn();
      },
      Math.max(0, ms),
    );
    return id;
  }

  clearTimeout(handle: number): void {
    const t = this.timers[handle];
    if (t === undefined) return;
    clearTimeout(t);
    delete this.timers[handle];
  }

  setInterval(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers[id] = setInterval(fn, Math.max(1, ms));
    return id;
  }

  clearInterval(handle: number): void {
    const t = this.timers[handle];
    if (t === undefined) return;
    clearInterval(t);
    delete this.timers[handle];
  }

  /** Timers still pending (leak checks). */
  pending(): number {
    return Object.keys(this.timers).length;
  }
}
