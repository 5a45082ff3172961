import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  civilFromDays,
  daysFromCivil,
  LocalPick,
  localSecondsOf,
  localToUtc,
  SECONDS_PER_DAY,
  summerTimeEnd,
  summerTimeStart,
  TimeZone,
  toLocal,
  toLocalSeconds,
  utcOffset,
  weekdayOfDays,
} from "./local-time";

const TZ = TimeZone.euEastern;
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
