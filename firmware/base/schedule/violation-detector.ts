// Curfew violations (SPEC §9 0x03 / 0x04) from the requirement and the presence of the tag.
//
// The home unit sees one place, home, so only a "home" requirement can be violated here:
// - mandatory activity: the subject must be at the activity; absence from home is expected and
//   the unit cannot see the activity place, so nothing is raised (the centre has left_home /
//   returned_home if it wants to compare);
// - optional activity: at the activity OR at home — absence from home may mean "at the
//   activity", so it is NOT a violation either. Cause 3 (left an optional activity) is reserved
//   for location-capable tags, which can tell "at the activity" from "elsewhere".
//
// Presence "unknown" (no decision, e.g. the unit's radio just started or failed) never starts or
// advances a violation: it cancels a running grace timer, and an open violation stays open (no
// `curfew_violation_end` that would falsely say the subject came back). A tag gone silent is
// `tag_not_heard`'s business.
//
// States and transitions (everything not listed keeps the state):
//
// | state     | event                                  | next      | emits                     |
// | --------- | -------------------------------------- | --------- | ------------------------- |
// | idle      | home requirement begins, present/unkn. | home      |                           |
// | idle      | home requirement begins, absent        | grace     | (deadline = begin + grace) |
// | home      | absent (since a)                       | grace     | (deadline = max(a, anchor) + grace) |
// | grace     | present or unknown                     | home      |                           |
// | grace     | deadline reached, still absent         | violation | start (time = deadline)   |
// | violation | present                                | home      | end (duration)            |
// | any but idle | home requirement ends               | idle      | end, if in violation      |
//
// A home requirement that is followed at once by another one (a home window then a must-be-home
// exception, two adjacent windows, a hand-over to a new schedule) is one stretch: timers and an
// open violation carry on. The violation's cause: 1 (left during a home window) if the subject
// was present at some moment after the stretch began, else 2 (not back by window start + grace).
// Late return and early leave are these two. Start data: {1 cause, 2 stretch start, 3 schedule
// version}; end data: {1 duration s, 2 the version given at the start, so the two pair up}.
//
// Time: `update(t, …)` runs everything due in (last t, t] in order, assuming the presence given
// last held until t: window starts and ends and grace deadlines between two calls are processed
// at their own instants, so a sparse caller loses nothing. At one instant the order is:
// requirement change, then the new presence, then a deadline — so a return exactly at the
// deadline is in time, and a deadline exactly at the window end raises nothing. The detector
// reads the requirement again only when the cached one ends or the source's `revision` changes;
// a change is applied from the next update (call update right after changing the store).
//
// Reboots: an open violation is the one state that must outlive the unit (else the centre never
// gets its end). `openViolation()` says what to persist when a start is emitted, and
// `restoreOpen()` before the first update carries it into the new boot: if the home requirement
// still holds then, the violation stays open (and ends, with its true duration, when the subject
// is seen); if it has ended meanwhile, the end is emitted at once at the first update's time —
// the earliest instant this unit can vouch for.
//
// Clock jumps: `clockJumped(oldT, newT)` (or an update going backwards) skips the interval —
// nothing due in it is processed, so no phantom violation is raised for time that never passed
// for the subject. Past timestamps (violation start, last present) are shifted by the step so
// durations exclude it. A running grace timer restarts at newT with full grace; steps of at most
// SMALL_CLOCK_STEP_S (drift corrections) shift it instead, so frequent small corrections cannot
// stretch the grace. An open violation stays open if the home requirement still holds at newT,
// else it ends at newT.

import type { CborMap } from "@em-platform/protocol/core/cbor";
import { EventCode, ViolationCause } from "@em-platform/protocol/core/events";
import { NEVER, type Requirement } from "./requirement";

export type PresenceInput = "present" | "absent" | "unknown";

/** From the heartbeat's presence values (SPEC §9 0x2A key 1: 0 unknown, 1 present, 2 absent). */
export function presenceFromCode(code: number): PresenceInput {
  if (code === 1) return "present";
  if (code === 2) return "absent";
  return "unknown";
}

export const DetectorState = { idle: 0, home: 1, grace: 2, violation: 3 } as const;

/** An event for the queue (SPEC §7 event without seq and tag id, which the app adds). */
export interface ScheduleEvent {
  code: number;
  time: number;
  data: CborMap;
}

