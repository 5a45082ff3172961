// One-off schedule exceptions (SPEC §10 add_exception / remove_exception): a UTC interval that
// overrides the weekly windows while it lasts — "away permitted" (no requirement) or "must be
// home". Requirements §11: an officer may approve a short-notice change of up to 2 hours on the
// spot, so an exception longer than 2 h is refused unless flagged as supervisor-approved.
//
// The list is small and kept in add order; functions here edit it in place (little allocation).
// Rules at add time: end > start; end in the future (an exception that already ended is refused
// as expired); ≤ 2 h unless approved, ≤ 7 days even approved; no overlap with another live exception (a re-add with the
// same id replaces the old one, which is how the centre shortens or moves one); at most
// MAX_EXCEPTIONS live ones.

import type { CborMap, CborValue } from "@em-platform/protocol/core/cbor";
import { isCborMap } from "@em-platform/protocol/core/cbor";
import { ErrorCode, ok } from "@em-platform/protocol/core/errors";
import { rejection, type ScheduleError, type ScheduleResult } from "./schedule";

export const ExceptionKind = { awayPermitted: 1, mustBeHome: 2 } as const;

export const MAX_UNAPPROVED_EXCEPTION_S = 7200;
/** Even supervisor-approved, an exception lasts at most 7 days: a longer change of the order is
 * a new schedule (which the centre sends as one), not an exception. */
export const MAX_EXCEPTION_S = 7 * 86400;
export const MAX_EXCEPTIONS = 16;
const MAX_U32 = 0xffffffff;

export const ExceptionRejection = {
  malformed: "malformed",
  /** Longer than 2 h without supervisor approval, or longer than 7 days. */
  tooLong: "exception_too_long",
  /** Ends at or before now. */
  expired: "expired",
  /** Overlaps another live exception with a different id. */
  overlap: "exception_overlap",
  /** MAX_EXCEPTIONS live exceptions held already. */
  full: "exception_table_full",
} as const;

export interface ScheduleException {
  id: number;
  /** UTC seconds, inclusive. */
  start: number;
  /** UTC seconds, exclusive; also the expiry. */
  end: number;
  /** ExceptionKind. */
  kind: number;
  approved: boolean;
}

function isUint(v: CborValue | undefined, max: number): v is number {
  return typeof v === "number" && v >= 0 && v <= max && Math.floor(v) === v;
}

function malformed(message: string): ScheduleError {
  return rejection(ErrorCode.badStructure, ExceptionRejection.malformed, message);
}

/** add_exception args (SPEC §10): {1 id, 2 start, 3 end, 4 kind, 5 approved (absent = false)}. */
export function decodeException(args: CborValue): ScheduleResult<ScheduleException> {
  if (!isCborMap(args)) return malformed("exception is a map");
  const names = Object.keys(args);
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    if (k !== "1" && k !== "2" && k !== "3" && k !== "4" && k !== "5")
      return malformed("unknown exception key " + k);
  }
  const id = args[1];
  const start = args[2];
  const end = args[3];
  const kind = args[4];
  const approved = args[5];
  if (!isUint(id, MAX_U32)) return malformed("id (key 1) is a uint");
  if (!isUint(start, MAX_U32)) return malformed("start (key 2) is a uint");
  if (!isUint(end, MAX_U32)) return malformed("end (key 3) is a uint");
  if (!isUint(kind, MAX_U32)) return malformed("kind (key 4) is a uint");
  if (approved !== undefined && typeof approved !== "boolean")
    return malformed("approved (key 5) is a bool");
  return ok({ id: id, start: start, end: end, kind: kind, approved: approved === true });
}

export function encodeException(e: ScheduleException): CborMap {
  return { 1: e.id, 2: e.start, 3: e.end, 4: e.kind, 5: e.approved };
}

/** The rules that concern the exception alone (not the list). */
export function validateException(
  e: ScheduleException,
  now: number,
): ScheduleResult<ScheduleException> {
  if (!isUint(e.id, MAX_U32) || !isUint(e.start, MAX_U32) || !isUint(e.end, MAX_U32))
    return malformed("id, start and end are uints");
  if (e.kind !== ExceptionKind.awayPermitted && e.kind !== ExceptionKind.mustBeHome)
    return rejection(ErrorCode.fieldOutOfRange, ExceptionRejection.malformed, "kind not 1 or 2");
  if (e.end <= e.start)
    return rejection(
      ErrorCode.fieldOutOfRange,
      ExceptionRejection.malformed,
      "end not after start",
    );
  if (e.end <= now)
    return rejection(ErrorCode.expired, ExceptionRejection.expired, "exception already ended");
  if (e.end - e.start > (e.approved ? MAX_EXCEPTION_S : MAX_UNAPPROVED_EXCEPTION_S))
    return rejection(
      ErrorCode.fieldOutOfRange,
      ExceptionRejection.tooLong,
      e.end - e.start + " s is over 2 h without supervisor approval, or over 7 days",
    );
  return ok(e);
}

/** Removes the exception with this id; false when there was none. */
export function removeException(list: ScheduleException[], id: number): boolean {
  for (let i = 0; i < list.length; i++) {
    if (list[i].id === id) {
      list.splice(i, 1);
      return true;
    }
  }
  return false;
}

/** Drops exceptions that ended at or before now (in place); returns how many went. */
export function pruneExceptions(list: ScheduleException[], now: number): number {
  let w = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i].end > now) list[w++] = list[i];
  }
  const dropped = list.length - w;
  if (dropped > 0) list.splice(w, dropped);
  return dropped;
}

/** Adds (or replaces, by id) an exception in `list`; on rejection the list is unchanged. */
export function addException(
  list: ScheduleException[],
  e: ScheduleException,
  now: number,
): ScheduleResult<ScheduleException> {
  const v = validateException(e, now);
  if (!v.ok) return v;
  let live = 0;
  let same = -1;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x.id === e.id) {
      same = i;
      continue;
    }
    if (x.end <= now) continue;
    live++;
    if (x.start < e.end && e.start < x.end)
      return rejection(
        ErrorCode.fieldOutOfRange,
        ExceptionRejection.overlap,
        "overlaps exception " + x.id,
      );
  }
  if (same >= 0) {
    list[same] = e;
    return ok(e);
  }
  if (live >= MAX_EXCEPTIONS)
    return rejection(
      ErrorCode.fieldOutOfRange,
      ExceptionRejection.full,
      MAX_EXCEPTIONS + " exceptions held",
    );
  pruneExceptions(list, now);
  list.push(e);
  return ok(e);
}

/**
 * The exception in force at t, or null. If two overlap (only possible when the list was built
 * without addException), "must be home" wins: the stricter reading of two conflicting orders.
 */
export function activeException(list: ScheduleException[], t: number): ScheduleException | null {
  let found: ScheduleException | null = null;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x.start <= t && t < x.end) {
      if (x.kind === ExceptionKind.mustBeHome) return x;
      if (found === null) found = x;
    }
  }
  return found;
}
