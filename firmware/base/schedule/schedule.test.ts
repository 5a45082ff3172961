import { decodeCbor, encodeCbor } from "@em-platform/protocol/core/cbor";
import { ErrorCode } from "@em-platform/protocol/core/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ScheduleException } from "./exception";
import { EU_EASTERN_RULE } from "./local-time";
import { requirementAt, windowOccurrences } from "./requirement";
import {
  decodeSchedule,
  encodeSchedule,
  type Schedule,
  ScheduleRejection,
  type ScheduleWindow,
  validateSchedule,
  WindowKind,
  windowsOverlap,
} from "./schedule";
import { ScheduleStore } from "./schedule-store";

const DAY = 86400;
const WEEK = 7 * DAY;
// Monday 2025-01-06 00:00 local (EET, UTC+2).
const JAN6 = Date.UTC(2025, 0, 6) / 1000 - 7200;
const NOW = JAN6 + 3 * DAY;

type W = [number, number, number, number];

function win(w: W): ScheduleWindow {
  return { weekday: w[0], start: w[1], length: w[2], kind: w[3] };
}

function sched(windows: W[], over?: Partial<Schedule>): Schedule {
  const s: Schedule = {
    version: 1,
    validFrom: JAN6,
    validTo: JAN6 + 52 * WEEK,
    timeZone: 1,
    grace: 300,
    windows: windows.map(win),
  };
  return over ? { ...s, ...over } : s;
}

const NIGHTS: W[] = [0, 1, 2, 3, 4, 5, 6].map((d) => [d, 22 * 60, 480, WindowKind.home] as W);

describe("decodeSchedule / encodeSchedule (SPEC §11)", () => {
  it("round-trips through deterministic CBOR", () => {
    const s = sched([...NIGHTS, [2, 9 * 60, 240, WindowKind.mandatory]], { grace: 120 });
    const bytes = encodeCbor(encodeSchedule(s));
    const back = decodeCbor(bytes);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    const d = decodeSchedule(back.value);
    expect(d).toEqual({ ok: true, value: s });
  });

  it("carries a POSIX TZ rule in key 4 (text), round-trips it", () => {
    const s = sched(NIGHTS, { timeZone: "AEST-10AEDT,M10.1.0,M4.1.0/3" });
    const back = decodeCbor(encodeCbor(encodeSchedule(s)));
    expect(back.ok && decodeSchedule(back.value)).toEqual({ ok: true, value: s });
    // An IANA name is text too: decoding accepts it, validation refuses it (bad_timezone).
    const d = decodeSchedule({ 1: 3, 2: JAN6, 3: JAN6 + WEEK, 4: "Europe/Riga", 6: [] });
    expect(d.ok).toBe(true);
  });

  it("defaults grace to 300 s when key 5 is absent", () => {
    const d = decodeSchedule({ 1: 3, 2: JAN6, 3: JAN6 + WEEK, 4: 1, 6: [[0, 0, 60, 1]] });
    expect(d.ok && d.value.grace).toBe(300);
  });

  const bad: [string, unknown][] = [
    ["not a map", [1, 2, 3]],
    ["unknown key", { 1: 1, 2: 0, 3: WEEK, 4: 1, 6: [], 7: 0 }],
    ["missing version", { 2: 0, 3: WEEK, 4: 1, 6: [] }],
    ["negative valid from", { 1: 1, 2: -1, 3: WEEK, 4: 1, 6: [] }],
    ["array time zone", { 1: 1, 2: 0, 3: WEEK, 4: ["EET-2"], 6: [] }],
    ["negative time zone", { 1: 1, 2: 0, 3: WEEK, 4: -1, 6: [] }],
    ["windows not an array", { 1: 1, 2: 0, 3: WEEK, 4: 1, 6: { 0: 1 } }],
    ["window not a 4-array", { 1: 1, 2: 0, 3: WEEK, 4: 1, 6: [[0, 0, 60]] }],
    ["window field not a uint", { 1: 1, 2: 0, 3: WEEK, 4: 1, 6: [[0, 0, 60, true]] }],
    ["grace is bool", { 1: 1, 2: 0, 3: WEEK, 4: 1, 5: false, 6: [] }],
  ];
  for (const [name, v] of bad) {
    it(`rejects ${name} as malformed`, () => {
      const d = decodeSchedule(v as never);
      expect(d.ok).toBe(false);
      if (d.ok) return;
      expect(d.code).toBe(ErrorCode.badStructure);
      expect(d.reason).toBe(ScheduleRejection.malformed);
    });
  }

  it("rejects more than 64 windows", () => {
    const many: W[] = [];
    for (let i = 0; i < 65; i++) many.push([i % 7, (i * 20) % 1440, 10, 1]);
    const d = decodeSchedule(encodeSchedule(sched(many)));
    expect(d.ok === false && d.reason).toBe(ScheduleRejection.badWindow);
  });
});

