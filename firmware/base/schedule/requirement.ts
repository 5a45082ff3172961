// What the schedule requires at instant t: requirementAt(schedule, exceptions, t).
//
// 1. An exception in force at t decides alone: "must be home" → home, "away permitted" → free,
//    for exactly [exception start, exception end).
// 2. Otherwise, outside the schedule's validity [valid from, valid to) — or with no schedule —
//    the requirement is "free": the unit enforces nothing it was not told (a unit that holds a
//    schedule which ran out keeps reporting presence; the centre sees the schedule ran out).
// 3. Otherwise the weekly windows, expanded per LOCAL week: a window is the UTC interval
//    [start, end) with start = localToUtc(day + start minute, later) and end =
//    localToUtc(day + start minute + length, earlier) (local-time.ts). Lengths are wall-clock
//    minutes, so a 22:00 + 480 min window ends at 06:00 local on both DST nights (7 h of real
//    time in March, 9 h in October) in EU Eastern, and alike in any zone's rule. A window running past midnight (even Sunday → Monday)
//    belongs to the day it starts on. A window whose DST-resolved end is not after its start
//    (only possible for a window lying inside the gap or the overlap hour) is empty that week.
//    Between windows the requirement is "free" from the end of the previous window to the start
//    of the next one.
// 4. The interval is cut to the validity span and by the exceptions around t, so windowStart is
//    the instant from which THIS requirement applies (e.g. the end of an away-permitted exception
//    inside a home window) and windowEnd the next instant at which the requirement may change.
//
// Never throws, even for schedules that were not validated; with overlapping windows (which
// validation refuses) the strictest kind wins (home, then mandatory, then optional).

import { activeException, ExceptionKind, type ScheduleException } from "./exception";
import {
  LocalPick,
  localToUtc,
  SECONDS_PER_DAY,
  type TimeZoneSpec,
  toLocalSeconds,
  weekdayOfDays,
} from "./local-time";
import { DEFAULT_GRACE_S, type Schedule, type ScheduleWindow, WindowKind } from "./schedule";

export type RequirementKind = "free" | "home" | "mandatory" | "optional";
export type RequirementOrigin = "schedule" | "exception";

/** windowEnd of a requirement that never ends (2^53 − 1). */
export const NEVER = 9007199254740991;

export interface Requirement {
  kind: RequirementKind;
  /** UTC s from which this requirement applies (0: as far back as the unit knows). */
  windowStart: number;
  /** UTC s at which it stops applying (NEVER: no end known). */
  windowEnd: number;
  source: RequirementOrigin;
  /** Version of the schedule in force (0 when none). */
  version: number;
  /** Grace of the schedule in force (DEFAULT_GRACE_S when none). */
  grace: number;
}

/** windowOccurrences looks at most this many weeks ahead (about 20 years). */
const MAX_EXPANDED_WEEKS = 1100;

/** One expanded window: a UTC interval. */
export interface Occurrence {
  start: number;
  end: number;
  /** WindowKind */
  kind: number;
  /** Index into schedule.windows. */
  window: number;
}

export function kindName(kind: number): RequirementKind {
  if (kind === WindowKind.home) return "home";
  if (kind === WindowKind.mandatory) return "mandatory";
  if (kind === WindowKind.optional) return "optional";
  return "free";
}

/** Day number of the Monday of the local week that contains t. */
export function localMonday(tz: TimeZoneSpec, t: number): number {
  const day = Math.floor(toLocalSeconds(tz, t) / SECONDS_PER_DAY);
  return day - weekdayOfDays(day);
}

/** UTC start of window w in the local week starting on day number `monday`. */
export function occurrenceStart(tz: TimeZoneSpec, w: ScheduleWindow, monday: number): number {
  return localToUtc(tz, (monday + w.weekday) * SECONDS_PER_DAY + w.start * 60, LocalPick.later);
}

/** UTC end of window w in the local week starting on day number `monday`. */
export function occurrenceEnd(tz: TimeZoneSpec, w: ScheduleWindow, monday: number): number {
  return localToUtc(
    tz,
    (monday + w.weekday) * SECONDS_PER_DAY + (w.start + w.length) * 60,
    LocalPick.earlier,
  );
}

