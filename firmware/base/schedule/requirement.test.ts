import { describe, expect, it } from "vitest";
import { ExceptionKind, type ScheduleException } from "./exception";
import { NEVER, requirementAt, windowOccurrences } from "./requirement";
import { type Schedule, validateSchedule, WindowKind } from "./schedule";

const H = 3600;
const DAY = 86400;
const WEEK = 7 * DAY;
const utc = (y: number, mo: number, d: number, h: number, mi = 0) =>
  Date.UTC(y, mo - 1, d, h, mi) / 1000;

type W = [number, number, number, number];

function sched(windows: W[], from = utc(2025, 1, 1, 0), to = utc(2027, 1, 1, 0)): Schedule {
  const s: Schedule = {
    version: 7,
    validFrom: from,
    validTo: to,
    timeZone: 1,
    grace: 300,
    windows: windows.map((w) => ({ weekday: w[0], start: w[1], length: w[2], kind: w[3] })),
  };
  expect(validateSchedule(s, null, from).ok).toBe(true);
  return s;
}

const SAT = 5;
const SUN = 6;
const HOME = WindowKind.home;

describe("a southern-hemisphere zone (Sydney, POSIX rule in key 4)", () => {
  const SYD = "AEST-10AEDT,M10.1.0,M4.1.0/3";
  const s: Schedule = {
    ...sched([[SAT, 22 * 60, 480, HOME]]),
    timeZone: SYD,
  };

  it("is valid, and the night into the April change is 9 h, the October one 7 h", () => {
    expect(validateSchedule(s, null, s.validFrom).ok).toBe(true);
    // Sat 4 April 2026 22:00 AEDT (UTC+11) → Sun 5 April 06:00 AEST (UTC+10).
    const aprStart = utc(2026, 4, 4, 11);
    const aprEnd = utc(2026, 4, 4, 20);
    expect(requirementAt(s, [], aprStart + H)).toMatchObject({
      kind: "home",
      windowStart: aprStart,
      windowEnd: aprEnd,
    });
    // Sat 3 October 2026 22:00 AEST → Sun 4 October 06:00 AEDT.
    const octStart = utc(2026, 10, 3, 12);
    const octEnd = utc(2026, 10, 3, 19);
    expect(requirementAt(s, [], octStart + H)).toMatchObject({
      kind: "home",
      windowStart: octStart,
      windowEnd: octEnd,
    });
    // Midsummer (January): 22:00 AEDT is 11:00 UTC, 8 hours.
    expect(requirementAt(s, [], utc(2026, 1, 10, 12))).toMatchObject({
      windowStart: utc(2026, 1, 10, 11),
      windowEnd: utc(2026, 1, 10, 19),
    });
  });

  it("a window ending in the repeated hour takes the first occurrence, one starting there the second", () => {
    // Sun 5 April 2026: 02:00–02:59 local happens twice (15:00–16:00 and 16:00–17:00 UTC).
    const t = sched([
      [SUN, 60, 90, HOME], // 01:00–02:30
      [SUN, 150, 60, HOME], // 02:30–03:30
    ]);
    const st = { ...t, timeZone: SYD };
    const occ = windowOccurrences(st, utc(2026, 4, 4, 0), utc(2026, 4, 5, 0));
    expect(occ.map((o) => [o.start, o.end])).toEqual([
      [utc(2026, 4, 4, 14), utc(2026, 4, 4, 15, 30)],
      [utc(2026, 4, 4, 16, 30), utc(2026, 4, 4, 17, 30)],
    ]);
  });
});

