// A fleet scenario as QA writes it: a JSON file (simulator/scenarios/*.json) naming the fleet,
// the start and the IANA time zone, one schedule template of home windows, and incidents at
// local times. `parseScenario` checks every field and names the file, the JSON path and what
// was expected; nothing is guessed. The same scenario and seed run the same way.

import { intlOffset } from "../centre/posix-tz";
import {
  BATTERY_CONFIRM_S,
  expandRates,
  INSTANT_TYPES,
  type IncidentRate,
  lastStart,
  RATED_TYPES,
  type RatedType,
} from "./incident-rates";
import { expandRoutines, type Routine } from "./routines";
import { xorshift32 } from "./seeded-random";

export type IncidentType =
  | "strapCut"
  | "mainsOutage"
  | "absence"
  | "cellOutage"
  | "replayAttack"
  | "neighbourTag"
  | "exception"
  | "scheduleChange"
  | "caseOpen"
  | "unitReboot"
  | "tagBatteryLow"
  | "liveRelay";

/** Which subjects an incident concerns: all, listed indices (0-based), or a seeded fraction. */
export type Selection = "all" | number[] | { fraction: number };

export interface Incident {
  type: IncidentType;
  subjects: Selection;
  /** Local time "HH:MM" on `day` (0 = the start's local date). */
  at: string;
  day: number;
  /** mainsOutage, cellOutage, neighbourTag, caseOpen: length; absence: how long the subject is away;
   * replayAttack: the length of the recording (played back at `at` as it was recorded);
   * liveRelay: how long the subject is away while the relay carries his tag's radio home. */
  minutes: number;
  /** cellOutage: the area (cell) that loses packet data. */
  area: string;
  /** replayAttack: when the subject's tag was recorded (local "HH:MM" on `day`). */
  recording?: { at: string; day: number };
  /** liveRelay: the relay's round trip (ms), or null for one that carries the tag's beacons
   * home and nothing back. */
  relayRoundTripMs?: number | null;
  /** exception (`at` is its start, `minutes` its length): away permitted or must be home, sent
   * by the centre through the signed downlink `noticeMinutes` before it begins. */
  exception?: { kind: "away" | "home"; noticeMinutes: number };
  /** scheduleChange (`at`: when the new schedule takes effect): its home windows, sent by the
   * centre as a signed set_schedule `noticeMinutes` before. */
  schedule?: { homeWindows: HomeWindow[]; noticeMinutes: number };
}

export interface HomeWindow {
  /** Local "HH:MM"; `to` before `from` runs past midnight. */
  from: string;
  to: string;
}

export interface Thresholds {
  /** Least recall (0…1) the checker accepts. */
  recall: number;
  /** Least precision (0…1). */
  precision: number;
}

