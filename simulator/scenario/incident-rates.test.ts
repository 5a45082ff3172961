// Incidents by rate: seeded, at their rate, never an incident the world would play differently
// from how the ground truth counts it, and every error names its path.

import { describe, expect, it } from "vitest";
import { expectedAlerts } from "./ground-truth";
import { incidentAt, parseScenario, type Scenario, type ScenarioError } from "./scenario";

const BASE = {
  name: "rates",
  seed: 5,
  subjects: 6,
  start: "2026-11-23T00:00:00+02:00",
  timeZone: "Europe/Riga",
  hours: 14 * 24,
  homeWindows: [{ from: "20:00", to: "07:00" }],
  routines: [{ leave: "08:00", back: "17:30", jitterMinutes: 20 }],
};

function fleet(over: Record<string, unknown>): Scenario {
  return parseScenario(JSON.stringify({ ...BASE, ...over }), "rates.json");
}

const ofType = (s: Scenario, type: string) => s.incidents.filter((i) => i.type === type);
const subjectOf = (i: { subjects: unknown }) => (i.subjects as number[])[0];

describe("incidents by rate", () => {
  const rates = [
    { type: "strapCut", perDay: 0.2 },
    { type: "mainsOutage", perDay: 0.5, minutes: 45 },
    { type: "absence", perDay: 0.3, minutes: 90, subjects: [0, 1, 2] },
  ];

  it("are the same for the same seed, and others for another", () => {
    const a = fleet({ rates }).incidents;
    expect(fleet({ rates }).incidents).toEqual(a);
    expect(fleet({ rates, seed: 6 }).incidents).not.toEqual(a);
  });

  it("come at their rate: 6 subjects × 14 days × 0.5 unpluggings ≈ 42", () => {
    const n = ofType(fleet({ rates }), "mainsOutage").length;
    expect(n).toBeGreaterThan(25);
    expect(n).toBeLessThan(60);
    expect(ofType(fleet({ rates: [{ ...rates[1], perDay: 0 }] }), "mainsOutage")).toEqual([]);
  });

  it("cut a strap once per subject, and never overlap an absence or an unplugging of the same subject", () => {
    const s = fleet({ rates });
    const cuts = ofType(s, "strapCut").map(subjectOf);
    expect(new Set(cuts).size).toBe(cuts.length);
    expect(cuts.length).toBeGreaterThan(0);
    for (const type of ["absence", "mainsOutage"])
      for (let i = 0; i < s.subjects; i++) {
        const spans = ofType(s, type)
          .filter((x) => subjectOf(x) === i)
          .map((x) => [incidentAt(s, x), incidentAt(s, x) + x.minutes * 60])
          .sort((p, q) => p[0] - q[0]);
        for (let k = 1; k < spans.length; k++)
          expect(spans[k][0], `${type} of subject ${i}`).toBeGreaterThanOrEqual(spans[k - 1][1]);
      }
    // Only the chosen subjects get the rated absences (all get the routine's).
    const rated = ofType(s, "absence").filter((x) => x.minutes === 90);
    expect(rated.length).toBeGreaterThan(0);
    expect(rated.every((x) => [0, 1, 2].includes(subjectOf(x)))).toBe(true);
  });

  it("become the ground truth's alerts like any scripted incident", () => {
    const s = fleet({ rates });
    const unplugged = expectedAlerts(s).filter((a) => a.type === "mains_lost");
    expect(unplugged).toHaveLength(ofType(s, "mainsOutage").length);
  });

  it("a bad rate names its path", () => {
    const path = (r: Record<string, unknown>) => {
      try {
        fleet({ rates: [r] });
      } catch (e) {
        return (e as ScenarioError).path;
      }
      return "accepted";
    };
    expect(path({ type: "cellOutage", perDay: 1 })).toBe("$.rates[0].type");
    expect(path({ type: "mainsOutage", perDay: 1 })).toBe("$.rates[0].minutes");
    expect(path({ type: "strapCut", perDay: 30 })).toBe("$.rates[0].perDay");
    expect(path({ type: "strapCut", perDay: 1, colour: "red" })).toBe("$.rates[0].colour");
  });
});
