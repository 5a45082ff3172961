// Daily routines: seeded (the same scenario gives the same week), within their jitter, weekdays
// only when asked, late returns at their rate — and the ground truth follows from them.

import { describe, expect, it } from "vitest";
import { expectedAlerts } from "./ground-truth";
import { minuteOfDay, parseScenario, type ScenarioError } from "./scenario";

const week = (routine: Record<string, unknown>, seed = 1) =>
  parseScenario(
    JSON.stringify({
      name: "week",
      seed,
      subjects: 6,
      // Monday 2026-11-23 00:30 in Riga, for 7 days
      start: "2026-11-23T00:30:00+02:00",
      timeZone: "Europe/Riga",
      hours: 7 * 24,
      homeWindows: [{ from: "19:00", to: "07:00" }],
      routines: [routine],
    }),
    "week.json",
  );

const WORK = { leave: "08:00", back: "17:30", jitterMinutes: 20 };

describe("routines", () => {
  it("are the same for the same seed, and another seed gives another week", () => {
    const a = week(WORK).incidents;
    expect(week(WORK).incidents).toEqual(a);
    expect(week(WORK, 2).incidents).not.toEqual(a);
    expect(a).toHaveLength(6 * 7); // every subject, every day
  });

  it("leave and return within the jitter; weekdays only when asked", () => {
    for (const inc of week(WORK).incidents) {
      expect(Math.abs(minuteOfDay(inc.at) - minuteOfDay("08:00"))).toBeLessThanOrEqual(20);
      const back = minuteOfDay(inc.at) + inc.minutes;
      expect(Math.abs(back - minuteOfDay("17:30"))).toBeLessThanOrEqual(20);
    }
    const weekdays = week({ ...WORK, weekdaysOnly: true }).incidents;
    expect(weekdays).toHaveLength(6 * 5);
    expect(new Set(weekdays.map((i) => i.day))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it("late returns at their rate become the violations the ground truth expects", () => {
    // Back 17:30 ± 20 min, late by 120 min every day: past 19:00 + 5 min grace, a violation.
    const always = week({ ...WORK, late: { probability: 1, minutes: 120 } });
    const v = expectedAlerts(always).filter((a) => a.type === "curfew_violation");
    expect(v).toHaveLength(6 * 7);
    expect(expectedAlerts(week(WORK)).filter((a) => a.type === "curfew_violation")).toEqual([]);
    const some = week({ ...WORK, late: { probability: 0.3, minutes: 120 } });
    const n = expectedAlerts(some).filter((a) => a.type === "curfew_violation").length;
    expect(n).toBeGreaterThan(3);
    expect(n).toBeLessThan(25); // 42 days × 0.3 ≈ 13
  });

  it("a bad routine names its path", () => {
    const err = (r: Record<string, unknown>) => {
      try {
        week(r);
      } catch (e) {
        return (e as ScenarioError).path;
      }
      return "accepted";
    };
    expect(err({ leave: "18:00", back: "08:00" })).toBe("$.routines[0].back");
    expect(err({ ...WORK, late: { probability: 2, minutes: 5 } })).toBe(
      "$.routines[0].late.probability",
    );
    expect(err({ ...WORK, colour: "red" })).toBe("$.routines[0].colour");
  });
});
