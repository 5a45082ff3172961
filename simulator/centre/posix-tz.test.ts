// The centre's IANA → POSIX rule derivation and the home unit's rule conversions, both against
// Node's Intl (ICU's tz data): for every zone, every offset change 2020–2040 ± 1 s, the local
// times around each change (gap → the change instant, overlap → earlier/later occurrence), and
// random instants and local times (fast-check).
//
// Zones whose rules changed inside 2020–2040 (as history and ICU's data say) are checked from the
// first year their current rule covers: Santiago 2023 (2022's start was moved by decree), Mexico
// City 2023 (summer time abolished in October 2022), Tehran 2023 (abolished 2022), Cairo 2023
// (reintroduced April 2023), Fiji 2023 (suspended from 2022), Nuuk 2024 (moved to −02 in October
// 2023), Asunción 2025 (permanent −03 from October 2024). Casablanca has no rule of this grammar
// (summer time is suspended each Ramadan) and is refused.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LocalPick,
  localToUtc,
  parseTzRule,
  toLocalSeconds,
} from "../../firmware/base/schedule/local-time";
import { intlChanges, intlLocalSeconds, intlOffset, posixTzFromIana } from "./posix-tz";

const LAST_YEAR = 2040;
const ZONES: [string, number][] = [
  ["Europe/Riga", 2020],
  ["Europe/Vilnius", 2020],
  ["Europe/London", 2020],
  ["Europe/Dublin", 2020],
  ["Europe/Lisbon", 2020],
  ["Europe/Berlin", 2020],
  ["Europe/Helsinki", 2020],
  ["Europe/Chisinau", 2020],
  ["Europe/Istanbul", 2020],
  ["Europe/Moscow", 2020],
  ["America/New_York", 2020],
  ["America/Chicago", 2020],
  ["America/Denver", 2020],
  ["America/Los_Angeles", 2020],
  ["America/Phoenix", 2020],
  ["America/St_Johns", 2020],
  ["America/Halifax", 2020],
  ["America/Havana", 2020],
  ["America/Sao_Paulo", 2020],
  ["America/Santiago", 2023],
  ["America/Mexico_City", 2023],
  ["America/Nuuk", 2024],
  ["America/Asuncion", 2025],
  ["Asia/Jerusalem", 2020],
  ["Asia/Tokyo", 2020],
  ["Asia/Kolkata", 2020],
  ["Asia/Kathmandu", 2020],
  ["Asia/Tehran", 2023],
  ["Africa/Cairo", 2023],
  ["Africa/Johannesburg", 2020],
  ["Australia/Sydney", 2020],
  ["Australia/Melbourne", 2020],
  ["Australia/Hobart", 2020],
  ["Australia/Adelaide", 2020],
  ["Australia/Lord_Howe", 2020],
  ["Australia/Brisbane", 2020],
  ["Australia/Perth", 2020],
  ["Pacific/Auckland", 2020],
  ["Pacific/Chatham", 2020],
  ["Pacific/Fiji", 2023],
  ["Antarctica/Troll", 2020],
];

const yearStart = (y: number) => Date.UTC(y, 0, 1) / 1000;
const DAY = 86400;

/**
 * What localToUtc must answer for local seconds L, from Intl alone: the instants Intl shows as L
 * (two in an overlap: earlier and later; one normally), or none — a gap — and then the change
 * instant that skips L.
 */
function expectedUtc(zone: string, L: number): { earlier: number; later: number } {
  const offsets = new Set([intlOffset(zone, L - 2 * DAY), intlOffset(zone, L + 2 * DAY)]);
  const hits = [...offsets].map((o) => L - o).filter((t) => intlLocalSeconds(zone, t) === L);
  if (hits.length > 0) return { earlier: Math.min(...hits), later: Math.max(...hits) };
  const c = intlChanges(zone, L - 2 * DAY, L + 2 * DAY).find(
    (x) => x.at + x.before <= L && L < x.at + x.after,
  );
  if (!c) throw new Error(`${zone}: ${L} neither exists nor lies in a gap`);
  return { earlier: c.at, later: c.at };
}

