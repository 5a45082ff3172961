// The paired tag's condition as the home unit sees it: edge-triggered events from the status
// flags of accepted beacons (SPEC §4), reboot detection, and the "tag not heard" alarm.
//
// Flag edges (prev = flags of the previous accepted beacon; f = this beacon's):
//
// | event              | raised when                                             | data          |
// | ------------------ | ------------------------------------------------------- | ------------- |
// | strap_tamper       | strap-latched rises                                     | —             |
// | strap_restored     | strap-open-now falls (the latch stays set)              | —             |
// | case_tamper        | case-latched rises                                      | —             |
// | case_restored      | case-open-now falls                                     | —             |
// | tag_tamper_rearmed | a latched bit falls (authenticated re-arm at the tag)   | 1: mask 1/2/3 |
// | tag_battery_low    | battery-low rises                                       | 1: mV         |
// | tag_rebooted       | recently-rebooted rises, or the counter jumped (below)  | 1: counter    |
//
// A latch that stays set raises nothing more, however many beacons carry it. A strap that is
// closed and opened again before a re-arm raises strap_restored but no second strap_tamper:
// the incident is still open (the latch says so, and the heartbeat carries the flags).
//
// First beacon after the unit boots (or pairs): nothing to compare with. Decision: the *set*
// latches, battery-low and recently-rebooted bits count as rises — reported once per unit boot —
// so a tamper latched while the unit was down or rebooting is never lost; the centre may see the
// same latched tamper twice across a unit reboot (it has the earlier event's sequence number and
// the latch state, so it can tell). An app that persists `exportState()` on every change and
// restores it with `importState()` gets no repeat: the edges then continue across the reboot.
// "Open now" bits only ever raise on falling, so the first beacon never raises a *_restored.
//
// Reboot by counter: a tag reboot skips up to K = 64 counters (SPEC §3 reservations) — too few to
// tell from lost beacons on their own. What a reboot (or a boot loop) does show is a counter
// that advanced further than the elapsed time allows: `tag_rebooted` is also raised when
// (counter − previous − 1) − elapsed / minBeaconInterval ≥ K, i.e. at least one whole reservation
// more than the tag could have sent at its fastest commandable rate (2 s, SPEC §10). A new key
// version restarts the counter at 0 and is not a reboot.
//
// Not heard: `tag_not_heard` once, after no accepted beacon for N (default 5 minutes), with data
// {1: seconds since the last accepted beacon}; `tag_heard_again` {1: seconds not heard} on the
// next one. N = 5 min is longer than the presence tracker's T = 3 min, so an ordinary departure
// first reads as left_home; it equals the default curfew grace and sits inside the centre's
// 10–15 minute "clear it or call" rule. While the subject is permitted to be away (the schedule
// engine says so through `setHeardExpected(false, …)`) silence is expected and raises nothing;
// when the permission ends the clock restarts from that moment, so a subject late back is the
// schedule's curfew violation, not a second alarm at the same instant.

import { type Beacon, BeaconFlag } from "@em-platform/protocol/core/beacon";
import { EventCode, type EventDataOf } from "@em-platform/protocol/core/events";
import { type EventSink, unitEvent, wholeSeconds } from "./presence-event";

export const DEFAULT_NOT_HEARD_MS = 300000;
/** SPEC §3 default K on the tag. */
export const DEFAULT_RESERVATION_K = 64;
/** Fastest beacon interval a tag can be commanded to (SPEC §10 set_intervals: 2 s). */
export const DEFAULT_MIN_BEACON_INTERVAL_MS = 2000;

/** Re-arm mask bits (as in the tag command, SPEC §5). */
export const RearmMask = { strap: 0x01, case: 0x02 } as const;

export interface TagStateParams {
  notHeardMs: number;
  reservationK: number;
  minBeaconIntervalMs: number;
}

export function defaultTagStateParams(): TagStateParams {
  return {
    notHeardMs: DEFAULT_NOT_HEARD_MS,
    reservationK: DEFAULT_RESERVATION_K,
    minBeaconIntervalMs: DEFAULT_MIN_BEACON_INTERVAL_MS,
  };
}

/** What to persist to continue edges across a unit reboot. */
export interface TagStateSnapshot {
  tagId: number;
  flags: number;
  keyVersion: number;
}

const FIRST_BEACON_RISES =
  BeaconFlag.strapLatched | BeaconFlag.caseLatched | BeaconFlag.batteryLow | BeaconFlag.rebooted;

export class TagState {
  private readonly sink: EventSink;
  private readonly p: TagStateParams;
  private tagId: number;
  /** Flags of the last accepted beacon; -1 = none since boot/pairing. */
  private flags: number;
  private counter: number;
  private keyVersion: number;
  private lastCounterMs: number;
  private lastHeardMs: number;
  private startMs: number;
  private expected: boolean;
  private expectedSinceMs: number;
  private notHeardRaised: boolean;
  private batteryMv: number | null;

  constructor(tagId: number, params: TagStateParams, sink: EventSink, nowMs: number) {
    this.sink = sink;
    this.p = params;
    this.tagId = tagId;
    this.flags = -1;
    this.counter = -1;
    this.keyVersion = -1;
    this.lastCounterMs = -1;
    this.lastHeardMs = -1;
    this.startMs = nowMs;
    this.expected = true;
    this.expectedSinceMs = nowMs;
    this.notHeardRaised = false;
    this.batteryMv = null;
  }

