// Network time from a modem's lines, as UTC seconds. Integer date arithmetic (days from the
// civil date, H. Hinnant's algorithm), no Date parsing: Espruino's Date is not to be trusted for
// that and JerryScript's differs.
//
//   *PSUTTZ: 2024,10,27,1,30,15,"+12",1   SIM800 with AT+CLTS=1 (NITZ): the fields are UTC (the
//                                          network's universal time); "+12" = the zone in quarter
//                                          hours, 1 = DST in the zone — both informational here.
//   +CTZV: +12                             3GPP 27.007 +CTZR=1: zone only → no time.
//   +CTZV: +12,24/10/27,04:30:15[,1]       SIM5360/7600-style extended form: local time + zone.
//   +CTZE: "+12",1,"2024/10/27,04:30:15"   Quectel +CTZR=2: zone, DST, local time.
//   DST: 1                                 SIM800: DST flag only → no time.
//   +CCLK: "24/10/27,04:30:15+12"          The modem's RTC (27.007 §8.15): local time + zone.
//
// Every parser returns UTC seconds (>= 0) or a negative TimeReject code, so a caller can count
// what it threw away and why. networkTimeMs() adds the plausibility floor: a modem whose RTC was
// never set reports its firmware's epoch (SIM800: 2004), which must never reach the unit's clock.

import { startsWith } from "@em-platform/protocol/core/bytes";

/** Why a line gave no time (negative, so it never collides with a time). */
export const TimeReject = {
  /** A line of a known form that carries no date (zone-only +CTZV, DST). Not an error. */
  noTime: -1,
  /** Not one of the forms above, a field that is not a number, or out of range. */
  malformed: -2,
  /** Well-formed but before MIN_NETWORK_UTC_S: an RTC that was never set. */
  tooEarly: -3,
} as const;

/** 2020-01-01T00:00:00Z. */
export const MIN_NETWORK_UTC_S = 1577836800;

const DIGIT0 = 48;
const BAD = TimeReject.malformed;

/** UTC seconds of a civil date-time (proleptic Gregorian). Fields are not range-checked here. */
export function utcSeconds(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
): number {
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = mo > 2 ? mo - 3 : mo + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + s;
}

function daysIn(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/** A run of 1–4 ASCII digits; -1 otherwise. */
function num(s: string): number {
  if (s.length === 0 || s.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - DIGIT0;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** parseZone's answer for a malformed zone. */
export const NO_ZONE = -9999;

/** "+12", "-08", "12", with or without quotes → quarter hours; NO_ZONE when malformed. */
export function parseZone(s: string): number {
  const t = unquote(s);
  let sign = 1;
  let body = t;
  if (t.charAt(0) === "+" || t.charAt(0) === "-") {
    sign = t.charAt(0) === "-" ? -1 : 1;
    body = t.substring(1);
  }
  const v = body.length <= 2 ? num(body) : -1;
  if (v < 0 || v > 96) return NO_ZONE;
  return sign * v;
}

/** Without spaces and double quotes (modems differ in both). */
function unquote(s: string): string {
  let t = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c !== " " && c !== '"') t += c;
  }
  return t;
}

/** Checked civil fields → UTC seconds minus the zone; malformed if any field is out of range. */
function toUtc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  zoneQ: number,
): number {
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59) return BAD;
  if (s < 0 || s > 59 || d > daysIn(y, mo) || zoneQ === NO_ZONE) return BAD;
  return utcSeconds(y, mo, d, h, mi, s) - zoneQ * 900;
}

function fullYear(y: number, digits: number): number {
  return digits <= 2 ? 2000 + y : y;
}

/** "yy/MM/dd" or "yyyy/MM/dd" and "hh:mm:ss" → [y, mo, d, h, mi, s], or null. */
function dateTime(date: string, time: string): number[] | null {
  const dp = date.split("/");
  const tp = time.split(":");
  if (dp.length !== 3 || tp.length !== 3) return null;
  const out = [
    num(dp[0]),
    num(dp[1]),
    num(dp[2]),
    num(tp[0]),
    num(tp[1]),
    num(tp[2].length > 2 ? tp[2].substring(0, 2) : tp[2]),
  ];
  for (let i = 0; i < 6; i++) if (out[i] < 0) return null;
  if (dp[1].length > 2 || dp[2].length > 2 || tp[0].length > 2 || tp[1].length > 2) return null;
  out[0] = fullYear(out[0], dp[0].length);
  return out;
}

