import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  civilFromDays,
  daysFromCivil,
  EU_EASTERN_RULE,
  isKnownTimeZone,
  LocalPick,
  localSecondsOf,
  localToUtc,
  parseTzRule,
  SECONDS_PER_DAY,
  TimeZone,
  TZ_RULE_FAULTS,
  toLocal,
  toLocalSeconds,
  tzRuleFault,
  tzRuleFaultAt,
  utcOffset,
  weekdayOfDays,
} from "./local-time";

const TZ = TimeZone.euEastern;

/** The EU changes, from Date: last Sunday of March / October, 01:00 UTC. */
function lastSundayAt1Utc(year: number, month0: number): number {
  const last = new Date(Date.UTC(year, month0 + 1, 0, 1));
  return last.getTime() / 1000 - last.getUTCDay() * SECONDS_PER_DAY;
}
const summerTimeStart = (year: number) => lastSundayAt1Utc(year, 2);
const summerTimeEnd = (year: number) => lastSundayAt1Utc(year, 9);
const ZONES = ["Europe/Riga", "Europe/Vilnius"];

const formatters: { [zone: string]: Intl.DateTimeFormat } = {};

/** Local civil time of UTC instant t in `zone` per Node's ICU, as local seconds. */
function intlLocalSeconds(zone: string, t: number): number {
  let f = formatters[zone];
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters[zone] = f;
  }
  const parts = f.formatToParts(new Date(t * 1000));
  const v: { [k: string]: number } = {};
  for (const p of parts) if (p.type !== "literal") v[p.type] = Number(p.value);
  return Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second) / 1000;
}

const FROM = Date.UTC(2025, 0, 1) / 1000;
const TO = Date.UTC(2031, 0, 1) / 1000;

describe("civil calendar arithmetic", () => {
  it("daysFromCivil / civilFromDays agree with Date.UTC from 1900 to 2200", () => {
    for (let y = 1900; y <= 2200; y++) {
      for (let m = 1; m <= 12; m++) {
        for (const d of [1, 15, 28]) {
          const days = Date.UTC(y, m - 1, d) / 86400000;
          expect(daysFromCivil(y, m, d)).toBe(days);
          expect(civilFromDays(days)).toEqual({ year: y, month: m, day: d });
        }
      }
    }
  });

  it("round-trips every day number in ±200 years and gives Date's weekday", () => {
    const bad: number[] = [];
    for (let days = -73000; days <= 73000; days += 1) {
      const c = civilFromDays(days);
      if (daysFromCivil(c.year, c.month, c.day) !== days) bad.push(days);
    }
    expect(bad).toEqual([]);
    for (let days = -1000; days <= 1000; days++) {
      const jsDay = new Date(days * 86400000).getUTCDay(); // 0 = Sunday
      expect(weekdayOfDays(days)).toBe((jsDay + 6) % 7);
    }
  });
});

describe("EU Eastern summer time changes", () => {
  it("are on the last Sundays of March and October at 01:00 UTC", () => {
    const known: [number, number, number][] = [
      [2025, Date.UTC(2025, 2, 30, 1), Date.UTC(2025, 9, 26, 1)],
      [2026, Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)],
      [2027, Date.UTC(2027, 2, 28, 1), Date.UTC(2027, 9, 31, 1)],
      [2028, Date.UTC(2028, 2, 26, 1), Date.UTC(2028, 9, 29, 1)],
      [2029, Date.UTC(2029, 2, 25, 1), Date.UTC(2029, 9, 28, 1)],
      [2030, Date.UTC(2030, 2, 31, 1), Date.UTC(2030, 9, 27, 1)],
    ];
    for (const [y, spring, autumn] of known) {
      expect(summerTimeStart(y)).toBe(spring / 1000);
      expect(summerTimeEnd(y)).toBe(autumn / 1000);
      expect(utcOffset(TZ, spring / 1000 - 1)).toBe(7200);
      expect(utcOffset(TZ, spring / 1000)).toBe(10800);
      expect(utcOffset(TZ, autumn / 1000 - 1)).toBe(10800);
      expect(utcOffset(TZ, autumn / 1000)).toBe(7200);
    }
  });

  it("unknown zone ids count as UTC", () => {
    expect(utcOffset(99, 1750000000)).toBe(0);
    expect(localToUtc(99, 1750000000, LocalPick.later)).toBe(1750000000);
  });
});

