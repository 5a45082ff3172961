// The weekly schedule (SPEC §11): types, CBOR decode/encode, and the validation a home unit runs
// before it replaces the schedule it holds. A rejected schedule changes nothing: the caller keeps
// the old one and acks `invalid_schedule` (SPEC §10) with the reason below.
//
// decodeSchedule checks shape and types only; validateSchedule checks every range and rule, so it
// also guards schedules built in code (the centre, the simulator).

import type { CborMap, CborValue } from "@em-platform/protocol/core/cbor";
import { isCborMap } from "@em-platform/protocol/core/cbor";
import { AckResult } from "@em-platform/protocol/core/commands";
import {
  ErrorCode,
  type ErrorCodeValue,
  type Ok,
  ok,
  type ProtocolError,
} from "@em-platform/protocol/core/errors";
import {
  isKnownTimeZone,
  type TimeZoneSpec,
  TZ_RULE_FAULTS,
  tzRuleFault,
  tzRuleFaultAt,
} from "./local-time";

export const WindowKind = { home: 1, mandatory: 2, optional: 3 } as const;

export const DEFAULT_GRACE_S = 300;
export const MAX_GRACE_S = 3600;
export const MIN_VALIDITY_S = 7 * 86400;
/** Bound on windows per schedule (RAM on the unit: ~10 JsVars per window). */
export const MAX_WINDOWS = 64;
export const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 10080;
const MAX_U32 = 0xffffffff;

/** Why a schedule was rejected: stable strings for logs, the simulator and the centre. */
export const ScheduleRejection = {
  /** Wrong shape or type (not a map, unknown key, a field not an unsigned integer, …). */
  malformed: "malformed",
  /** Two windows overlap on the weekly grid (adjacent windows are fine). */
  overlap: "overlap",
  /** valid to − valid from < 7 days. */
  tooShort: "too_short",
  /** A schedule is held and the new version is not greater. */
  versionNotNewer: "version_not_newer",
  /** The new schedule starts after the one in force ends, leaving unsupervised time. */
  gapInValidity: "gap_in_validity",
  /** A window field out of range, or more than MAX_WINDOWS windows. */
  badWindow: "bad_window",
  /** A time zone id other than 1, or a POSIX TZ rule this unit cannot parse. */
  badTimezone: "bad_timezone",
  /** Grace outside 0…3,600 s. */
  badGrace: "bad_grace",
  /** valid to is not after now. */
  expired: "expired",
} as const;

export type ScheduleRejectionValue = (typeof ScheduleRejection)[keyof typeof ScheduleRejection];

/** A ProtocolError that also says which schedule rule failed (and at which windows, if any). */
export interface ScheduleError extends ProtocolError {
  reason: string;
  windows?: number[];
}

/**
 * The command_ack data after keys 1–2 for a refused schedule (SPEC §10): {3: invalid schedule,
 * 4: the reason's number, 5 and 6: the windows concerned}. The numbers are stable: a new reason
 * gets a new one. A switch, not a table: code stays in flash, a table would take RAM.
 */
export function rejectionAck(e: ScheduleError): { [key: number]: number } {
  let n = 1; // malformed
  switch (e.reason) {
    case ScheduleRejection.badTimezone:
      n = 2;
      break;
    case ScheduleRejection.badGrace:
      n = 3;
      break;
    case ScheduleRejection.badWindow:
      n = 4;
      break;
    case ScheduleRejection.overlap:
      n = 5;
      break;
    case ScheduleRejection.tooShort:
      n = 6;
      break;
    case ScheduleRejection.expired:
      n = 7;
      break;
    case ScheduleRejection.versionNotNewer:
      n = 8;
      break;
    case ScheduleRejection.gapInValidity:
      n = 9;
  }
  const d: { [key: number]: number } = { 3: AckResult.invalidSchedule, 4: n };
  const w = e.windows;
  if (w) for (let i = 0; i < w.length; i++) d[5 + i] = w[i];
  return d;
}

export type ScheduleResult<T> = Ok<T> | ScheduleError;

export interface ScheduleWindow {
  /** 0 = Monday … 6 = Sunday (local). */
  weekday: number;
  /** Local minute of the day, 0…1439. */
  start: number;
  /** Wall-clock minutes, 1…1440; start + length > 1440 runs past midnight. */
  length: number;
  /** WindowKind. */
  kind: number;
}

