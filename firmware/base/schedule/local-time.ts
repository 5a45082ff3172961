// Local civil time for schedules (SPEC §11 key 4), without Date or Intl: a device has no time
// zone database and its Date parsing cannot be trusted, so the zone comes as a POSIX TZ rule
// string (POSIX.1-2017 §8.3 "TZ", the form embedded C libraries use) parsed here, and its changes
// are computed with integer arithmetic (Howard Hinnant's days-from-civil algorithms).
//
// Vocabulary:
// - `t`: UTC seconds since 1970-01-01 00:00 UTC (what the unit's clock holds).
// - "local seconds" L: local civil time counted as if it were UTC, i.e. t + offset(t). Day
//   number floor(L / 86400), minute of day etc. are plain divisions of L.
// - a zone spec: what SPEC §11 key 4 holds, the uint 1 (EU Eastern, EU_EASTERN_RULE) or a rule.
//
// Rule grammar (parseTzRule; a rule that does not parse gives null and tzRuleFault): std offset [dst [offset] ,start[/time],end[/time]]
// - std, dst: 3+ letters, or `<…>` of 3+ letters, digits, `+`, `-` (e.g. `<+03>`).
// - offset: [+|-]hh[:mm[:ss]], hh 0…24, WEST of Greenwich positive (EET-2 is UTC+2); the dst
//   offset defaults to one hour east of std.
// - start, end: `Mm.w.d` (month 1…12, week 1…5 where 5 is the last, weekday 0 = Sunday…6),
//   `Jn` (1…365, 29 February never counted) or `n` (0…365, counted).
// - time: [+|-]hh[:mm[:ss]] local time, hh 0…167 (the RFC 8536 extension: `M3.4.4/26` is the
//   Friday before the last Sunday at 02:00), default 02:00; start is read on standard time, end
//   on summer (dst) time.
// A dst name without start and end rules is refused (POSIX leaves its default rules to the
// implementation). Zones whose offset changes more than twice a year cannot be written so.
//
// Local → UTC is not a function near the changes, and the schedule needs a rule that never puts
// a violation on a person who follows the wall clock:
// - gap (the clock jumps forward): the local times skipped do not exist. Any time in the gap maps
//   to the change itself, the first valid instant after it, which is also the first instant at
//   which the wall clock shows a time ≥ the one asked for.
// - overlap (the clock goes back): the local times repeated happen twice. `LocalPick.later`
//   takes the second occurrence, `LocalPick.earlier` the first. A window START uses `later` (a
//   person arriving by the second 03:30 is on time), a window END uses `earlier` (a person
//   leaving at the first 03:30 left on time).
// Outside the gap and the overlap both picks give the same, only, instant. Which of the two
// offsets is the larger does not matter (southern zones, and a "negative DST" rule, work alike).

export const TimeZone = { euEastern: 1 } as const;

/** Zone 1: EU Eastern (Riga, Vilnius): UTC+2, UTC+3 from the last Sunday of March 01:00 UTC to
 * the last Sunday of October 01:00 UTC. */
export const EU_EASTERN_RULE = "EET-2EEST,M3.5.0/3,M10.5.0/4";

/** Longest rule accepted (the longest in tzdata 2025 is 37 characters). */
export const MAX_TZ_RULE_LENGTH = 64;

/** Which instant to take for a local time that occurs twice (the autumn overlap). */
export const LocalPick = { later: 1, earlier: 2 } as const;

export const SECONDS_PER_DAY = 86400;

/** Key 4 of a schedule: 1 (EU Eastern) or a POSIX TZ rule. */
export type TimeZoneSpec = number | string;

/** A change date: n (form 0), Jn (form 1) or Mm.w.d (form 2), and its local time in seconds. */
export interface TzDate {
  tzForm: number;
  /** Month 1…12 (form 2). */
  tzMonth: number;
  /** Week 1…5 (form 2; 5 = last). */
  tzWeek: number;
  /** Weekday 0 = Sunday…6 (form 2); the day n (forms 0 and 1). */
  tzDay: number;
  /** Local seconds after midnight, −167 h…+167 h. */
  tzTime: number;
}

/** A parsed rule. Offsets are seconds EAST of UTC (local = UTC + offset). */
export interface Zone {
  std: number;
  dst: number;
  /** Summer time start and end, null for a zone without summer time. */
  tzStart: TzDate | null;
  tzEnd: TzDate | null;
}

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
  /** Offset from UTC in seconds (east positive; 7200 or 10800 for zone 1). */
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

// ---- parsing (POSIX TZ rule → Zone) -------------------------------------------------------

