// Local civil time for schedules (SPEC §11 key 4), without Date or Intl: a device has no time
// zone database and its Date parsing cannot be trusted, so the EU rule is computed with integer
// arithmetic (Howard Hinnant's days-from-civil algorithms) from UTC seconds.
//
// Vocabulary:
// - `t`: UTC seconds since 1970-01-01 00:00 UTC (what the unit's clock holds).
// - "local seconds" L: local civil time counted as if it were UTC, i.e. t + offset(t). Day
//   number floor(L / 86400), minute of day etc. are plain divisions of L.
//
// Time zone 1 = EU Eastern (Riga, Vilnius): standard time UTC+2, summer time UTC+3 from the last
// Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC. This is the current EU rule;
// it does not reproduce historic offsets (the Baltic states used other rules before 2000).
//
// Local → UTC is not a function near the changes, and the schedule needs a rule that never puts
// a violation on a person who follows the wall clock:
// - spring gap: local 03:00:00–03:59:59 on the last Sunday of March does not exist. Any time in
//   it maps to the first valid instant after it, the change itself (01:00 UTC = 04:00 local).
//   That is also the first instant at which the wall clock shows a time ≥ the one asked for.
// - autumn overlap: local 03:00:00–03:59:59 on the last Sunday of October happens twice.
//   `LocalPick.later` takes the second occurrence (standard time), `LocalPick.earlier` the first
//   (summer time). A window START uses `later` (a person arriving by the second 03:30 is on
//   time), a window END uses `earlier` (a person leaving at the first 03:30 left on time).
// Outside the gap and the overlap both picks give the same, only, instant.

export const TimeZone = { euEastern: 1 } as const;

/** Which instant to take for a local time that occurs twice (the autumn overlap). */
export const LocalPick = { later: 1, earlier: 2 } as const;

export const SECONDS_PER_DAY = 86400;
const STANDARD_OFFSET = 7200;
const SUMMER_OFFSET = 10800;
const CHANGE_SECOND_OF_DAY = 3600; // both changes at 01:00 UTC

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

export interface LocalTime {
  year: number;
  /** 1…12 */
  month: number;
  /** 1…31 */
  day: number;
  /** 0 = Monday … 6 = Sunday (the schedule's numbering). */
  weekday: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset from UTC in seconds (7200 or 10800 for zone 1). */
  offset: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1…12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day number (inverse of daysFromCivil). */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year: year, month: month, day: day };
}

/** 0 = Monday … 6 = Sunday for a day number (day 0, 1970-01-01, was a Thursday). */
export function weekdayOfDays(days: number): number {
  return ((days % 7) + 7 + 3) % 7;
}

/** Day number of the last Sunday of a 31-day month (March and October). */
function lastSundayOf31DayMonth(year: number, month: number): number {
  const last = daysFromCivil(year, month, 31);
  return last - ((weekdayOfDays(last) + 1) % 7);
}

// One-year cache of the two change instants: the schedule converts many times near `now`.
let cacheYearStart = 1;
let cacheNextYearStart = 0;
let cacheSummerStart = 0;
let cacheSummerEnd = 0;

function loadYear(t: number): void {
  const year = civilFromDays(Math.floor(t / SECONDS_PER_DAY)).year;
  cacheYearStart = daysFromCivil(year, 1, 1) * SECONDS_PER_DAY;
  cacheNextYearStart = daysFromCivil(year + 1, 1, 1) * SECONDS_PER_DAY;
  cacheSummerStart = lastSundayOf31DayMonth(year, 3) * SECONDS_PER_DAY + CHANGE_SECOND_OF_DAY;
  cacheSummerEnd = lastSundayOf31DayMonth(year, 10) * SECONDS_PER_DAY + CHANGE_SECOND_OF_DAY;
}

/** UTC instant at which summer time starts (last Sunday of March 01:00 UTC) in `year`. */
export function summerTimeStart(year: number): number {
  return lastSundayOf31DayMonth(year, 3) * SECONDS_PER_DAY + CHANGE_SECOND_OF_DAY;
}

/** UTC instant at which summer time ends (last Sunday of October 01:00 UTC) in `year`. */
export function summerTimeEnd(year: number): number {
  return lastSundayOf31DayMonth(year, 10) * SECONDS_PER_DAY + CHANGE_SECOND_OF_DAY;
}

/** Is the EU summer time in force at UTC instant t? */
export function isSummerTime(t: number): boolean {
  if (t < cacheYearStart || t >= cacheNextYearStart) loadYear(t);
  return t >= cacheSummerStart && t < cacheSummerEnd;
}

export function isKnownTimeZone(tz: number): boolean {
  return tz === TimeZone.euEastern;
}

/**
 * Offset of local time from UTC at instant t, in seconds. Unknown zones count as UTC (offset 0);
 * schedule validation rejects them before they get this far.
 */
export function utcOffset(tz: number, t: number): number {
  if (tz !== TimeZone.euEastern) return 0;
  return isSummerTime(t) ? SUMMER_OFFSET : STANDARD_OFFSET;
}

/** Local seconds (local civil time counted as if it were UTC) of UTC instant t. */
export function toLocalSeconds(tz: number, t: number): number {
  return t + utcOffset(tz, t);
}

/**
 * The UTC instant of local seconds L. In the autumn overlap `pick` chooses the later or earlier
 * occurrence; a time in the spring gap maps to the change instant (the first valid instant after
 * it) whatever the pick. Monotone (non-decreasing) in L for a fixed pick.
 */
export function localToUtc(tz: number, local: number, pick: number): number {
  if (tz !== TimeZone.euEastern) return local;
  const asStandard = local - STANDARD_OFFSET;
  const asSummer = local - SUMMER_OFFSET;
  const standardOk = !isSummerTime(asStandard);
  const summerOk = isSummerTime(asSummer);
  if (standardOk && summerOk) return pick === LocalPick.earlier ? asSummer : asStandard;
  if (standardOk) return asStandard;
  if (summerOk) return asSummer;
  // The gap: asStandard lies in the first hour of summer time, so its year holds the change.
  return summerTimeStart(civilFromDays(Math.floor(asStandard / SECONDS_PER_DAY)).year);
}

/** Local seconds of a local civil date and time (no zone involved). */
export function localSecondsOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  return daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
}

/** Broken-down local time of UTC instant t (for display, logs and tests). */
export function toLocal(tz: number, t: number): LocalTime {
  const offset = utcOffset(tz, t);
  const local = t + offset;
  const days = Math.floor(local / SECONDS_PER_DAY);
  const sod = local - days * SECONDS_PER_DAY;
  const date = civilFromDays(days);
  const hour = Math.floor(sod / 3600);
  const minute = Math.floor((sod - hour * 3600) / 60);
  return {
    year: date.year,
    month: date.month,
    day: date.day,
    weekday: weekdayOfDays(days),
    hour: hour,
    minute: minute,
    second: sod - hour * 3600 - minute * 60,
    offset: offset,
  };
}