export interface Scenario {
  name: string;
  seed: number;
  subjects: number;
  /** UTC seconds. */
  start: number;
  timeZone: string;
  hours: number;
  /** Seconds of absence tolerated before a violation (SPEC §11 grace). */
  grace: number;
  /** Every day of the week. */
  homeWindows: HomeWindow[];
  incidents: Incident[];
  thresholds: Thresholds;
  /** Subjects at home move between rooms and the yard, each frame through the radio medium
   * (radio/medium.ts, world/home-movement.ts); false: every frame heard at one fixed RSSI. */
  movement: boolean;
}

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${file}: ${path}: expected ${expected}`);
    this.name = "ScenarioError";
  }
}

type Json = unknown;
const TYPES: IncidentType[] = [
  "strapCut",
  "mainsOutage",
  "absence",
  "cellOutage",
  "replayAttack",
  "neighbourTag",
  "exception",
  "scheduleChange",
  "caseOpen",
  "unitReboot",
  "tagBatteryLow",
  "liveRelay",
];
/** A live relay the ground truth can promise the unit catches (SPEC §15 attack 3): every answer
 * late from a 300 ms round trip; 400 leaves a margin. Shorter ones are the residual risk. */
export const RELAY_MIN_ROUND_TRIP_MS = 400;
/** The first challenge up to 3 min in, then 4 in a row 3 min apart, each judged within 25 s. */
export const RELAY_MIN_MINUTES = 20;
/** A replay must start this long after its recording ends, or its frames could pass for the
 * tag's own: a unit that last heard the tag t ago allows a counter 2 % of t + ~60 s behind its
 * pace (SPEC §15 row 2), which for the longest absence a scenario holds (24 h) is 29.8 min. */
export const REPLAY_AFTER_S = 30 * 60;
export const AREAS = ["riga-centre", "riga-east"];
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** "HH:MM" of `m` minutes after local midnight (0…1439). */
export function hhmmOf(m: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return pad(Math.floor(m / 60)) + ":" + pad(m % 60);
}

/** Minutes after local midnight of "HH:MM". */
export function minuteOfDay(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  if (m === null) throw new Error("not HH:MM: " + hhmm);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The UTC second at which `zone`'s civil time is `localS` (local seconds counted as UTC). A
 * time in a spring-forward gap is moved forward by the gap (03:30 → 04:30), as calendars do; in
 * a fall-back overlap the first of the two instants is taken. */
export function utcOfLocal(zone: string, localS: number): number {
  let t = localS - intlOffset(zone, localS);
  for (let i = 0; i < 3; i++) t = localS - intlOffset(zone, t);
  if (t + intlOffset(zone, t) !== localS) return localS - intlOffset(zone, localS - 86400);
  const earlier = t - 3600;
  return earlier + intlOffset(zone, earlier) === localS ? earlier : t;
}

/** Local midnight (UTC second) of the local date `day` days after the start's local date. */
export function localMidnight(s: Scenario, day: number): number {
  const local = s.start + intlOffset(s.timeZone, s.start);
  const midnight = local - (((local % 86400) + 86400) % 86400) + day * 86400;
  return utcOfLocal(s.timeZone, midnight);
}

/** When an incident happens (UTC second). */
export function incidentAt(s: Scenario, i: Incident): number {
  const local = s.start + intlOffset(s.timeZone, s.start);
  const midnight = local - (((local % 86400) + 86400) % 86400);
  return utcOfLocal(s.timeZone, midnight + i.day * 86400 + minuteOfDay(i.at) * 60);
}

export function parseScenario(text: string, file: string): Scenario {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(file, "$", "JSON (" + (e as Error).message + ")");
  }
  const fail = (path: string, expected: string): never => {
    throw new ScenarioError(file, path, expected);
  };
  if (!isObject(doc)) return fail("$", "an object");
  const known = [
    "name",
    "seed",
    "subjects",
    "start",
    "timeZone",
    "hours",
    "grace",
    "homeWindows",
    "incidents",
    "routines",
    "rates",
    "thresholds",
    "movement",
  ];
  for (const k of Object.keys(doc)) if (!known.includes(k)) fail("$." + k, "no such field");
  const int = (v: Json, path: string, lo: number, hi: number): number =>
    typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi
      ? v
      : fail(path, `a whole number from ${lo} to ${hi}`);
  const num = (v: Json, path: string, lo: number, hi: number): number =>
    typeof v === "number" && v >= lo && v <= hi ? v : fail(path, `a number from ${lo} to ${hi}`);
  const str = (v: Json, path: string): string =>
    typeof v === "string" && v.length > 0 ? v : fail(path, "a non-empty string");
  const hhmm = (v: Json, path: string): string =>
    typeof v === "string" && HHMM.test(v) ? v : fail(path, 'a local time "HH:MM"');

  const name = str(doc.name, "$.name");
  const seed = int(doc.seed ?? 1, "$.seed", 0, 2 ** 31 - 1);
  const subjects = int(doc.subjects, "$.subjects", 1, 10000);
  const startText = str(doc.start, "$.start");
  const startMs = /(Z|[+-]\d\d:\d\d)$/.test(startText) ? Date.parse(startText) : Number.NaN;
  if (!Number.isFinite(startMs))
    fail("$.start", 'an ISO 8601 time with a zone, e.g. "2026-11-23T18:00:00+02:00"');
  const timeZone = str(doc.timeZone, "$.timeZone");
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timeZone });
  } catch {
    fail("$.timeZone", 'an IANA time zone, e.g. "Europe/Riga"');
  }
  const hours = num(doc.hours, "$.hours", 0.5, 24 * 31);
  const movement = doc.movement ?? false;
  if (typeof movement !== "boolean") fail("$.movement", "true or false");
  const grace = int(doc.grace ?? 300, "$.grace", 0, 3600);
  const windowsAt = (v: Json, path: string): HomeWindow[] => {
    if (!Array.isArray(v)) return fail(path, "an array of {from, to}");
    return (v as Json[]).map((w, i) => {
      const p = `${path}[${i}]`;
      if (!isObject(w)) return fail(p, "an object {from, to}");
      const from = hhmm(w.from, p + ".from");
      const to = hhmm(w.to, p + ".to");
      if (from === to) fail(p + ".to", "a time other than from");
      return { from, to };
    });
  };
  const homeWindows = windowsAt(doc.homeWindows, "$.homeWindows");
  if (!Array.isArray(doc.incidents ?? [])) fail("$.incidents", "an array of incidents");
  const incidents = ((doc.incidents ?? []) as Json[]).map((x, i): Incident => {
    const p = `$.incidents[${i}]`;
    if (!isObject(x)) return fail(p, "an object");
    const type = x.type as IncidentType;
    if (!TYPES.includes(type)) fail(p + ".type", "one of " + TYPES.join(", "));
    let sel: Selection = "all";
    const s = x.subjects ?? "all";
    if (s === "all") sel = "all";
    else if (Array.isArray(s))
      sel = s.map((n, j) => int(n, `${p}.subjects[${j}]`, 0, subjects - 1));
    else if (isObject(s)) sel = { fraction: num(s.fraction, p + ".subjects.fraction", 0, 1) };
    else fail(p + ".subjects", '"all", a list of subject indices or {"fraction": 0…1}');
    const needsMinutes =
      type !== "strapCut" &&
      type !== "scheduleChange" &&
      type !== "unitReboot" &&
      type !== "tagBatteryLow";
    if (type === "neighbourTag" && subjects < 2)
      fail(p + ".type", "a fleet of 2 or more subjects (the neighbour is the next subject)");
    const day = int(x.day ?? 0, p + ".day", 0, 31);
    const inc: Incident = {
      type,
      subjects: type === "cellOutage" ? "all" : sel,
      at: hhmm(x.at, p + ".at"),
      day,
      minutes: needsMinutes
        ? num(
            x.minutes,
            p + ".minutes",
            1,
            type === "replayAttack" ? 120 : type === "exception" ? 7 * 24 * 60 : 24 * 60,
          )
        : 0,
      area:
        type === "cellOutage"
          ? AREAS.includes(x.area as string)
            ? (x.area as string)
            : fail(p + ".area", "one of " + AREAS.join(", "))
          : "",
    };
    if (type === "scheduleChange")
      inc.schedule = {
        homeWindows: windowsAt(x.homeWindows, p + ".homeWindows"),
        noticeMinutes: int(x.noticeMinutes ?? 30, p + ".noticeMinutes", 1, 24 * 60),
      };
    if (type === "exception") {
      if (x.kind !== "away" && x.kind !== "home") fail(p + ".kind", '"away" or "home"');
      inc.exception = {
        kind: x.kind as "away" | "home",
        noticeMinutes: int(x.noticeMinutes ?? 30, p + ".noticeMinutes", 1, 24 * 60),
      };
    }
    if (type === "liveRelay") {
      // What the ground truth can promise a unit sees (SPEC §15 attack 3): a one-way relay, or a
      // round trip of RELAY_MIN_ROUND_TRIP_MS or more, for long enough for 4 challenges.
      if (inc.minutes < RELAY_MIN_MINUTES)
        fail(p + ".minutes", `${RELAY_MIN_MINUTES} or more (4 challenges, 3 minutes apart)`);
      inc.relayRoundTripMs =
        x.roundTripMs === undefined || x.roundTripMs === null
          ? null
          : int(x.roundTripMs, p + ".roundTripMs", RELAY_MIN_ROUND_TRIP_MS, 10000);
    }
    if (type === "replayAttack")
      inc.recording = {
        at: hhmm(x.recordedAt, p + ".recordedAt"),
        day: int(x.recordedDay ?? day, p + ".recordedDay", 0, 31),
      };
    return inc;
  });
  if (!Array.isArray(doc.routines ?? [])) fail("$.routines", "an array of routines");
  const selection = (v: Json, p: string): Selection => {
    if (v === undefined || v === "all") return "all";
    if (Array.isArray(v)) return v.map((n, j) => int(n, `${p}[${j}]`, 0, subjects - 1));
    if (isObject(v)) return { fraction: num(v.fraction, p + ".fraction", 0, 1) };
    return fail(p, '"all", a list of subject indices or {"fraction": 0…1}');
  };
  const routines = ((doc.routines ?? []) as Json[]).map((x, i): Routine => {
    const p = `$.routines[${i}]`;
    if (!isObject(x)) return fail(p, "an object");
    for (const k of Object.keys(x))
      if (!["subjects", "leave", "back", "jitterMinutes", "late", "weekdaysOnly"].includes(k))
        fail(`${p}.${k}`, "no such field");
    const leave = hhmm(x.leave, p + ".leave");
    const back = hhmm(x.back, p + ".back");
    if (minuteOfDay(back) <= minuteOfDay(leave))
      fail(p + ".back", "a time after leave, the same day");
    const late = x.late ?? { probability: 0, minutes: 1 };
    if (!isObject(late)) return fail(p + ".late", "an object {probability, minutes}");
    const weekdaysOnly = x.weekdaysOnly ?? false;
    if (typeof weekdaysOnly !== "boolean") fail(p + ".weekdaysOnly", "true or false");
    return {
      subjects: selection(x.subjects, p + ".subjects"),
      leave,
      back,
      jitterMinutes: int(x.jitterMinutes ?? 0, p + ".jitterMinutes", 0, 180),
      late: {
        probability: num(late.probability, p + ".late.probability", 0, 1),
        minutes: int(late.minutes, p + ".late.minutes", 1, 600),
      },
      weekdaysOnly: weekdaysOnly as boolean,
    };
  });
  if (!Array.isArray(doc.rates ?? [])) fail("$.rates", "an array of incident rates");
  const rates = ((doc.rates ?? []) as Json[]).map((x, i): IncidentRate => {
    const p = `$.rates[${i}]`;
    if (!isObject(x)) return fail(p, "an object");
    for (const k of Object.keys(x))
      if (!["type", "subjects", "perDay", "minutes"].includes(k))
        fail(`${p}.${k}`, "no such field");
    const type = x.type as RatedType;
    if (!RATED_TYPES.includes(type)) fail(p + ".type", "one of " + RATED_TYPES.join(", "));
    return {
      type,
      subjects: selection(x.subjects, p + ".subjects"),
      perDay: num(x.perDay, p + ".perDay", 0, 24),
      minutes: INSTANT_TYPES.includes(type) ? 0 : num(x.minutes, p + ".minutes", 1, 24 * 60),
    };
  });
  const t = doc.thresholds ?? {};
  if (!isObject(t)) fail("$.thresholds", "an object {recall, precision}");
  const th = t as Record<string, Json>;
  const scenario: Scenario = {
    name,
    seed,
    subjects,
    start: Math.floor(startMs / 1000),
    timeZone,
    hours,
    grace,
    homeWindows,
    incidents,
    movement: movement as boolean,
    thresholds: {
      recall: num(th.recall ?? 1, "$.thresholds.recall", 0, 1),
      precision: num(th.precision ?? 1, "$.thresholds.precision", 0, 1),
    },
  };
  // An incident outside the run would never happen, and nothing would say so.
  const end = scenario.start + hours * 3600;
  incidents.forEach((inc, i) => {
    const at = incidentAt(scenario, inc);
    if (inc.type === "tagBatteryLow" && at >= lastStart(inc.type, end) && at < end)
      fail(
        `$.incidents[${i}].at`,
        `a run-down cell ${BATTERY_CONFIRM_S / 60} minutes or more before the run's end (the tag confirms it within that)`,
      );
    if (inc.type === "liveRelay" && at + inc.minutes * 60 > end)
      fail(
        `$.incidents[${i}].minutes`,
        "a relay that ends within the run (its alert may come late in it)",
      );
    if (at < scenario.start || at >= end)
      fail(
        `$.incidents[${i}].at`,
        `a time within the run (day ${inc.day} ${inc.at} ${timeZone} is ${new Date(at * 1000).toISOString()}, outside ${new Date(scenario.start * 1000).toISOString()} … ${new Date(end * 1000).toISOString()}; "day" counts local dates from the start's)`,
      );
  });
  scenario.incidents = incidents.concat(expandRoutines(scenario, routines));
  scenario.incidents = scenario.incidents.concat(expandRates(scenario, rates, scenario.incidents));
  checkReplays(scenario, file);
  checkExceptions(scenario, file);
  return scenario;
}