describe("UTC → local matches Intl for Riga and Vilnius", () => {
  for (const zone of ZONES) {
    it(`every hour of 2025–2030 (${zone}), and the seconds around each change`, () => {
      const bad: number[] = [];
      for (let t = FROM; t < TO; t += 3600) {
        if (toLocalSeconds(TZ, t) !== intlLocalSeconds(zone, t)) bad.push(t);
      }
      expect(bad).toEqual([]);
      for (let y = 2025; y <= 2030; y++) {
        for (const c of [summerTimeStart(y), summerTimeEnd(y)]) {
          for (let t = c - 2; t <= c + 2; t++)
            expect(toLocalSeconds(TZ, t)).toBe(intlLocalSeconds(zone, t));
        }
      }
    });
  }

  it("toLocal breaks down like Intl", () => {
    const t = Date.UTC(2026, 6, 4, 21, 7, 9) / 1000; // Saturday 00:07:09 local, Sunday
    expect(toLocal(TZ, t)).toEqual({
      year: 2026,
      month: 7,
      day: 5,
      weekday: 6,
      hour: 0,
      minute: 7,
      second: 9,
      offset: 10800,
    });
  });
});

describe("local → UTC matches Intl for Riga and Vilnius", () => {
  for (const zone of ZONES) {
    it(`every local hour of 2025–2030 and the half hours of the change nights (${zone})`, () => {
      let gaps = 0;
      let overlaps = 0;
      const firstLocal = localSecondsOf(2025, 1, 1, 0, 0, 0);
      const lastLocal = localSecondsOf(2031, 1, 1, 0, 0, 0);
      const bad: number[] = [];
      const check = (ok: boolean, local: number) => {
        if (!ok) bad.push(local);
      };
      const locals: number[] = [];
      for (let local = firstLocal; local < lastLocal; local += 3600) locals.push(local);
      for (let y = 2025; y <= 2030; y++) {
        for (const c of [summerTimeStart(y), summerTimeEnd(y)]) {
          const hourBefore = toLocalSeconds(TZ, c - 7200);
          for (let k = 0; k < 5; k++) locals.push(hourBefore + 1800 + k * 3600);
        }
      }
      for (const local of locals) {
        const later = localToUtc(TZ, local, LocalPick.later);
        const earlier = localToUtc(TZ, local, LocalPick.earlier);
        if (intlLocalSeconds(zone, later) === local) {
          // The local time exists. Does it exist twice (the autumn overlap)?
          if (later !== earlier) {
            overlaps++;
            check(later - earlier === 3600, local);
            check(intlLocalSeconds(zone, earlier) === local, local);
          } else {
            // Exactly once: neither 1 h earlier nor 1 h later shows this local time.
            check(intlLocalSeconds(zone, later - 3600) !== local, local);
            check(intlLocalSeconds(zone, later + 3600) !== local, local);
          }
        } else {
          // The spring gap: both picks give the change instant, the first valid instant after.
          gaps++;
          check(later === earlier, local);
          const c = summerTimeStart(civilFromDays(Math.floor(local / SECONDS_PER_DAY)).year);
          check(later === c, local);
          check(intlLocalSeconds(zone, c - 1) < local, local);
          check(intlLocalSeconds(zone, c) > local, local);
        }
      }
      expect(bad).toEqual([]);
      // 6 years × (the full hour + the half hour) in the missing / repeated hour.
      expect(gaps).toBe(12);
      expect(overlaps).toBe(12);
    });
  }

  it("the worked examples of the rule", () => {
    // Spring 2025: 03:30 local on Sunday 30 March does not exist → 04:00 EEST = 01:00 UTC.
    const gap = localSecondsOf(2025, 3, 30, 3, 30, 0);
    expect(localToUtc(TZ, gap, LocalPick.later)).toBe(Date.UTC(2025, 2, 30, 1) / 1000);
    expect(localToUtc(TZ, gap, LocalPick.earlier)).toBe(Date.UTC(2025, 2, 30, 1) / 1000);
    // Autumn 2025: 03:30 local on Sunday 26 October happens at 00:30 and at 01:30 UTC.
    const twice = localSecondsOf(2025, 10, 26, 3, 30, 0);
    expect(localToUtc(TZ, twice, LocalPick.earlier)).toBe(Date.UTC(2025, 9, 26, 0, 30) / 1000);
    expect(localToUtc(TZ, twice, LocalPick.later)).toBe(Date.UTC(2025, 9, 26, 1, 30) / 1000);
  });

  it("is monotone in local time for both picks, and earlier ≤ later", () => {
    const lo = localSecondsOf(2024, 1, 1, 0, 0, 0);
    const hi = localSecondsOf(2040, 1, 1, 0, 0, 0);
    fc.assert(
      fc.property(fc.integer({ min: lo, max: hi }), fc.integer({ min: 0, max: 7200 }), (a, d) => {
        for (const pick of [LocalPick.later, LocalPick.earlier]) {
          expect(localToUtc(TZ, a, pick)).toBeLessThanOrEqual(localToUtc(TZ, a + d, pick));
        }
        expect(localToUtc(TZ, a, LocalPick.earlier)).toBeLessThanOrEqual(
          localToUtc(TZ, a, LocalPick.later),
        );
      }),
      { numRuns: 20000 },
    );
  });

  it("round-trips: toLocalSeconds(localToUtc(L)) = L outside the gap, for every minute near changes", () => {
    for (let y = 2025; y <= 2030; y++) {
      for (const c of [summerTimeStart(y), summerTimeEnd(y)]) {
        const base = toLocalSeconds(TZ, c - 3 * 3600);
        for (let local = base; local < base + 6 * 3600; local += 60) {
          for (const pick of [LocalPick.later, LocalPick.earlier]) {
            const t = localToUtc(TZ, local, pick);
            const back = toLocalSeconds(TZ, t);
            if (t === summerTimeStart(y) && back !== local) expect(back > local).toBe(true);
            else expect(back).toBe(local);
          }
        }
      }
    }
  });
});