  /** A different tag: forget everything about the old one. */
  pair(tagId: number, nowMs: number): void {
    this.tagId = tagId;
    this.flags = -1;
    this.counter = -1;
    this.keyVersion = -1;
    this.lastCounterMs = -1;
    this.lastHeardMs = -1;
    this.startMs = nowMs;
    this.expectedSinceMs = nowMs;
    this.notHeardRaised = false;
    this.batteryMv = null;
  }

  /** Flags of the last accepted beacon, or -1 (heartbeat key 10). */
  lastFlags(): number {
    return this.flags;
  }

  /** Battery of the last accepted beacon (mV), null if none or not measured (heartbeat key 2). */
  lastBatteryMv(): number | null {
    return this.batteryMv;
  }

  isNotHeard(): boolean {
    return this.notHeardRaised;
  }

  /** Whether the tag should be heard now (false while the subject is permitted to be away). */
  setHeardExpected(expected: boolean, nowMs: number, utcS: number): void {
    if (expected === this.expected) return;
    this.expected = expected;
    if (expected) this.expectedSinceMs = nowMs;
    this.tick(nowMs, utcS);
  }

  private emit<C extends number>(code: C, utcS: number, data: EventDataOf<C>): void {
    this.sink(unitEvent(code, utcS, this.tagId, data));
  }

  /** Raises tag_not_heard when due. Call about once a second (also done on every beacon). */
  tick(nowMs: number, utcS: number): void {
    if (this.notHeardRaised || !this.expected) return;
    const heard = this.lastHeardMs >= 0 ? this.lastHeardMs : this.startMs;
    const from = Math.max(heard, this.expectedSinceMs);
    if (nowMs - from < this.p.notHeardMs) return;
    this.notHeardRaised = true;
    this.emit(EventCode.tagNotHeard, utcS, { 1: wholeSeconds(nowMs - heard) });
  }

  private counterJumped(b: Beacon, nowMs: number): boolean {
    if (this.counter < 0 || b.keyVersion !== this.keyVersion || b.counter <= this.counter)
      return false;
    const skipped = b.counter - this.counter - 1;
    const possible = Math.floor((nowMs - this.lastCounterMs) / this.p.minBeaconIntervalMs);
    return skipped - possible >= this.p.reservationK;
  }

  /** One accepted beacon of the paired tag (never a duplicate, forged or replayed one). */
  beacon(b: Beacon, nowMs: number, utcS: number): void {
    this.tick(nowMs, utcS);
    if (this.notHeardRaised) {
      const heard = this.lastHeardMs >= 0 ? this.lastHeardMs : this.startMs;
      this.emit(EventCode.tagHeardAgain, utcS, { 1: wholeSeconds(nowMs - heard) });
      this.notHeardRaised = false;
    }
    this.lastHeardMs = nowMs;

    const f = b.flags;
    const prev = this.flags;
    const rises = prev < 0 ? f & FIRST_BEACON_RISES : f & ~prev;
    const falls = prev < 0 ? 0 : prev & ~f;
    // When the strap opened, from the extended beacon's latch age (SPEC §4): a cut far from
    // home is only heard on return, hours later.
    if (rises & BeaconFlag.strapLatched)
      this.emit(
        EventCode.strapTamper,
        utcS,
        b.strapLatchAgeS === undefined || b.strapLatchAgeS === null
          ? null
          : { 1: utcS - b.strapLatchAgeS },
      );
    if (rises & BeaconFlag.caseLatched) this.emit(EventCode.caseTamper, utcS, null);
    if (falls & BeaconFlag.strapOpen) this.emit(EventCode.strapRestored, utcS, null);
    if (falls & BeaconFlag.caseOpen) this.emit(EventCode.caseRestored, utcS, null);
    const rearmed =
      (falls & BeaconFlag.strapLatched ? RearmMask.strap : 0) |
      (falls & BeaconFlag.caseLatched ? RearmMask.case : 0);
    if (rearmed !== 0) this.emit(EventCode.tagTamperRearmed, utcS, { 1: rearmed });
    if (rises & BeaconFlag.batteryLow)
      this.emit(EventCode.tagBatteryLow, utcS, b.batteryMv === null ? null : { 1: b.batteryMv });
    if ((rises & BeaconFlag.rebooted) !== 0 || this.counterJumped(b, nowMs))
      this.emit(EventCode.tagRebooted, utcS, { 1: b.counter });

    this.flags = f;
    this.counter = b.counter;
    this.keyVersion = b.keyVersion;
    this.lastCounterMs = nowMs;
    this.batteryMv = b.batteryMv;
  }

  exportState(): TagStateSnapshot | null {
    if (this.flags < 0) return null;
    return {
      tagId: this.tagId,
      flags: this.flags,
      keyVersion: this.keyVersion,
    };
  }

  /** Continues edges from a persisted snapshot (same tag only). The counter-jump check is not
   * resumed: the time of the persisted beacon is not comparable with this boot's clock. */
  importState(s: TagStateSnapshot): boolean {
    if (s.tagId !== this.tagId || !(s.flags >= 0 && s.flags <= 0x3f)) return false;
    this.flags = s.flags;
    this.counter = -1;
    this.keyVersion = s.keyVersion;
    return true;
  }
}