describe("windowsOverlap", () => {
  it("adjacent windows do not overlap; shared minutes do, across midnight and the week's end", () => {
    expect(windowsOverlap(win([0, 0, 60, 1]), win([0, 60, 60, 1]))).toBe(false);
    expect(windowsOverlap(win([0, 0, 61, 1]), win([0, 60, 60, 2]))).toBe(true);
    // Monday 22:00 + 8 h runs into Tuesday 05:00.
    expect(windowsOverlap(win([0, 1320, 480, 1]), win([1, 300, 60, 2]))).toBe(true);
    expect(windowsOverlap(win([0, 1320, 480, 1]), win([1, 360, 60, 2]))).toBe(false);
    // Sunday 22:00 + 8 h runs into Monday 05:00 (next week's Monday).
    expect(windowsOverlap(win([6, 1320, 480, 1]), win([0, 300, 60, 2]))).toBe(true);
    expect(windowsOverlap(win([0, 300, 60, 2]), win([6, 1320, 480, 1]))).toBe(true);
    expect(windowsOverlap(win([6, 1320, 480, 1]), win([0, 360, 60, 2]))).toBe(false);
    // A full-day window touches both neighbours only at the edges.
    expect(windowsOverlap(win([3, 0, 1440, 1]), win([2, 0, 1440, 1]))).toBe(false);
    expect(windowsOverlap(win([3, 0, 1440, 1]), win([4, 0, 1440, 1]))).toBe(false);
  });
});

