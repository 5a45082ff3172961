// The unit's wall clock. Set by a signed command or by network time (NITZ); a jump is an event
// (so the centre can re-read timestamps around it), and the schedule is told about it so a jump
// never produces a phantom violation. Time before 2025 means "never set": the unit reports
// clock_unsynchronised and keeps queueing events with the best time it has.

import { EventCode } from "../../../protocol/src/core/events";
import { type EventSink, unitEvent } from "../presence/presence-event";

/** 2025-01-01T00:00:00Z: a clock below this was never set. */
export const EARLIEST_VALID_UTC = 1735689600;
/** Smaller corrections are drift trims, not jumps: no event. */
export const JUMP_THRESHOLD_S = 2;
/** Without any time source for this long the clock is reported unsynchronised (drift ≈ 2 s/day). */
export const UNSYNCED_AFTER_S = 7 * 86400;

export interface ClockKeeperOptions {
  /** Reads the wall clock, UTC seconds. */
  now: () => number;
  /** Sets it. */
  set: (utcS: number) => void;
  sink: EventSink;
  /** Told about every jump (old, new), e.g. the violation detector. */
  onJump: (oldS: number, newS: number) => void;
}

export class ClockKeeper {
  private readonly o: ClockKeeperOptions;
  private lastSyncMs = -1;
  private unsyncedReported = false;

  constructor(o: ClockKeeperOptions) {
    this.o = o;
  }

  valid(): boolean {
    return this.o.now() >= EARLIEST_VALID_UTC;
  }

  /** A time source says `utcS`. Returns true if the clock moved. */
  sync(utcS: number, source: number, nowMs: number): boolean {
    if (utcS < EARLIEST_VALID_UTC) return false;
    this.lastSyncMs = nowMs;
    this.unsyncedReported = false;
    const old = this.o.now();
    const d = utcS - old;
    if (d > -JUMP_THRESHOLD_S && d < JUMP_THRESHOLD_S) return false;
    this.o.set(utcS);
    this.o.onJump(old, utcS);
    this.o.sink(unitEvent(EventCode.clockSet, utcS, 0, { 1: Math.floor(old), 2: utcS, 3: source }));
    return true;
  }

  /** Call periodically; reports once when no time source has been heard for a week. */
  tick(nowMs: number): void {
    if (this.unsyncedReported) return;
    const since = this.lastSyncMs < 0 ? nowMs : nowMs - this.lastSyncMs;
    if (!this.valid() || since >= UNSYNCED_AFTER_S * 1000) {
      this.unsyncedReported = true;
      this.o.sink(
        unitEvent(EventCode.clockUnsynchronised, Math.floor(this.o.now()), 0, {
          1: Math.floor(since / 1000),
        }),
      );
    }
  }
}