/** Where the detector reads requirements: a ScheduleStore, or anything shaped like it. */
export interface RequirementSource {
  readonly revision: number;
  requirementAt(t: number): Requirement;
}

/** Clock steps up to this size keep the remaining grace instead of restarting it. */
export const SMALL_CLOCK_STEP_S = 60;

/** What to keep in flash while a violation is open (see "Reboots"). */
export interface OpenViolation {
  start: number;
  version: number;
  stretchStart: number;
}
/** Bound on instants processed in one update (weeks of missed updates; the rest is skipped). */
const MAX_STEPS = 1024;

export class ViolationDetector {
  private readonly source: RequirementSource;
  private st: number = DetectorState.idle;
  private started = false;
  private cursor = 0;
  /** Timestamps before this are not trusted (first update, last big clock jump). */
  private trustedSince = 0;
  private req: Requirement | null = null;
  private reqRevision = -1;
  private presence: PresenceInput = "unknown";
  private seenPresent = false;
  private lastSeenPresent = 0;
  private stretchStart = 0;
  /** Grace may not count from before this (stretch entry, big clock jump). */
  private anchor = 0;
  private grace = 0;
  private version = 0;
  private deadline = 0;
  private violationStart = 0;
  private violationVersion = 0;
  private restored: OpenViolation | null = null;

  constructor(source: RequirementSource) {
    this.source = source;
  }

  /** The open violation to persist, or null when none is open. */
  openViolation(): OpenViolation | null {
    if (this.st !== DetectorState.violation) return null;
    return {
      start: this.violationStart,
      version: this.violationVersion,
      stretchStart: this.stretchStart,
    };
  }

  /** A violation that was open when the unit last stopped; call before the first update. */
  restoreOpen(v: OpenViolation): void {
    if (!this.started) this.restored = v;
  }

  /** DetectorState value. */
  getState(): number {
    return this.st;
  }

  inViolation(): boolean {
    return this.st === DetectorState.violation;
  }

  /** The time of the last update (the detector's clock). */
  time(): number {
    return this.cursor;
  }

  private requirement(at: number): Requirement {
    let r = this.req;
    if (
      r === null ||
      this.reqRevision !== this.source.revision ||
      at < r.windowStart ||
      at >= r.windowEnd
    ) {
      r = this.source.requirementAt(at);
      this.req = r;
      this.reqRevision = this.source.revision;
    }
    return r;
  }

  private startViolation(time: number, out: ScheduleEvent[]): void {
    const cause =
      this.seenPresent && this.lastSeenPresent > this.stretchStart
        ? ViolationCause.leftDuringHomeWindow
        : ViolationCause.notBackByWindowStart;
    this.st = DetectorState.violation;
    this.violationStart = time;
    this.violationVersion = this.version;
    out.push({
      code: EventCode.curfewViolationStart,
      time: time,
      data: { 1: cause, 2: this.stretchStart, 3: this.version },
    });
  }

  private endViolation(time: number, out: ScheduleEvent[]): void {
    const d = time - this.violationStart;
    out.push({
      code: EventCode.curfewViolationEnd,
      time: time,
      data: { 1: Math.max(d, 0), 2: this.violationVersion },
    });
  }

  /**
   * Brings the state in line with the requirement at `at`. `seen`: time ran up to `at` under
   * watch (not the first update, not a clock jump), so a stretch entered now began now as far
   * as the subject is concerned — even if the requirement's own start is earlier because the
   * store changed meanwhile (a new schedule, a pruned exception).
   */
  private sync(at: number, seen: boolean, out: ScheduleEvent[]): void {
    const r = this.requirement(at);
    if (r.kind === "home") {
      this.grace = r.grace;
      this.version = r.version;
      if (this.st === DetectorState.idle) {
        this.stretchStart = seen && r.windowStart < at ? at : r.windowStart;
        this.anchor = at;
        if (this.presence === "absent") {
          this.st = DetectorState.grace;
          this.deadline = at + r.grace;
        } else this.st = DetectorState.home;
      }
    } else if (this.st !== DetectorState.idle) {
      if (this.st === DetectorState.violation) this.endViolation(at, out);
      this.st = DetectorState.idle;
    }
  }

  private checkDeadline(at: number, out: ScheduleEvent[]): void {
    if (this.st === DetectorState.grace && this.deadline <= at)
      this.startViolation(this.deadline, out);
  }