function after(line: string, prefix: string): string | null {
  if (!startsWith(line, prefix)) return null;
  return line.substring(prefix.length);
}

/** *PSUTTZ: year,month,day,hour,min,sec,"zone",dst — UTC fields. */
export function parsePsuttz(line: string): number {
  const body = after(line, "*PSUTTZ:");
  if (body === null) return BAD;
  const f = body.split(",");
  if (f.length < 6) return BAD;
  const v: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t = unquote(f[i]);
    if (t.length > (i === 0 ? 4 : 2)) return BAD;
    v.push(num(t));
    if (v[i] < 0) return BAD;
  }
  return toUtc(fullYear(v[0], unquote(f[0]).length), v[1], v[2], v[3], v[4], v[5], 0);
}

/** +CCLK: "yy/MM/dd,hh:mm:ss±zz" — local time and zone. */
export function parseCclk(line: string): number {
  const body = after(line, "+CCLK:");
  if (body === null) return BAD;
  const t = unquote(body);
  const comma = t.indexOf(",");
  if (comma < 0) return BAD;
  const time = t.substring(comma + 1);
  let zi = -1;
  for (let i = 0; i < time.length; i++) {
    const c = time.charAt(i);
    if (c === "+" || c === "-") zi = i;
  }
  const zone = zi < 0 ? 0 : parseZone(time.substring(zi));
  const dt = dateTime(t.substring(0, comma), zi < 0 ? time : time.substring(0, zi));
  if (dt === null) return BAD;
  return toUtc(dt[0], dt[1], dt[2], dt[3], dt[4], dt[5], zone);
}

/** +CTZV: zone[,yy/MM/dd,hh:mm:ss[,dst]] — noTime for the zone-only form. */
export function parseCtzv(line: string): number {
  const body = after(line, "+CTZV:");
  if (body === null) return BAD;
  const f = body.split(",");
  const zone = parseZone(f[0]);
  if (zone === NO_ZONE) return BAD;
  if (f.length === 1) return TimeReject.noTime;
  if (f.length < 3) return BAD;
  const dt = dateTime(unquote(f[1]), unquote(f[2]));
  if (dt === null) return BAD;
  return toUtc(dt[0], dt[1], dt[2], dt[3], dt[4], dt[5], zone);
}

/** +CTZE: "zone",dst,"yyyy/MM/dd,hh:mm:ss" — local time and zone. */
export function parseCtze(line: string): number {
  const body = after(line, "+CTZE:");
  if (body === null) return BAD;
  const f = body.split(",");
  if (f.length < 4) return BAD;
  const zone = parseZone(f[0]);
  const dt = dateTime(unquote(f[2]), unquote(f[3]));
  if (dt === null) return BAD;
  return toUtc(dt[0], dt[1], dt[2], dt[3], dt[4], dt[5], zone);
}

/** Any of the forms above: UTC seconds, or a TimeReject code. */
export function parseNetworkTime(line: string): number {
  if (line.substring(0, 8) === "*PSUTTZ:") return parsePsuttz(line);
  if (line.substring(0, 6) === "+CCLK:") return parseCclk(line);
  if (line.substring(0, 6) === "+CTZV:") return parseCtzv(line);
  if (line.substring(0, 6) === "+CTZE:") return parseCtze(line);
  if (line.substring(0, 4) === "DST:") return TimeReject.noTime;
  return BAD;
}

/** parseNetworkTime in ms, with the plausibility floor: UTC ms, or a TimeReject code. */
export function networkTimeMs(line: string): number {
  const s = parseNetworkTime(line);
  if (s < 0) return s;
  if (s < MIN_NETWORK_UTC_S) return TimeReject.tooEarly;
  return s * 1000;
}
