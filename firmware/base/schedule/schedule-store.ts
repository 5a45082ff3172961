// What the home unit holds: the schedule in force, at most one accepted schedule waiting for its
// valid-from, and the exceptions. Pure state; persisting it (encodeSchedule / encodeException)
// and acking the commands are the app's job.
//
// Hand-over: set_schedule with a valid schedule whose valid-from is not in the future replaces
// the active one at once. One that starts in the future waits as `pending` and takes over at its
// valid-from; until then the active one stays in force (so a schedule for next week can be sent
// on Friday). A newer pending schedule replaces an older pending one. `scheduleAt(t)` answers
// from t alone, so the hand-over is exact even between two `tick` calls or across a clock jump;
// `tick` only moves pending → active and reports it once (for the `schedule_active` event).
//
// Every change bumps `revision`, which tells a ViolationDetector to re-read the requirement.

import { ErrorCode } from "@em-platform/protocol/core/errors";
import {
  addException,
  pruneExceptions,
  removeException,
  type ScheduleException,
} from "./exception";
import { type Requirement, requirementAt } from "./requirement";
import {
  rejection,
  type Schedule,
  ScheduleRejection,
  type ScheduleResult,
  validateSchedule,
} from "./schedule";

export class ScheduleStore {
  active: Schedule | null = null;
  pending: Schedule | null = null;
  exceptions: ScheduleException[] = [];
  /** Bumped on every change of schedules or exceptions. */
  revision = 0;
  private announce = false;

  private promoteDue(now: number): void {
    const p = this.pending;
    if (p !== null && now >= p.validFrom) {
      this.active = p;
      this.pending = null;
      this.announce = true;
      this.revision++;
    }
  }

  /** The schedule in force at t. */
  scheduleAt(t: number): Schedule | null {
    const p = this.pending;
    if (p !== null && t >= p.validFrom) return p;
    return this.active;
  }

  /**
   * Validates and takes a new schedule (SPEC §10 set_schedule). On rejection nothing changes
   * and the error's `reason` says why (ack result 3, invalid schedule).
   */
  offerSchedule(next: Schedule, now: number): ScheduleResult<Schedule> {
    this.promoteDue(now);
    const p = this.pending;
    if (p !== null && next.version <= p.version)
      return rejection(
        ErrorCode.fieldOutOfRange,
        ScheduleRejection.versionNotNewer,
        "version " + next.version + " is not newer than pending " + p.version,
      );
    const r = validateSchedule(next, this.active, now);
    if (!r.ok) return r;
    if (next.validFrom <= now) {
      this.active = next;
      this.pending = null;
      this.announce = true;
    } else this.pending = next;
    this.revision++;
    return r;
  }

  /**
   * Moves a due pending schedule into force. Returns the version that became active since the
   * last call (by hand-over or by offerSchedule), or -1: the app raises `schedule_active` then.
   */
  tick(now: number): number {
    this.promoteDue(now);
    if (!this.announce || this.active === null) return -1;
    this.announce = false;
    return this.active.version;
  }

  addException(e: ScheduleException, now: number): ScheduleResult<ScheduleException> {
    const r = addException(this.exceptions, e, now);
    if (r.ok) this.revision++;
    return r;
  }

  removeException(id: number): boolean {
    const removed = removeException(this.exceptions, id);
    if (removed) this.revision++;
    return removed;
  }

  /** Drops exceptions that have ended; returns how many. */
  pruneExceptions(now: number): number {
    const n = pruneExceptions(this.exceptions, now);
    if (n > 0) this.revision++;
    return n;
  }

  /**
   * Puts back what the app saved (each was validated when accepted); `tick` then promotes a
   * pending one that fell due while the unit was off. The app saves the active schedule before
   * it erases the pending one, so a write cut short between them leaves a pending schedule not
   * newer than the active one: a leftover, dropped here.
   */
  restore(a: Schedule | null, p: Schedule | null, exceptions: ScheduleException[]): void {
    this.active = a;
    this.pending = p !== null && (a === null || p.version > a.version) ? p : null;
    this.exceptions = exceptions;
    this.revision++;
  }

  /** requirementAt with the schedule in force at t, cut at a pending hand-over. */
  requirementAt(t: number): Requirement {
    const r = requirementAt(this.scheduleAt(t), this.exceptions, t);
    const p = this.pending;
    if (p !== null && t < p.validFrom && r.windowEnd > p.validFrom) r.windowEnd = p.validFrom;
    return r;
  }
}