/** When the centre sends an exception or a schedule change (UTC s). */
export function commandSentAt(s: Scenario, inc: Incident): number {
  return (
    incidentAt(s, inc) - (inc.exception ?? inc.schedule ?? { noticeMinutes: 0 }).noticeMinutes * 60
  );
}

/** An exception or schedule change is sent during the run; a unit holds no two exceptions that
 * overlap (it would refuse the second: SPEC §10) and gets at most one schedule change (it holds
 * one schedule waiting to begin). */
function checkExceptions(s: Scenario, file: string): void {
  const spans: [number, number][][] = Array.from({ length: s.subjects }, () => []);
  const changed = new Set<number>();
  s.incidents.forEach((inc, k) => {
    if (inc.type !== "exception" && inc.type !== "scheduleChange") return;
    const p = `$.incidents[${k}]`;
    if (commandSentAt(s, inc) < s.start)
      throw new ScenarioError(file, p + ".noticeMinutes", "a notice that falls within the run");
    if (inc.type === "scheduleChange") {
      for (const i of selected(s, inc, k)) {
        if (changed.has(i))
          throw new ScenarioError(file, p + ".subjects", `one schedule change per subject (${i})`);
        changed.add(i);
      }
      return;
    }
    const at = incidentAt(s, inc);
    for (const i of selected(s, inc, k)) {
      const end = at + Math.round(inc.minutes * 60);
      if (spans[i].some(([a, b]) => at < b && a < end))
        throw new ScenarioError(
          file,
          p + ".at",
          `no overlap with another exception of subject ${i}`,
        );
      spans[i].push([at, end]);
    }
  });
}