/** What a rule that does not parse got wrong: index tzRuleFault, set by parseTzRule. */
export const TZ_RULE_FAULTS = [
  "is neither 1 nor a text",
  "is not 4…64 characters",
  "bad standard time name",
  "bad standard time offset",
  "bad summer time name",
  "bad summer time offset",
  "summer time without ,start,end",
  "bad summer time start",
  "no summer time end",
  "bad summer time end",
  "unexpected character",
];

/** Why the last parseTzRule returned null (TZ_RULE_FAULTS), and at which character. */
export let tzRuleFault = 0;
export let tzRuleFaultAt = 0;

/** readHms's answer for a malformed or out-of-range field. */
const BAD = 1e9;
let src = "";
let pos = 0;

function code(): number {
  return pos < src.length ? src.charCodeAt(pos) : -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** A zone name: 3+ letters, or `<…>` holding 3+ letters, digits, `+` or `-`. */
function readName(): boolean {
  const begin = pos;
  if (code() === 60) {
    pos++;
    let c = code();
    while (isLetter(c) || isDigit(c) || c === 43 || c === 45) {
      pos++;
      c = code();
    }
    if (c !== 62 || pos - begin < 4) return false;
    pos++;
    return true;
  }
  while (isLetter(code())) pos++;
  return pos - begin >= 3;
}

/** An unsigned decimal of 1…3 digits, or -1. */
function readNumber(): number {
  let n = -1;
  for (let k = 0; k < 3 && isDigit(code()); k++) {
    n = (n < 0 ? 0 : n * 10) + code() - 48;
    pos++;
  }
  return n;
}

function fault(kind: number): null {
  tzRuleFault = kind;
  tzRuleFaultAt = pos;
  return null;
}

/** [+|-]hh[:mm[:ss]] in seconds, hh ≤ maxHours; BAD when malformed or out of range. */
function readHms(maxHours: number): number {
  let sign = 1;
  const c = code();
  if (c === 45) sign = -1;
  if (c === 45 || c === 43) pos++;
  const h = readNumber();
  if (h < 0 || h > maxHours) return BAD;
  let s = h * 3600;
  for (let unit = 60; unit >= 1 && code() === 58; unit = unit / 60) {
    pos++;
    const n = readNumber();
    if (n < 0 || n > 59) return BAD;
    s += n * unit;
  }
  return sign * s;
}

/** Mm.w.d | Jn | n, then [/time]; null when malformed or out of range. */
function readDate(): TzDate | null {
  let form = 0;
  let month = 0;
  let week = 0;
  let day = 0;
  const c = code();
  if (c === 77) {
    pos++;
    form = 2;
    month = readNumber();
    if (month < 1 || month > 12 || code() !== 46) return null;
    pos++;
    week = readNumber();
    if (week < 1 || week > 5 || code() !== 46) return null;
    pos++;
    day = readNumber();
    if (day < 0 || day > 6) return null;
  } else {
    if (c === 74) {
      pos++;
      form = 1;
    }
    day = readNumber();
    if (day < form || day > 365) return null;
  }
  let time = 7200;
  if (code() === 47) {
    pos++;
    time = readHms(167);
    if (time === BAD) return null;
  }
  return { tzForm: form, tzMonth: month, tzWeek: week, tzDay: day, tzTime: time };
}

/**
 * Parses a POSIX TZ rule (grammar at the top of this file). Returns the zone, or null with
 * tzRuleFault / tzRuleFaultAt saying what is wrong and where (never throws).
 */
export function parseTzRule(rule: string): Zone | null {
  pos = 0;
  if (typeof rule !== "string" || rule.length < 4 || rule.length > MAX_TZ_RULE_LENGTH)
    return fault(1);
  src = rule;
  if (!readName()) return fault(2);
  const stdWest = readHms(24);
  if (stdWest === BAD) return fault(3);
  const std = 0 - stdWest;
  let dst = std;
  let start: TzDate | null = null;
  let end: TzDate | null = null;
  if (pos < rule.length) {
    if (!readName()) return fault(4);
    dst = std + 3600;
    if (pos < rule.length && code() !== 44) {
      const dstWest = readHms(24);
      if (dstWest === BAD) return fault(5);
      dst = 0 - dstWest;
    }
    if (code() !== 44) return fault(6);
    pos++;
    start = readDate();
    if (start === null) return fault(7);
    if (code() !== 44) return fault(8);
    pos++;
    end = readDate();
    if (end === null) return fault(9);
  }
  if (pos < rule.length) return fault(10);
  return { std: std, dst: dst, tzStart: start, tzEnd: end };
}

// One parsed zone is kept: a unit converts many times in one zone.
let specKey: TimeZoneSpec = -1;
let specZone: Zone | null = null;

/** The zone of a spec (1 or a rule), or null for an unknown id or a bad rule. */
export function zoneOf(tz: TimeZoneSpec): Zone | null {
  if (tz !== specKey) {
    specKey = tz;
    specZone =
      typeof tz === "string"
        ? parseTzRule(tz)
        : tz === TimeZone.euEastern
          ? parseTzRule(EU_EASTERN_RULE)
          : null;
  }
  return specZone;
}

/** Is tz 1 or a rule that parses? If not, tzRuleFault says why (0: neither 1 nor a text). */
export function isKnownTimeZone(tz: TimeZoneSpec): boolean {
  tzRuleFault = 0;
  tzRuleFaultAt = 0;
  return typeof tz === "string" ? parseTzRule(tz) !== null : tz === TimeZone.euEastern;
}

// ---- conversions ------------------------------------------------------------------------

/** Day number of a change date in `year`. */
function changeDay(d: TzDate, year: number): number {
  const jan1 = daysFromCivil(year, 1, 1);
  const n = d.tzDay;
  if (d.tzForm === 1)
    return jan1 + n - 1 + (n >= 60 && daysFromCivil(year, 3, 1) - jan1 === 60 ? 1 : 0);
  if (d.tzForm === 0) return jan1 + n;
  const m = d.tzMonth;
  const first = daysFromCivil(year, m, 1);
  const next = m === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, m + 1, 1);
  // weekdayOfDays counts from Monday, the rule's d from Sunday.
  const day = first + ((n - weekdayOfDays(first) + 13) % 7) + 7 * (d.tzWeek - 1);
  // Week 5 may run past the month: then the 4th is the last (a month has ≥ 28 days).
  return day >= next ? day - 7 : day;
}