export interface Schedule {
  version: number;
  /** UTC seconds, inclusive. */
  validFrom: number;
  /** UTC seconds, exclusive. */
  validTo: number;
  /** 1 (EU Eastern) or a POSIX TZ rule such as "AEST-10AEDT,M10.1.0,M4.1.0/3" (SPEC §11). */
  timeZone: TimeZoneSpec;
  /** Seconds of absence tolerated before a violation (0…3,600). */
  grace: number;
  windows: ScheduleWindow[];
}

export function rejection(code: ErrorCodeValue, reason: string, message: string): ScheduleError {
  return { ok: false, code: code, reason: reason, message: message };
}

/** The rejection, naming the windows concerned (the build drops only a last message argument). */
function atWindows(e: ScheduleError, windows: number[]): ScheduleError {
  e.windows = windows;
  return e;
}

function isUint(v: CborValue | undefined, max: number): v is number {
  return typeof v === "number" && v >= 0 && v <= max && Math.floor(v) === v;
}

function malformed(message: string): ScheduleError {
  return rejection(ErrorCode.badStructure, ScheduleRejection.malformed, message);
}

/** Shape and types of a SPEC §11 schedule map. Ranges and rules: validateSchedule. */
export function decodeSchedule(v: CborValue): ScheduleResult<Schedule> {
  if (!isCborMap(v)) return malformed("schedule is a map");
  const names = Object.keys(v);
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    if (k !== "1" && k !== "2" && k !== "3" && k !== "4" && k !== "5" && k !== "6")
      return malformed("unknown schedule key " + k);
  }
  const version = v[1];
  const validFrom = v[2];
  const validTo = v[3];
  const tz = v[4];
  const grace = v[5];
  const list = v[6];
  if (!isUint(version, MAX_U32)) return malformed("version (key 1) is a uint");
  if (!isUint(validFrom, MAX_U32)) return malformed("valid from (key 2) is a uint");
  if (!isUint(validTo, MAX_U32)) return malformed("valid to (key 3) is a uint");
  if (!isUint(tz, MAX_U32) && typeof tz !== "string")
    return malformed("time zone (key 4) is a uint or a text");
  if (grace !== undefined && !isUint(grace, MAX_U32)) return malformed("grace (key 5) is a uint");
  if (!Array.isArray(list)) return malformed("windows (key 6) is an array");
  if (list.length > MAX_WINDOWS)
    return rejection(
      ErrorCode.fieldOutOfRange,
      ScheduleRejection.badWindow,
      "more than " + MAX_WINDOWS + " windows",
    );
  const windows: ScheduleWindow[] = [];
  for (let i = 0; i < list.length; i++) {
    const w = list[i];
    if (!Array.isArray(w) || w.length !== 4) return malformed("window " + i + " is a 4-array");
    const weekday = w[0];
    const start = w[1];
    const length = w[2];
    const kind = w[3];
    if (
      !isUint(weekday, MAX_U32) ||
      !isUint(start, MAX_U32) ||
      !isUint(length, MAX_U32) ||
      !isUint(kind, MAX_U32)
    )
      return malformed("window " + i + " fields are uints");
    windows.push({ weekday: weekday, start: start, length: length, kind: kind });
  }
  return ok({
    version: version,
    validFrom: validFrom,
    validTo: validTo,
    timeZone: tz,
    grace: isUint(grace, MAX_U32) ? grace : DEFAULT_GRACE_S,
    windows: windows,
  });
}

/** The SPEC §11 map of a schedule (grace always written). */
export function encodeSchedule(s: Schedule): CborMap {
  const list: CborValue[] = [];
  for (let i = 0; i < s.windows.length; i++) {
    const w = s.windows[i];
    list.push([w.weekday, w.start, w.length, w.kind]);
  }
  return { 1: s.version, 2: s.validFrom, 3: s.validTo, 4: s.timeZone, 5: s.grace, 6: list };
}

function windowError(w: ScheduleWindow, i: number): string | null {
  if (!isUint(w.weekday, 6)) return "window " + i + ": weekday " + w.weekday + " not 0…6";
  if (!isUint(w.start, MINUTES_PER_DAY - 1))
    return "window " + i + ": start minute " + w.start + " not 0…1439";
  if (!isUint(w.length, MINUTES_PER_DAY) || w.length < 1)
    return "window " + i + ": length " + w.length + " not 1…1440";
  if (
    w.kind !== WindowKind.home &&
    w.kind !== WindowKind.mandatory &&
    w.kind !== WindowKind.optional
  )
    return "window " + i + ": kind " + w.kind + " not 1…3";
  return null;
}