/** When a replayAttack's recording starts and ends (UTC s). */
export function recordingOf(s: Scenario, inc: Incident): [number, number] {
  const r = inc.recording ?? { at: inc.at, day: inc.day };
  const from = incidentAt(s, { ...inc, at: r.at, day: r.day });
  return [from, from + Math.round(inc.minutes * 60)];
}

/** A replay the unit cannot tell from the tag is not an attack the ground truth can promise to
 * see: its recording must lie in the run and end REPLAY_AFTER_S before the replay. */
function checkReplays(s: Scenario, file: string): void {
  s.incidents.forEach((inc, k) => {
    if (inc.type !== "replayAttack") return;
    const [from, to] = recordingOf(s, inc);
    if (from < s.start || to + REPLAY_AFTER_S > incidentAt(s, inc))
      throw new ScenarioError(
        file,
        `$.incidents[${k}].recordedAt`,
        `a recording inside the run that ends ${REPLAY_AFTER_S / 60} minutes or more before the replay at ${inc.at}`,
      );
  });
}

/** The subject indices an incident concerns, the same for the same seed. */
export function selected(s: Scenario, inc: Incident, index: number): number[] {
  const all = Array.from({ length: s.subjects }, (_, i) => i);
  const sel = inc.subjects;
  if (sel === "all") return all;
  if (Array.isArray(sel)) return sel;
  // A seeded choice per incident: on seed and incident index.
  const rnd = xorshift32(s.seed * 2654435761 + index * 40503 + 1);
  return all.filter(() => rnd() < sel.fraction);
}