describe("validateSchedule: each rejection with its reason", () => {
  const good = sched(NIGHTS);

  it("accepts a valid schedule, with or without a current one", () => {
    expect(validateSchedule(good, null, NOW).ok).toBe(true);
    for (const tz of ["AEST-10AEDT,M10.1.0,M4.1.0/3", "<+03>-3", EU_EASTERN_RULE])
      expect(validateSchedule({ ...good, timeZone: tz }, null, NOW).ok).toBe(true);
    expect(validateSchedule({ ...good, version: 2 }, good, NOW).ok).toBe(true);
  });

  const cases: [string, Schedule, Schedule | null, string, string][] = [
    ["overlap", sched([...NIGHTS, [1, 5 * 60, 120, 2]]), null, ScheduleRejection.overlap, "fi"],
    [
      "overlap Sunday → Monday",
      sched([
        [6, 23 * 60, 120, 1],
        [0, 30, 60, 2],
      ]),
      null,
      ScheduleRejection.overlap,
      "fi",
    ],
    [
      "too short (< 7 days)",
      sched(NIGHTS, { validTo: JAN6 + WEEK - 1 }),
      null,
      ScheduleRejection.tooShort,
      "fi",
    ],
    ["version not newer", sched(NIGHTS), good, ScheduleRejection.versionNotNewer, "fi"],
    ["version older", sched(NIGHTS, { version: 0 }), good, ScheduleRejection.versionNotNewer, "fi"],
    [
      "gap: next starts after the current one ends",
      sched(NIGHTS, { version: 2, validFrom: JAN6 + 53 * WEEK, validTo: JAN6 + 60 * WEEK }),
      good,
      ScheduleRejection.gapInValidity,
      "fi",
    ],
    ["weekday 7", sched([[7, 0, 60, 1]]), null, ScheduleRejection.badWindow, "fi"],
    ["start minute 1440", sched([[0, 1440, 60, 1]]), null, ScheduleRejection.badWindow, "fi"],
    ["length 0", sched([[0, 0, 0, 1]]), null, ScheduleRejection.badWindow, "fi"],
    ["length 1441", sched([[0, 0, 1441, 1]]), null, ScheduleRejection.badWindow, "fi"],
    ["kind 4", sched([[0, 0, 60, 4]]), null, ScheduleRejection.badWindow, "fi"],
    ["time zone 2", sched(NIGHTS, { timeZone: 2 }), null, ScheduleRejection.badTimezone, "fi"],
    [
      "time zone as an IANA name",
      sched(NIGHTS, { timeZone: "Europe/Riga" }),
      null,
      ScheduleRejection.badTimezone,
      "fi",
    ],
    [
      "time zone rule without change dates",
      sched(NIGHTS, { timeZone: "EET-2EEST" }),
      null,
      ScheduleRejection.badTimezone,
      "fi",
    ],
    [
      "time zone rule with week 6",
      sched(NIGHTS, { timeZone: "EET-2EEST,M3.6.0/3,M10.5.0/4" }),
      null,
      ScheduleRejection.badTimezone,
      "fi",
    ],
    ["grace 3601", sched(NIGHTS, { grace: 3601 }), null, ScheduleRejection.badGrace, "fi"],
    [
      "expired (valid to in the past)",
      sched(NIGHTS, { validFrom: NOW - 10 * DAY, validTo: NOW - DAY }),
      null,
      ScheduleRejection.expired,
      "ex",
    ],
    [
      "expired (valid to = now)",
      sched(NIGHTS, { validFrom: NOW - 10 * DAY, validTo: NOW }),
      null,
      ScheduleRejection.expired,
      "ex",
    ],
  ];
  for (const [name, next, current, reason, code] of cases) {
    it(`${name} → ${reason}; the store keeps the old schedule`, () => {
      const r = validateSchedule(next, current, NOW);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.reason).toBe(reason);
      expect(r.code).toBe(code === "ex" ? ErrorCode.expired : ErrorCode.fieldOutOfRange);
      expect(r.message.length).toBeGreaterThan(0);

      const store = new ScheduleStore();
      const old = current ?? sched(NIGHTS, { version: 0 });
      expect(store.offerSchedule(old, NOW).ok).toBe(true);
      const rev = store.revision;
      const r2 = store.offerSchedule(next, NOW);
      expect(r2.ok).toBe(false);
      expect(store.active).toBe(old);
      expect(store.pending).toBe(null);
      expect(store.revision).toBe(rev);
    });
  }

  it("adjacent windows, a full week of windows and midnight-spanning windows are fine", () => {
    const full: W[] = [0, 1, 2, 3, 4, 5, 6].map((d) => [d, 0, 1440, 1] as W);
    expect(validateSchedule(sched(full), null, NOW).ok).toBe(true);
    expect(
      validateSchedule(
        sched([
          [6, 1320, 480, 1],
          [0, 360, 600, 2],
        ]),
        null,
        NOW,
      ).ok,
    ).toBe(true);
  });

  it("no gap when the next one starts before the current one ends, or the current one has ended", () => {
    const next = sched(NIGHTS, { version: 2, validFrom: NOW + DAY, validTo: NOW + 30 * DAY });
    expect(validateSchedule(next, good, NOW).ok).toBe(true);
    const ended = sched(NIGHTS, { validFrom: NOW - 20 * DAY, validTo: NOW - DAY });
    expect(validateSchedule(next, ended, NOW).ok).toBe(true);
    // Starting exactly when the current one ends is seamless.
    const seamless = sched(NIGHTS, {
      version: 2,
      validFrom: good.validTo,
      validTo: good.validTo + WEEK,
    });
    expect(validateSchedule(seamless, good, NOW).ok).toBe(true);
  });
});

describe("ScheduleStore hand-over", () => {
  it("a schedule starting now replaces the active one at once; tick announces it once", () => {
    const store = new ScheduleStore();
    expect(store.tick(NOW)).toBe(-1);
    const a = sched(NIGHTS);
    expect(store.offerSchedule(a, NOW).ok).toBe(true);
    expect(store.active).toBe(a);
    expect(store.tick(NOW)).toBe(1);
    expect(store.tick(NOW + 1)).toBe(-1);
  });

  it("a future schedule waits as pending; the old one stays in force until its valid-from", () => {
    const store = new ScheduleStore();
    const a = sched(NIGHTS);
    store.offerSchedule(a, NOW);
    store.tick(NOW);
    const from = NOW + 2 * DAY;
    const b = sched([[0, 0, 60, 1]], { version: 2, validFrom: from, validTo: from + 30 * DAY });
    expect(store.offerSchedule(b, NOW).ok).toBe(true);
    expect(store.active).toBe(a);
    expect(store.pending).toBe(b);
    expect(store.scheduleAt(from - 1)).toBe(a);
    expect(store.scheduleAt(from)).toBe(b);
    // The active schedule's requirement is cut at the hand-over.
    expect(store.requirementAt(from - 1).windowEnd).toBeLessThanOrEqual(from);
    expect(store.tick(from - 1)).toBe(-1);
    expect(store.tick(from)).toBe(2);
    expect(store.active).toBe(b);
    expect(store.pending).toBe(null);
  });

  it("a pending schedule is replaced only by a newer version", () => {
    const store = new ScheduleStore();
    store.offerSchedule(sched(NIGHTS), NOW);
    const from = NOW + 2 * DAY;
    const b = sched(NIGHTS, { version: 5, validFrom: from, validTo: from + 30 * DAY });
    expect(store.offerSchedule(b, NOW).ok).toBe(true);
    const c = sched(NIGHTS, { version: 4, validFrom: from, validTo: from + 30 * DAY });
    const r = store.offerSchedule(c, NOW);
    expect(r.ok === false && r.reason).toBe(ScheduleRejection.versionNotNewer);
    expect(store.pending).toBe(b);
  });

  it("exceptions through the store bump the revision; prune drops ended ones", () => {
    const store = new ScheduleStore();
    const e: ScheduleException = { id: 1, start: NOW, end: NOW + 3600, kind: 1, approved: false };
    expect(store.addException(e, NOW).ok).toBe(true);
    expect(store.revision).toBe(1);
    expect(store.pruneExceptions(NOW + 3599)).toBe(0);
    expect(store.pruneExceptions(NOW + 3600)).toBe(1);
    expect(store.exceptions).toEqual([]);
    expect(store.removeException(1)).toBe(false);
    expect(store.revision).toBe(2);
  });
});