let totalChanges = 0;
let totalLocals = 0;

describe("IANA → POSIX rule (Intl-derived) and the unit's conversions agree with Intl", () => {
  it("covers at least 20 zones, southern ones and ones without summer time among them", () => {
    expect(ZONES.length).toBeGreaterThanOrEqual(20);
  });

  for (const [zone, from] of ZONES) {
    it(`${zone}, ${from}–${LAST_YEAR}: every change ± 1 s, the local times around it, random instants`, () => {
      const rule = posixTzFromIana(zone, yearStart(from), LAST_YEAR - from + 1);
      expect(parseTzRule(rule)).not.toBe(null);
      const lo = yearStart(from);
      const hi = yearStart(LAST_YEAR + 1);
      const changes = intlChanges(zone, lo, hi);
      const bad: string[] = [];
      for (const c of changes) {
        for (let dt = -1; dt <= 1; dt++) {
          const t = c.at + dt;
          if (toLocalSeconds(rule, t) !== intlLocalSeconds(zone, t)) bad.push(`UTC ${t}`);
        }
        // Local times from 2 h before to 2 h after the change, every 15 min, and its edges.
        const base = c.at + c.before;
        const locals = [base - 1, base, base + 1, c.at + c.after - 1, c.at + c.after];
        for (let k = -8; k <= 8; k++) locals.push(base + k * 900);
        for (const L of locals) {
          const e = expectedUtc(zone, L);
          totalLocals++;
          if (
            localToUtc(rule, L, LocalPick.earlier) !== e.earlier ||
            localToUtc(rule, L, LocalPick.later) !== e.later
          )
            bad.push(`local ${L}`);
        }
      }
      totalChanges += changes.length;
      expect(bad, `${zone} ${rule}`).toEqual([]);
      fc.assert(
        fc.property(fc.integer({ min: lo, max: hi - 1 }), (t) => {
          expect(toLocalSeconds(rule, t)).toBe(intlLocalSeconds(zone, t));
          const L = intlLocalSeconds(zone, t) + ((t * 7919) % 7200) - 3600;
          const e = expectedUtc(zone, L);
          expect(localToUtc(rule, L, LocalPick.earlier)).toBe(e.earlier);
          expect(localToUtc(rule, L, LocalPick.later)).toBe(e.later);
        }),
        { numRuns: 300 },
      );
    }, 60000);
  }

  it("checked every change (summary)", () => {
    console.info(
      `posix-tz: ${ZONES.length} zones, ${totalChanges} offset changes (each ± 1 s), ${totalLocals} local times around them`,
    );
    expect(totalChanges).toBeGreaterThan(1000);
  });
});

describe("posixTzFromIana", () => {
  it("writes tzdata's rules (names aside)", () => {
    const at = yearStart(2026);
    expect(posixTzFromIana("Australia/Sydney", at)).toBe("<+10>-10<+11>,M10.1.0,M4.1.0/3");
    expect(posixTzFromIana("Europe/Riga", at)).toBe("<+02>-2<+03>,M3.5.0/3,M10.5.0/4");
    expect(posixTzFromIana("Europe/Istanbul", at)).toBe("<+03>-3");
    expect(posixTzFromIana("America/New_York", at)).toBe("EST5EDT,M3.2.0,M11.1.0");
    expect(posixTzFromIana("Asia/Jerusalem", at)).toBe("<+02>-2<+03>,M3.4.4/26,M10.5.0");
    expect(posixTzFromIana("America/Santiago", at)).toBe("<-04>4<-03>,M9.1.6/24,M4.1.6/24");
    expect(posixTzFromIana("America/Nuuk", at)).toBe("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    expect(posixTzFromIana("Australia/Lord_Howe", at)).toBe("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  });

  it("refuses a zone without a yearly rule, and a span across a rule change", () => {
    expect(() => posixTzFromIana("Africa/Casablanca", yearStart(2026))).toThrow(/no date rule/);
    expect(() => posixTzFromIana("America/Santiago", yearStart(2020), 21)).toThrow();
    expect(() => posixTzFromIana("Africa/Cairo", yearStart(2020), 21)).toThrow();
  });
});