describe("parseTzRule (POSIX TZ rules)", () => {
  const H = 3600;
  const good: [string, object][] = [
    [
      EU_EASTERN_RULE,
      {
        std: 2 * H,
        dst: 3 * H,
        tzStart: { tzForm: 2, tzMonth: 3, tzWeek: 5, tzDay: 0, tzTime: 3 * H },
        tzEnd: { tzForm: 2, tzMonth: 10, tzWeek: 5, tzDay: 0, tzTime: 4 * H },
      },
    ],
    [
      "AEST-10AEDT,M10.1.0,M4.1.0/3",
      {
        std: 10 * H,
        dst: 11 * H,
        tzStart: { tzForm: 2, tzMonth: 10, tzWeek: 1, tzDay: 0, tzTime: 2 * H },
        tzEnd: { tzForm: 2, tzMonth: 4, tzWeek: 1, tzDay: 0, tzTime: 3 * H },
      },
    ],
    ["<+03>-3", { std: 3 * H, dst: 3 * H, tzStart: null, tzEnd: null }],
    ["UTC0", { std: 0, dst: 0, tzStart: null, tzEnd: null }],
    ["<-0330>+3:30", { std: -3.5 * H, dst: -3.5 * H, tzStart: null, tzEnd: null }],
    ["<+0545>-5:45", { std: 5.75 * H, dst: 5.75 * H, tzStart: null, tzEnd: null }],
    ["<+14>-14", { std: 14 * H, dst: 14 * H, tzStart: null, tzEnd: null }],
    ["XXX-1:2:3", { std: H + 123, dst: H + 123, tzStart: null, tzEnd: null }],
    [
      "NST3:30NDT,M3.2.0,M11.1.0",
      {
        std: -3.5 * H,
        dst: -2.5 * H,
        tzStart: { tzForm: 2, tzMonth: 3, tzWeek: 2, tzDay: 0, tzTime: 2 * H },
        tzEnd: { tzForm: 2, tzMonth: 11, tzWeek: 1, tzDay: 0, tzTime: 2 * H },
      },
    ],
    [
      "IST-2IDT,M3.4.4/26,M10.5.0",
      {
        std: 2 * H,
        dst: 3 * H,
        tzStart: { tzForm: 2, tzMonth: 3, tzWeek: 4, tzDay: 4, tzTime: 26 * H },
        tzEnd: { tzForm: 2, tzMonth: 10, tzWeek: 5, tzDay: 0, tzTime: 2 * H },
      },
    ],
    [
      "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
      {
        std: -2 * H,
        dst: -H,
        tzStart: { tzForm: 2, tzMonth: 3, tzWeek: 5, tzDay: 0, tzTime: -H },
        tzEnd: { tzForm: 2, tzMonth: 10, tzWeek: 5, tzDay: 0, tzTime: 0 },
      },
    ],
    [
      "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
      {
        std: 10.5 * H,
        dst: 11 * H,
        tzStart: { tzForm: 2, tzMonth: 10, tzWeek: 1, tzDay: 0, tzTime: 2 * H },
        tzEnd: { tzForm: 2, tzMonth: 4, tzWeek: 1, tzDay: 0, tzTime: 2 * H },
      },
    ],
    [
      "GMT0IST,M3.5.0/1,M10.5.0",
      {
        std: 0,
        dst: H,
        tzStart: { tzForm: 2, tzMonth: 3, tzWeek: 5, tzDay: 0, tzTime: H },
        tzEnd: { tzForm: 2, tzMonth: 10, tzWeek: 5, tzDay: 0, tzTime: 2 * H },
      },
    ],
    [
      "EST5EDT,0/0,J365/25",
      {
        std: -5 * H,
        dst: -4 * H,
        tzStart: { tzForm: 0, tzMonth: 0, tzWeek: 0, tzDay: 0, tzTime: 0 },
        tzEnd: { tzForm: 1, tzMonth: 0, tzWeek: 0, tzDay: 365, tzTime: 25 * H },
      },
    ],
    [
      "ABC+3DEF+1,J60/+167,59/-167:59:59",
      {
        std: -3 * H,
        dst: -1 * H,
        tzStart: { tzForm: 1, tzMonth: 0, tzWeek: 0, tzDay: 60, tzTime: 167 * H },
        tzEnd: { tzForm: 0, tzMonth: 0, tzWeek: 0, tzDay: 59, tzTime: -(167 * H + 59 * 60 + 59) },
      },
    ],
  ];
  for (const [rule, zone] of good) {
    it(`parses ${rule}`, () => {
      expect(parseTzRule(rule)).toEqual(zone);
      expect(isKnownTimeZone(rule)).toBe(true);
    });
  }

  const bad: [string, string][] = [
    ["", "is not 4…64 characters at 0"],
    ["Europe/Riga", "bad standard time offset at 6"],
    ["EE-2", "bad standard time name at 2"],
    ["EETX", "bad standard time offset at 4"],
    ["EET+25", "bad standard time offset at 6"],
    ["EET-2:60", "bad standard time offset at 8"],
    ["EET-2:", "bad standard time offset at 6"],
    ["<+3>-3", "bad standard time name at 3"],
    ["<+03-3", "bad standard time name at 6"],
    ["<+0 3>-3", "bad standard time name at 3"],
    ["EET-2EEST", "summer time without ,start,end at 9"],
    ["EET-2EE,M3.5.0,M10.5.0", "bad summer time name at 7"],
    ["EET-2EEST-25,M3.5.0,M10.5.0", "bad summer time offset at 12"],
    ["EET-2EEST,M3.5.0/3", "no summer time end at 18"],
    ["EET-2EEST,M13.5.0/3,M10.5.0/4", "bad summer time start at 13"],
    ["EET-2EEST,M3.6.0/3,M10.5.0/4", "bad summer time start at 14"],
    ["EET-2EEST,M3.5.7/3,M10.5.0/4", "bad summer time start at 16"],
    ["EET-2EEST,M3.5/3,M10.5.0/4", "bad summer time start at 14"],
    ["EET-2EEST,M3.5.0/168,M10.5.0/4", "bad summer time start at 20"],
    ["EET-2EEST,M3.5.0/3,J0", "bad summer time end at 21"],
    ["EET-2EEST,M3.5.0/3,366", "bad summer time end at 22"],
    ["EET-2EEST,M3.5.0/3,M10.5.0/4,", "unexpected character at 28"],
    ["EET-2 ", "bad summer time name at 5"],
    ["EET-2\u00e9", "bad summer time name at 5"],
    ["EET-2EEST,M3.5.0,M10.5.0 ", "unexpected character at 24"],
    [
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-2",
      "is not 4…64 characters at 0",
    ],
  ];
  for (const [rule, reason] of bad) {
    it(`refuses ${JSON.stringify(rule)}: ${reason}`, () => {
      expect(parseTzRule(rule)).toBe(null);
      expect(`${TZ_RULE_FAULTS[tzRuleFault]} at ${tzRuleFaultAt}`).toBe(reason);
      expect(isKnownTimeZone(rule)).toBe(false);
      expect(`${TZ_RULE_FAULTS[tzRuleFault]} at ${tzRuleFaultAt}`).toBe(reason);
    });
  }

  it("refuses ids other than 1, and a non-string, without throwing", () => {
    expect(isKnownTimeZone(2)).toBe(false);
    expect(TZ_RULE_FAULTS[tzRuleFault]).toBe("is neither 1 nor a text");
    expect(isKnownTimeZone(1)).toBe(true);
    expect(parseTzRule(7 as never)).toBe(null);
    expect(TZ_RULE_FAULTS[tzRuleFault]).toBe("is not 4…64 characters");
  });

  it("never loops or throws on absurd instants", () => {
    for (const t of [Number.NaN, Infinity, -Infinity, 1e300, -1e300, 2 ** 53])
      for (const tz of [1, "AEST-10AEDT,M10.1.0,M4.1.0/3"]) {
        utcOffset(tz, t);
        localToUtc(tz, t, LocalPick.later);
      }
  });

  it("a bad rule counts as UTC if it ever reaches a conversion", () => {
    expect(utcOffset("EET-2EEST", 1750000000)).toBe(0);
    expect(localToUtc("nonsense", 1750000000, LocalPick.later)).toBe(1750000000);
  });

  it("zone 1 and its rule string convert alike", () => {
    for (let t = Date.UTC(2024, 0, 1) / 1000; t < Date.UTC(2027, 0, 1) / 1000; t += 3571) {
      expect(utcOffset(EU_EASTERN_RULE, t)).toBe(utcOffset(1, t));
      const L = t + 1234;
      expect(localToUtc(EU_EASTERN_RULE, L, LocalPick.earlier)).toBe(
        localToUtc(1, L, LocalPick.earlier),
      );
    }
  });
});