describe("DST nights with a 22:00–06:00 home window", () => {
  const s = sched([[SAT, 22 * 60, 480, HOME]]);

  it("spring (29→30 March 2025): 22:00 EET to 06:00 EEST is 7 hours", () => {
    const start = utc(2025, 3, 29, 20); // 22:00 local, UTC+2
    const end = utc(2025, 3, 30, 3); // 06:00 local, UTC+3
    const r = requirementAt(s, [], start + H);
    expect(r).toMatchObject({ kind: "home", windowStart: start, windowEnd: end, version: 7 });
    expect(end - start).toBe(7 * H);
    expect(requirementAt(s, [], start - 1).kind).toBe("free");
    expect(requirementAt(s, [], start).kind).toBe("home");
    expect(requirementAt(s, [], end - 1).kind).toBe("home");
    expect(requirementAt(s, [], end).kind).toBe("free");
  });

  it("autumn (25→26 October 2025): 22:00 EEST to 06:00 EET is 9 hours", () => {
    const start = utc(2025, 10, 25, 19); // 22:00 local, UTC+3
    const end = utc(2025, 10, 26, 4); // 06:00 local, UTC+2
    const r = requirementAt(s, [], start + H);
    expect(r).toMatchObject({ kind: "home", windowStart: start, windowEnd: end });
    expect(end - start).toBe(9 * H);
    expect(requirementAt(s, [], start - 1).kind).toBe("free");
    expect(requirementAt(s, [], end).kind).toBe("free");
  });

  it("an ordinary week is 8 hours", () => {
    const start = utc(2025, 6, 14, 19);
    expect(requirementAt(s, [], start)).toMatchObject({
      windowStart: start,
      windowEnd: start + 8 * H,
    });
  });
});

describe("windows inside the missing and the repeated hour", () => {
  it("spring: a start in the gap moves to 04:00; a window wholly in the gap is empty", () => {
    const change = utc(2025, 3, 30, 1);
    const s = sched([
      [SUN, 150, 45, HOME], // 02:30–03:15: ends in the gap
      [SUN, 200, 10, WindowKind.mandatory], // 03:20–03:30: wholly in the gap
      [SUN, 225, 60, WindowKind.optional], // 03:45–04:45: starts in the gap
    ]);
    const occ = windowOccurrences(s, utc(2025, 3, 29, 0), utc(2025, 3, 31, 0));
    expect(occ.map((o) => [o.kind, o.start, o.end])).toEqual([
      [HOME, utc(2025, 3, 30, 0, 30), change],
      [WindowKind.optional, change, utc(2025, 3, 30, 1, 45)],
    ]);
    expect(requirementAt(s, [], change - 1).kind).toBe("home");
    expect(requirementAt(s, [], change).kind).toBe("optional");
  });

  it("autumn: an end in the overlap takes the first 03:30, a start the second; free between", () => {
    const s = sched([
      [SUN, 150, 60, HOME], // 02:30–03:30
      [SUN, 210, 60, HOME], // 03:30–04:30
    ]);
    const first330 = utc(2025, 10, 26, 0, 30);
    const second330 = utc(2025, 10, 26, 1, 30);
    const occ = windowOccurrences(s, utc(2025, 10, 25, 0), utc(2025, 10, 27, 0));
    expect(occ.map((o) => [o.start, o.end])).toEqual([
      [utc(2025, 10, 25, 23, 30), first330],
      [second330, utc(2025, 10, 26, 2, 30)],
    ]);
    // The repeated hour between them is free: a person following the wall clock may be out.
    expect(requirementAt(s, [], first330)).toMatchObject({
      kind: "free",
      windowStart: first330,
      windowEnd: second330,
    });
  });
});

describe("midnight-spanning windows", () => {
  it("Sunday 22:00 + 480 min runs into Monday 06:00 of the next week", () => {
    const s = sched([[SUN, 22 * 60, 480, HOME]]);
    const sunday22 = utc(2025, 6, 15, 19); // Sunday 15 June 2025, 22:00 EEST
    const monday06 = utc(2025, 6, 16, 3);
    for (const t of [sunday22, utc(2025, 6, 15, 21), utc(2025, 6, 15, 23, 59), monday06 - 1]) {
      expect(requirementAt(s, [], t)).toMatchObject({
        kind: "home",
        windowStart: sunday22,
        windowEnd: monday06,
      });
    }
    // Monday 06:00 → free until next Sunday 22:00.
    expect(requirementAt(s, [], monday06)).toMatchObject({
      kind: "free",
      windowStart: monday06,
      windowEnd: sunday22 + WEEK,
    });
  });

  it("a full-day window every day is home all week, in 7 pieces", () => {
    const s = sched([0, 1, 2, 3, 4, 5, 6].map((d) => [d, 0, 1440, HOME] as W));
    for (let t = utc(2025, 3, 24, 0); t < utc(2025, 4, 7, 0); t += 1800)
      expect(requirementAt(s, [], t).kind).toBe("home");
    // The Sunday of the spring change is 23 hours long, the autumn one 25.
    const spring = requirementAt(s, [], utc(2025, 3, 30, 12));
    expect(spring.windowEnd - spring.windowStart).toBe(23 * H);
    const autumn = requirementAt(s, [], utc(2025, 10, 26, 12));
    expect(autumn.windowEnd - autumn.windowStart).toBe(25 * H);
  });
});