/** Do two (range-checked) windows share any minute of the week? Adjacent is not overlapping. */
export function windowsOverlap(a: ScheduleWindow, b: ScheduleWindow): boolean {
  const sa = a.weekday * MINUTES_PER_DAY + a.start;
  const ea = sa + a.length;
  const sb = b.weekday * MINUTES_PER_DAY + b.start;
  const eb = sb + b.length;
  // Lengths are ≤ one day, so one wrap of the week in either direction is all there is.
  if (sa < eb && sb < ea) return true;
  if (sa + MINUTES_PER_WEEK < eb && sb < ea + MINUTES_PER_WEEK) return true;
  return sa < eb + MINUTES_PER_WEEK && sb + MINUTES_PER_WEEK < ea;
}

/**
 * Checks `next` as a replacement for `current` (the schedule in force, or null) at time `now`.
 * Rules, in order: header fields are uints; time zone 1 or a rule that parses; grace 0…3,600; ≤ 64 windows, each
 * in range; no two windows overlap; validity ≥ 7 days; valid to > now; version > current's;
 * no gap: if next starts in the future while current is still in force, current must last
 * until next starts (the unit keeps current until then — see schedule-store.ts). A current
 * schedule that has already ended does not block: the unit is unsupervised already, and
 * rejecting would keep it so.
 */
export function validateSchedule(
  next: Schedule,
  current: Schedule | null,
  now: number,
): ScheduleResult<Schedule> {
  if (
    !isUint(next.version, MAX_U32) ||
    !isUint(next.validFrom, MAX_U32) ||
    !isUint(next.validTo, MAX_U32) ||
    !Array.isArray(next.windows)
  )
    return malformed("version, valid from/to are uints; windows is an array");
  if (!isKnownTimeZone(next.timeZone))
    return rejection(
      ErrorCode.fieldOutOfRange,
      ScheduleRejection.badTimezone,
      "time zone " + TZ_RULE_FAULTS[tzRuleFault] + " at character " + tzRuleFaultAt,
    );
  if (!isUint(next.grace, MAX_GRACE_S))
    return rejection(
      ErrorCode.fieldOutOfRange,
      ScheduleRejection.badGrace,
      "grace " + next.grace + " not 0…3600 s",
    );
  const ws = next.windows;
  if (ws.length > MAX_WINDOWS)
    return rejection(
      ErrorCode.fieldOutOfRange,
      ScheduleRejection.badWindow,
      "more than " + MAX_WINDOWS + " windows",
    );
  for (let i = 0; i < ws.length; i++) {
    const e = windowError(ws[i], i);
    if (e !== null)
      return atWindows(rejection(ErrorCode.fieldOutOfRange, ScheduleRejection.badWindow, e), [i]);
  }
  for (let i = 0; i < ws.length; i++) {
    for (let j = i + 1; j < ws.length; j++) {
      if (windowsOverlap(ws[i], ws[j]))
        return atWindows(
          rejection(
            ErrorCode.fieldOutOfRange,
            ScheduleRejection.overlap,
            "windows " + i + " and " + j + " overlap",
          ),
          [i, j],
        );
    }
  }
  if (next.validTo - next.validFrom < MIN_VALIDITY_S)
    return rejection(
      ErrorCode.fieldOutOfRange,
      ScheduleRejection.tooShort,
      "validity " + (next.validTo - next.validFrom) + " s is under 7 days",
    );
  if (next.validTo <= now)
    return rejection(ErrorCode.expired, ScheduleRejection.expired, "valid to is not after now");
  if (current !== null) {
    if (next.version <= current.version)
      return rejection(
        ErrorCode.fieldOutOfRange,
        ScheduleRejection.versionNotNewer,
        "version " + next.version + " is not newer than " + current.version,
      );
    if (next.validFrom > now && current.validTo > now && current.validTo < next.validFrom)
      return rejection(
        ErrorCode.fieldOutOfRange,
        ScheduleRejection.gapInValidity,
        "current ends at " + current.validTo + ", next starts at " + next.validFrom,
      );
  }
  return ok(next);
}