// ---- properties ----------------------------------------------------------------------------

const windowArb = fc.tuple(
  fc.integer({ min: 0, max: 6 }),
  fc.integer({ min: 0, max: 1439 }),
  fc.integer({ min: 1, max: 1440 }),
  fc.integer({ min: 1, max: 3 }),
);
// Validity spans that cross both DST changes of 2025 and of 2026.
const fromArb = fc.integer({ min: JAN6, max: JAN6 + 60 * WEEK });

describe("properties", () => {
  it("requirementAt never throws, whatever the schedule, exceptions and time", () => {
    const anyNum = fc.oneof(
      fc.integer({ min: -5, max: 3000 }),
      fc.integer(),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e300, -0.5),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(anyNum, anyNum, anyNum, anyNum), { maxLength: 20 }),
        anyNum,
        anyNum,
        anyNum,
        fc.array(fc.tuple(anyNum, anyNum, anyNum, fc.boolean()), { maxLength: 5 }),
        fc.oneof(fc.integer({ min: JAN6 - WEEK, max: JAN6 + 120 * WEEK }), anyNum),
        (ws, vf, vt, tz, exs, t) => {
          const s = sched(ws as W[], { validFrom: vf, validTo: vt, timeZone: tz });
          const ex: ScheduleException[] = exs.map((x, i) => ({
            id: i,
            start: x[0],
            end: x[1],
            kind: x[2],
            approved: x[3],
          }));
          const r = requirementAt(s, ex, t);
          expect(["free", "home", "mandatory", "optional"]).toContain(r.kind);
          requirementAt(null, ex, t);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("after validation, expanded windows never overlap and requirementAt agrees with them", () => {
    fc.assert(
      fc.property(
        fc.array(windowArb, { maxLength: 24 }),
        fromArb,
        fc.integer({ min: 7, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 1000000 }), { minLength: 1, maxLength: 40 }),
        (ws, from, days, probes) => {
          const s = sched(ws as W[], { validFrom: from, validTo: from + days * DAY });
          if (!validateSchedule(s, null, from).ok) return;
          const occ = windowOccurrences(s, s.validFrom, s.validTo);
          for (let i = 1; i < occ.length; i++)
            expect(occ[i - 1].end).toBeLessThanOrEqual(occ[i].start);
          for (const o of occ) {
            expect(o.end).toBeGreaterThan(o.start);
            expect(o.start).toBeGreaterThanOrEqual(s.validFrom);
            expect(o.end).toBeLessThanOrEqual(s.validTo);
          }
          for (const p of probes) {
            const t = s.validFrom + (p % (s.validTo - s.validFrom));
            const r = requirementAt(s, [], t);
            const hit = occ.find((o) => o.start <= t && t < o.end);
            expect(r.windowStart).toBeLessThanOrEqual(t);
            expect(r.windowEnd).toBeGreaterThan(t);
            if (hit) {
              expect(r.kind).not.toBe("free");
              expect([r.windowStart, r.windowEnd]).toEqual([hit.start, hit.end]);
            } else {
              expect(r.kind).toBe("free");
              // The free stretch reaches exactly to the neighbouring windows (or the span ends).
              const before = occ.filter((o) => o.end <= t);
              const after = occ.filter((o) => o.start > t);
              expect(r.windowStart).toBe(
                before.length ? before[before.length - 1].end : s.validFrom,
              );
              expect(r.windowEnd).toBe(after.length ? after[0].start : s.validTo);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