describe("validity span", () => {
  const from = utc(2025, 6, 2, 0);
  const to = from + 14 * DAY;
  const s = sched(
    [0, 1, 2, 3, 4, 5, 6].map((d) => [d, 22 * 60, 480, HOME] as W),
    from,
    to,
  );

  it("is free before valid-from and from valid-to on, and windows are cut at both", () => {
    expect(requirementAt(s, [], from - 1)).toMatchObject({ kind: "free", windowEnd: from });
    expect(requirementAt(s, [], to)).toMatchObject({
      kind: "free",
      windowStart: to,
      windowEnd: NEVER,
    });
    // 2 June 00:00 UTC is 03:00 local, inside Sunday night's window: it starts at valid-from.
    expect(requirementAt(s, [], from)).toMatchObject({ kind: "home", windowStart: from });
    expect(requirementAt(s, [], to - 1)).toMatchObject({ kind: "home", windowEnd: to });
  });

  it("no schedule at all is free forever", () => {
    expect(requirementAt(null, [], 1e9)).toEqual({
      kind: "free",
      windowStart: 0,
      windowEnd: NEVER,
      source: "schedule",
      version: 0,
      grace: 300,
    });
  });
});

describe("exceptions override the weekly windows", () => {
  const s = sched([0, 1, 2, 3, 4, 5, 6].map((d) => [d, 22 * 60, 480, HOME] as W));
  const w22 = utc(2025, 6, 10, 19); // Tuesday 22:00 EEST
  const w06 = w22 + 8 * H;

  function ex(start: number, end: number, kind: number): ScheduleException {
    return { id: 1, start: start, end: end, kind: kind, approved: false };
  }

  it("away permitted inside a home window: free while it lasts, home around it", () => {
    const away = ex(w22 + H, w22 + 3 * H, ExceptionKind.awayPermitted);
    expect(requirementAt(s, [away], w22 + 2 * H)).toMatchObject({
      kind: "free",
      source: "exception",
      windowStart: w22 + H,
      windowEnd: w22 + 3 * H,
    });
    expect(requirementAt(s, [away], w22 + 30 * 60)).toMatchObject({
      kind: "home",
      windowStart: w22,
      windowEnd: w22 + H,
    });
    // After the exception the home requirement applies from the exception's end.
    expect(requirementAt(s, [away], w22 + 3 * H)).toMatchObject({
      kind: "home",
      source: "schedule",
      windowStart: w22 + 3 * H,
      windowEnd: w06,
    });
  });

  it("must be home creates a requirement in free time, and cuts the free stretch", () => {
    const home = ex(w22 - 4 * H, w22 - 3 * H, ExceptionKind.mustBeHome);
    expect(requirementAt(s, [home], w22 - 3.5 * H)).toMatchObject({
      kind: "home",
      source: "exception",
      windowStart: w22 - 4 * H,
      windowEnd: w22 - 3 * H,
    });
    expect(requirementAt(s, [home], w22 - 5 * H)).toMatchObject({
      kind: "free",
      windowStart: w06 - DAY,
      windowEnd: w22 - 4 * H,
    });
    expect(requirementAt(s, [home], w22 - 2 * H)).toMatchObject({
      kind: "free",
      windowStart: w22 - 3 * H,
      windowEnd: w22,
    });
  });

  it("an exception applies exactly over [start, end)", () => {
    const away = ex(w22, w22 + H, ExceptionKind.awayPermitted);
    expect(requirementAt(s, [away], w22 - 1).kind).toBe("free");
    expect(requirementAt(s, [away], w22).source).toBe("exception");
    expect(requirementAt(s, [away], w22 + H)).toMatchObject({ kind: "home", source: "schedule" });
  });

  it("where two overlap (not via addException) must-be-home wins", () => {
    const a = { ...ex(w22 - 2 * H, w22, ExceptionKind.awayPermitted), id: 1 };
    const b = { ...ex(w22 - H, w22, ExceptionKind.mustBeHome), id: 2 };
    expect(requirementAt(s, [a, b], w22 - 30 * 60).kind).toBe("home");
    expect(requirementAt(s, [b, a], w22 - 30 * 60).kind).toBe("home");
  });
});
