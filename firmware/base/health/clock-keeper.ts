// The unit's wall clock. Set by a signed command or by network time (NITZ); a jump is an event
// (so the centre can re-read timestamps around it), and the schedule is told about it so a jump
// never produces a phantom violation. Time before 2025 means "never set": the unit reports
// clock_unsynchronised and keeps queueing events with the best time it has.
//
// Network time is unauthenticated: a fake base station sets any NITZ it likes, and a clock moved
// 8 h forward at 21:50 skips a night's curfew. So once the clock is valid, network time may move
// it only within an allowance that grows by NETWORK_SLEW_S_PER_DAY per day of running (from
// NETWORK_ALLOWANCE_START_S at boot, at most NETWORK_ALLOWANCE_CAP_S) — thirty times the RTC's
// drift, far too little to move a curfew. A correction beyond it is refused and is an alarm,
// network_time_refused (once per episode); only the centre's signed set_time moves the clock
// further. A never-set clock (after a power loss) takes network time as it comes: the centre
// checks the unit's event times against its own clock (SPEC §13).

import { ClockSource, EventCode } from "@em-platform/protocol/core/events";
import { type EventSink, unitEvent } from "../presence/presence-event";

/** 2025-01-01T00:00:00Z: a clock below this was never set. */
export const EARLIEST_VALID_UTC = 1735689600;
/** Smaller corrections are drift trims, not jumps: no event. */
export const JUMP_THRESHOLD_S = 2;
/** Without any time source for this long the clock is reported unsynchronised (drift ≈ 2 s/day). */
export const UNSYNCED_AFTER_S = 7 * 86400;
export const NETWORK_SLEW_S_PER_DAY = 60;
export const NETWORK_ALLOWANCE_START_S = 60;
export const NETWORK_ALLOWANCE_CAP_S = 120;
const DAY_MS = 86400000;

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
  /** Seconds network time may still move the clock, as of `allowanceMs` (monotonic). */
  private allowanceS = NETWORK_ALLOWANCE_START_S;
  private allowanceMs = 0;
  /** A refusal was reported and no network time has been taken since. */
  private refusing = false;

  constructor(o: ClockKeeperOptions) {
    this.o = o;
  }

  valid(): boolean {
    return this.o.now() >= EARLIEST_VALID_UTC;
  }

  /** A time source says `utcS`. Returns true if the clock moved. */
  sync(utcS: number, source: number, nowMs: number): boolean {
    if (utcS < EARLIEST_VALID_UTC) return false;
    const old = this.o.now();
    const d = utcS - old;
    if (source === ClockSource.network && this.valid() && !this.allowed(d, nowMs)) {
      if (!this.refusing)
        this.o.sink(
          unitEvent(EventCode.networkTimeRefused, Math.floor(old), 0, {
            1: utcS,
            2: Math.floor(old),
          }),
        );
      this.refusing = true;
      return false;
    }
    if (source === ClockSource.network) this.refusing = false;
    this.lastSyncMs = nowMs;
    this.unsyncedReported = false;
    if (d > -JUMP_THRESHOLD_S && d < JUMP_THRESHOLD_S) return false;
    this.o.set(utcS);
    this.o.onJump(old, utcS);
    this.o.sink(unitEvent(EventCode.clockSet, utcS, 0, { 1: Math.floor(old), 2: utcS, 3: source }));
    return true;
  }

  /** Whether network time may move the clock by `d` seconds now; if so the allowance is spent. */
  private allowed(d: number, nowMs: number): boolean {
    const a = Math.min(
      NETWORK_ALLOWANCE_CAP_S,
      this.allowanceS + ((nowMs - this.allowanceMs) * NETWORK_SLEW_S_PER_DAY) / DAY_MS,
    );
    const step = d < 0 ? -d : d;
    if (step >= JUMP_THRESHOLD_S && step > a) return false;
    this.allowanceS = step >= JUMP_THRESHOLD_S ? a - step : a;
    this.allowanceMs = nowMs;
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