// The offset in force over [cacheLo, cacheHi) in cacheZone: the changes near `now` are reused.
let cacheZone: Zone | null = null;
let cacheLo = 0;
let cacheHi = 0;
let cacheOffset = 0;

/** Offset (s east) of zone z at instant t; leaves [cacheLo, cacheHi) around t for a ruled zone. */
function offsetAt(z: Zone, t: number): number {
  const a = z.tzStart;
  const b = z.tzEnd;
  if (a === null || b === null) return z.std;
  if (z === cacheZone && t >= cacheLo && t < cacheHi) return cacheOffset;
  const year = civilFromDays(Math.floor((t + z.std) / SECONDS_PER_DAY)).year;
  let lo = -1e15;
  let hi = 1e15;
  let offset = z.std;
  // The changes of the year before, this one and the next: the last one ≤ t decides. A start
  // wins a tie with an end (the all-year summer time form `0/0,J365/25`).
  for (let k = -1; k <= 1; k++) {
    const y = year + k;
    const s = changeDay(a, y) * SECONDS_PER_DAY + a.tzTime - z.std;
    const e = changeDay(b, y) * SECONDS_PER_DAY + b.tzTime - z.dst;
    if (e <= t) {
      if (e > lo) {
        lo = e;
        offset = z.std;
      }
    } else if (e < hi) hi = e;
    if (s <= t) {
      if (s >= lo) {
        lo = s;
        offset = z.dst;
      }
    } else if (s < hi) hi = s;
  }
  cacheZone = z;
  cacheLo = lo;
  cacheHi = hi;
  cacheOffset = offset;
  return offset;
}

/**
 * Offset of local time from UTC at instant t, in seconds. Unknown zones and bad rules count as
 * UTC (offset 0); schedule validation rejects them before they get this far.
 */
export function utcOffset(tz: TimeZoneSpec, t: number): number {
  const z = zoneOf(tz);
  return z === null ? 0 : offsetAt(z, t);
}

/** Local seconds (local civil time counted as if it were UTC) of UTC instant t. */
export function toLocalSeconds(tz: TimeZoneSpec, t: number): number {
  return t + utcOffset(tz, t);
}

/**
 * The UTC instant of local seconds L. In an overlap `pick` chooses the later or earlier
 * occurrence; a time in a gap maps to the change instant (the first valid instant after it)
 * whatever the pick. Monotone (non-decreasing) in L for a fixed pick.
 */
export function localToUtc(tz: TimeZoneSpec, local: number, pick: number): number {
  const z = zoneOf(tz);
  if (z === null) return local;
  const a = local - z.std;
  const b = local - z.dst;
  const aOk = offsetAt(z, a) === z.std;
  const bOk = offsetAt(z, b) === z.dst;
  if (aOk && bOk) return pick === LocalPick.earlier ? Math.min(a, b) : Math.max(a, b);
  if (aOk) return a;
  if (bOk) return b;
  // The gap: the change lies between the two readings; the cache ends at it.
  offsetAt(z, Math.min(a, b));
  return cacheHi;
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
export function toLocal(tz: TimeZoneSpec, t: number): LocalTime {
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