  private nextBoundary(): number {
    let b = NEVER;
    const r = this.req;
    if (r !== null && r.windowEnd > this.cursor) b = r.windowEnd;
    if (this.st === DetectorState.grace && this.deadline < b) b = this.deadline;
    return b;
  }

  /** Processes every instant due in (cursor, t) with the presence unchanged, then syncs at t. */
  private advanceTo(t: number, out: ScheduleEvent[]): void {
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const b = this.nextBoundary();
      if (!(b < t) || !(b > this.cursor)) break;
      this.cursor = b;
      this.sync(b, true, out);
      this.checkDeadline(b, out);
    }
    this.cursor = t;
    this.sync(t, true, out);
  }

  private setPresence(t: number, p: PresenceInput, since: number, out: ScheduleEvent[]): void {
    const prev = this.presence;
    if (p === prev) return;
    let when = t;
    if (p === "absent" && since < t) when = Math.max(since, this.trustedSince);
    if (prev === "present") {
      this.seenPresent = true;
      this.lastSeenPresent = when;
    }
    this.presence = p;
    if (p === "present") {
      this.seenPresent = true;
      this.lastSeenPresent = t;
      if (this.st === DetectorState.grace) this.st = DetectorState.home;
      else if (this.st === DetectorState.violation) {
        this.endViolation(t, out);
        this.st = DetectorState.home;
      }
    } else if (p === "absent") {
      if (this.st === DetectorState.home) {
        this.st = DetectorState.grace;
        this.deadline = Math.max(when, this.anchor) + this.grace;
      }
    } else if (this.st === DetectorState.grace) this.st = DetectorState.home;
  }

  private jump(oldT: number, newT: number, out: ScheduleEvent[]): void {
    const delta = newT - oldT;
    const small = delta <= SMALL_CLOCK_STEP_S && delta >= -SMALL_CLOCK_STEP_S;
    this.lastSeenPresent += delta;
    this.violationStart += delta;
    this.cursor = newT;
    if (small) this.trustedSince += delta;
    else this.trustedSince = newT;
    const r = this.requirement(newT);
    if (r.kind !== "home") {
      if (this.st === DetectorState.violation) this.endViolation(newT, out);
      this.st = DetectorState.idle;
    } else if (this.st === DetectorState.idle) this.sync(newT, false, out);
    else {
      this.grace = r.grace;
      this.version = r.version;
      if (this.st !== DetectorState.violation) this.stretchStart = r.windowStart;
      if (small) {
        this.anchor += delta;
        this.deadline += delta;
      } else {
        this.anchor = newT;
        this.deadline = newT + r.grace;
      }
    }
    this.checkDeadline(newT, out);
  }

  /**
   * Feeds the presence decided at t (UTC s). `absentSince` (optional) is when an "absent"
   * subject was last seen (the presence tracker's estimate of the walk-out); grace counts from
   * it, never from before the home requirement began. Returns the events due, in time order.
   */
  update(t: number, presence: PresenceInput, absentSince?: number): ScheduleEvent[] {
    const out: ScheduleEvent[] = [];
    const p: PresenceInput = presence === "present" || presence === "absent" ? presence : "unknown";
    const since = typeof absentSince === "number" ? absentSince : t;
    if (!this.started) {
      this.started = true;
      this.cursor = t;
      this.trustedSince = t;
      this.sync(t, false, out);
      const v = this.restored;
      this.restored = null;
      if (v !== null) {
        this.violationStart = v.start;
        this.violationVersion = v.version;
        if (this.st === DetectorState.idle) this.endViolation(t, out);
        else {
          this.st = DetectorState.violation;
          this.stretchStart = v.stretchStart;
        }
      }
    } else {
      if (t < this.cursor) this.jump(this.cursor, t, out);
      this.advanceTo(t, out);
    }
    this.setPresence(t, p, since, out);
    this.checkDeadline(t, out);
    return out;
  }

  /**
   * The unit's clock was set from oldT to newT (SPEC §9 clock_set). What was due up to oldT is
   * processed first; the interval between the two is skipped. Returns the events due.
   */
  clockJumped(oldT: number, newT: number): ScheduleEvent[] {
    const out: ScheduleEvent[] = [];
    if (!this.started) return out;
    if (oldT > this.cursor) {
      this.advanceTo(oldT, out);
      this.checkDeadline(oldT, out);
    }
    this.jump(this.cursor, newT, out);
    return out;
  }
}