describe("southern hemisphere and other rule shapes", () => {
  const SYD = "AEST-10AEDT,M10.1.0,M4.1.0/3";

  it("Sydney: summer time across the new year, the gap in October and the overlap in April", () => {
    // 2025-10-05 02:00 AEST = 2025-10-04 16:00 UTC → 03:00 AEDT.
    const spring = Date.UTC(2025, 9, 4, 16) / 1000;
    expect(utcOffset(SYD, spring - 1)).toBe(36000);
    expect(utcOffset(SYD, spring)).toBe(39600);
    expect(utcOffset(SYD, Date.UTC(2026, 0, 1) / 1000)).toBe(39600);
    // 2026-04-05 03:00 AEDT = 2026-04-04 16:00 UTC → 02:00 AEST.
    const autumn = Date.UTC(2026, 3, 4, 16) / 1000;
    expect(utcOffset(SYD, autumn - 1)).toBe(39600);
    expect(utcOffset(SYD, autumn)).toBe(36000);
    expect(utcOffset(SYD, Date.UTC(2026, 6, 1) / 1000)).toBe(36000);
    const gap = localSecondsOf(2025, 10, 5, 2, 30, 0);
    expect(localToUtc(SYD, gap, LocalPick.later)).toBe(spring);
    expect(localToUtc(SYD, gap, LocalPick.earlier)).toBe(spring);
    const twice = localSecondsOf(2026, 4, 5, 2, 30, 0);
    expect(localToUtc(SYD, twice, LocalPick.earlier)).toBe(autumn - 1800);
    expect(localToUtc(SYD, twice, LocalPick.later)).toBe(autumn + 1800);
  });

  it("a zone without summer time has neither gap nor overlap", () => {
    const t = Date.UTC(2030, 5, 1, 12) / 1000;
    expect(utcOffset("<+03>-3", t)).toBe(10800);
    expect(localToUtc("<+03>-3", t + 10800, LocalPick.earlier)).toBe(t);
    expect(localToUtc("<+03>-3", t + 10800, LocalPick.later)).toBe(t);
  });

  it("Jn never counts 29 February; n does", () => {
    // J60 is 1 March in every year, n 59 is 1 March only in a common year.
    for (const [y, rule, d] of [
      [2024, "AAA0BBB,J60/0,J300/0", 1],
      [2025, "AAA0BBB,J60/0,J300/0", 1],
      [2024, "AAA0BBB,59/0,J300/0", 29],
      [2025, "AAA0BBB,59/0,J300/0", 1],
    ] as [number, string, number][]) {
      const month = d === 29 ? 1 : 2;
      const c = Date.UTC(y, month, d) / 1000;
      expect(utcOffset(rule, c - 1)).toBe(0);
      expect(utcOffset(rule, c)).toBe(3600);
    }
  });

  it("all-year summer time (0/0,J365/25) is summer time all year", () => {
    for (let t = Date.UTC(2024, 0, 1) / 1000; t < Date.UTC(2027, 0, 1) / 1000; t += 7919)
      expect(utcOffset("EST5EDT,0/0,J365/25", t)).toBe(-4 * 3600);
  });

  it("is monotone in local time for both picks, for zones on both sides of the equator", () => {
    const lo = localSecondsOf(2024, 1, 1, 0, 0, 0);
    const hi = localSecondsOf(2040, 1, 1, 0, 0, 0);
    const rules = [SYD, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"];
    fc.assert(
      fc.property(
        fc.constantFrom(...rules),
        fc.integer({ min: lo, max: hi }),
        fc.integer({ min: 0, max: 7200 }),
        (rule, a, d) => {
          for (const pick of [LocalPick.later, LocalPick.earlier])
            expect(localToUtc(rule, a, pick)).toBeLessThanOrEqual(localToUtc(rule, a + d, pick));
          expect(localToUtc(rule, a, LocalPick.earlier)).toBeLessThanOrEqual(
            localToUtc(rule, a, LocalPick.later),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("summer time as the smaller offset (tzdata's Irish form)", () => {
  it("IST-1GMT0,M10.5.0,M3.5.0/1 converts like GMT0IST,M3.5.0/1,M10.5.0", () => {
    const a = "IST-1GMT0,M10.5.0,M3.5.0/1";
    const b = "GMT0IST,M3.5.0/1,M10.5.0";
    for (let t = Date.UTC(2024, 0, 1) / 1000; t < Date.UTC(2028, 0, 1) / 1000; t += 1799) {
      expect(utcOffset(a, t)).toBe(utcOffset(b, t));
      for (const pick of [LocalPick.earlier, LocalPick.later])
        expect(localToUtc(a, t + 2000, pick)).toBe(localToUtc(b, t + 2000, pick));
    }
  });
});