function requirement(
  kind: RequirementKind,
  start: number,
  end: number,
  source: RequirementOrigin,
  version: number,
  grace: number,
): Requirement {
  return {
    kind: kind,
    windowStart: start,
    windowEnd: end,
    source: source,
    version: version,
    grace: grace,
  };
}

export function requirementAt(
  schedule: Schedule | null,
  exceptions: ScheduleException[],
  t: number,
): Requirement {
  const version = schedule === null ? 0 : schedule.version;
  const grace = schedule === null ? DEFAULT_GRACE_S : schedule.grace;
  const ex = activeException(exceptions, t);
  if (ex !== null)
    return requirement(
      ex.kind === ExceptionKind.mustBeHome ? "home" : "free",
      ex.start,
      ex.end,
      "exception",
      version,
      grace,
    );
  let kind = 0;
  let start = 0;
  let end = NEVER;
  if (schedule !== null) {
    if (t < schedule.validFrom) end = schedule.validFrom;
    else if (t >= schedule.validTo) start = schedule.validTo;
    else {
      const tz = schedule.timeZone;
      const ws = schedule.windows;
      const monday = localMonday(tz, t);
      let prevEnd = schedule.validFrom;
      let nextStart = schedule.validTo;
      let activeStart = 0;
      let activeEnd = 0;
      // Last week (a Sunday window may still run), this week, next week (the next start).
      for (let k = -1; k <= 1; k++) {
        const week = monday + 7 * k;
        for (let i = 0; i < ws.length; i++) {
          const w = ws[i];
          const s = occurrenceStart(tz, w, week);
          const e = occurrenceEnd(tz, w, week);
          if (!(e > s)) continue;
          if (s <= t && t < e) {
            if (kind === 0 || w.kind < kind || (w.kind === kind && s < activeStart)) {
              kind = w.kind;
              activeStart = s;
              activeEnd = e;
            }
          } else if (e <= t) {
            if (e > prevEnd) prevEnd = e;
          } else if (s < nextStart) nextStart = s;
        }
      }
      if (kind !== 0) {
        start = Math.max(activeStart, schedule.validFrom);
        end = Math.min(activeEnd, schedule.validTo);
      } else {
        start = prevEnd;
        end = nextStart;
      }
    }
  }
  // Exceptions before and after t cut the interval.
  for (let i = 0; i < exceptions.length; i++) {
    const x = exceptions[i];
    if (x.end <= t && x.end > start) start = x.end;
    if (x.start > t && x.start < end) end = x.start;
  }
  return requirement(kindName(kind), start, end, "schedule", version, grace);
}

/**
 * The non-empty window occurrences that intersect [from, to), clipped to the validity span, in
 * start order. For displays, the centre and tests; the unit itself only needs requirementAt.
 */
export function windowOccurrences(schedule: Schedule, from: number, to: number): Occurrence[] {
  const out: Occurrence[] = [];
  const tz = schedule.timeZone;
  const lo = Math.max(from, schedule.validFrom);
  const hi = Math.min(to, schedule.validTo);
  if (!(hi > lo)) return out;
  const first = localMonday(tz, lo) - 7;
  const weeks = Math.floor((localMonday(tz, hi) - first) / 7);
  for (let k = 0; k <= weeks && k <= MAX_EXPANDED_WEEKS; k++) {
    const week = first + 7 * k;
    for (let i = 0; i < schedule.windows.length; i++) {
      const w = schedule.windows[i];
      let s = occurrenceStart(tz, w, week);
      let e = occurrenceEnd(tz, w, week);
      if (s < schedule.validFrom) s = schedule.validFrom;
      if (e > schedule.validTo) e = schedule.validTo;
      if (e > s && s < hi && e > lo) out.push({ start: s, end: e, kind: w.kind, window: i });
    }
  }
  out.sort((a, b) => a.start - b.start);
  return out;
}
