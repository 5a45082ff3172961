// Scenario files and the ground truth computed from them: every error names file, path and what
// was expected; local times by Intl across DST; the curfew rules at their edges.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectedAlerts, homeStretches } from "./ground-truth";
import { parseScenario, type Scenario, ScenarioError, utcOfLocal } from "./scenario";

const BASE = {
  name: "t",
  seed: 1,
  subjects: 2,
  start: "2026-11-23T18:00:00+02:00",
  timeZone: "Europe/Riga",
  hours: 6,
  grace: 300,
  homeWindows: [{ from: "20:00", to: "07:00" }],
  incidents: [] as unknown[],
};

function scenario(over: Record<string, unknown>): Scenario {
  return parseScenario(JSON.stringify({ ...BASE, ...over }), "t.json");
}

function error(text: string): ScenarioError {
  try {
    parseScenario(text, "bad.json");
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("accepted: " + text);
}

const at = (iso: string) => Date.parse(iso) / 1000;

describe("scenario files", () => {
  it("name the file, the JSON path and what was expected", () => {
    const bad = (over: Record<string, unknown>) => error(JSON.stringify({ ...BASE, ...over }));
    expect(error("{").message).toMatch(/^bad\.json: \$: expected JSON/);
    expect(bad({ timeZone: "Europe/Atlantis" }).path).toBe("$.timeZone");
    expect(bad({ subjects: 0 }).message).toBe(
      "bad.json: $.subjects: expected a whole number from 1 to 10000",
    );
    expect(bad({ start: "2026-11-23T18:00:00" }).path).toBe("$.start"); // no zone: ambiguous
    expect(bad({ colour: "red" }).path).toBe("$.colour");
    expect(bad({ movement: "yes" }).message).toBe("bad.json: $.movement: expected true or false");
    // 18:00 + 6 h: a cell run down at 23:50 might be confirmed after the end
    expect(bad({ incidents: [{ type: "tagBatteryLow", at: "23:50" }] }).expected).toMatch(
      /20 minutes or more before the run's end/,
    );
    const e = bad({
      incidents: [
        { type: "strapCut", at: "21:00" },
        { type: "absence", at: "25:00", minutes: 10 },
      ],
    });
    expect([e.path, e.expected]).toEqual(["$.incidents[1].at", 'a local time "HH:MM"']);
    expect(bad({ incidents: [{ type: "strapCut", at: "21:00", subjects: [2] }] }).path).toBe(
      "$.incidents[0].subjects[0]",
    );
    expect(
      bad({ incidents: [{ type: "cellOutage", at: "21:00", minutes: 5, area: "x" }] }).path,
    ).toBe("$.incidents[0].area");
    // Outside the run (18:00 + 6 h): before the start, or after midnight without "day": 1.
    for (const at of ["17:00", "01:00"])
      expect(bad({ incidents: [{ type: "strapCut", at }] }).path, at).toBe("$.incidents[0].at");
    expect(() =>
      scenario({ incidents: [{ type: "strapCut", at: "23:30", day: 0 }] }),
    ).not.toThrow();
  });

  it("refuse a replay the unit cannot tell from the tag, and a neighbour without a neighbour", () => {
    const bad = (over: Record<string, unknown>) => error(JSON.stringify({ ...BASE, ...over }));
    const replay = (o: Record<string, unknown>) => ({
      type: "replayAttack",
      subjects: [0],
      at: "23:00",
      recordedAt: "19:00",
      minutes: 10,
      ...o,
    });
    expect(bad({ incidents: [replay({ recordedAt: undefined })] }).path).toBe(
      "$.incidents[0].recordedAt",
    );
    // ends 20 minutes before the replay: within REPLAY_AFTER_S
    expect(bad({ incidents: [replay({ recordedAt: "22:30" })] }).expected).toMatch(/30 minutes/);
    expect(bad({ incidents: [replay({ recordedAt: "17:00" })] }).path).toBe(
      "$.incidents[0].recordedAt",
    ); // before the run
    expect(
      bad({ subjects: 1, incidents: [{ type: "neighbourTag", at: "21:00", minutes: 5 }] }).path,
    ).toBe("$.incidents[0].type");
  });

  it("every example scenario is valid", () => {
    const dir = new URL("../scenarios/", import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")))
      expect(() => parseScenario(readFileSync(new URL(f, dir), "utf8"), f), f).not.toThrow();
  });

  it("local times by Intl across DST: a gap moves forward by its length, an overlap takes the first", () => {
    // Riga springs forward at 03:00 → 04:00 on 2027-03-28; 03:30 does not exist: 04:30 EEST.
    expect(utcOfLocal("Europe/Riga", at("2027-03-28T03:30:00Z"))).toBe(at("2027-03-28T01:30:00Z"));
    // It falls back at 04:00 → 03:00 on 2026-10-25; 03:30 happens twice.
    expect(utcOfLocal("Europe/Riga", at("2026-10-25T03:30:00Z"))).toBe(at("2026-10-25T00:30:00Z"));
    expect(utcOfLocal("Australia/Sydney", at("2026-12-01T20:00:00Z"))).toBe(
      at("2026-12-01T09:00:00Z"),
    );
  });
});

describe("ground truth", () => {
  it("a home window over the DST night lasts 12 h, not 11 (Europe/Riga, 2026-10-24/25)", () => {
    const s = scenario({ start: "2026-10-24T18:00:00+03:00", hours: 16 });
    expect(homeStretches(s)).toEqual([[at("2026-10-24T17:00:00Z"), at("2026-10-25T05:00:00Z")]]);
  });

  it("the grace edge: back at the deadline is in time, one second later is a violation", () => {
    const away = (mins: number) => ({ type: "absence", subjects: [0], at: "21:00", minutes: mins });
    expect(expectedAlerts(scenario({ incidents: [away(5)] }))).toEqual([]);
    const s = scenario({ grace: 299, incidents: [away(5)] });
    expect(expectedAlerts(s)).toEqual([
      {
        subject: "00010000",
        type: "curfew_violation",
        start: at("2026-11-23T19:04:59Z"),
        end: at("2026-11-23T19:05:00Z"),
        cause: "left during a home window",
      },
    ]);
  });

  it("late back counts from the window's start; a deadline at the window's end raises nothing", () => {
    const s = scenario({
      incidents: [
        { type: "absence", subjects: [0], at: "19:00", minutes: 90 },
        { type: "absence", subjects: [1], day: 1, at: "06:55", minutes: 60 },
      ],
      hours: 16,
    });
    const e = expectedAlerts(s);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({
      subject: "00010000",
      start: at("2026-11-23T18:05:00Z"),
      end: at("2026-11-23T18:30:00Z"),
      cause: "not back by the window's start + grace",
    });
  });

  it("a replay is a radio attack from its first frame; a neighbour's tag raises nothing", () => {
    const s = scenario({
      incidents: [
        { type: "replayAttack", subjects: [1], at: "21:00", recordedAt: "18:30", minutes: 10 },
        { type: "neighbourTag", subjects: [0], at: "19:00", minutes: 120 },
      ],
    });
    expect(expectedAlerts(s)).toEqual([
      {
        subject: "00010001",
        type: "radio_attack",
        start: at("2026-11-23T19:00:00Z"),
        end: null,
        cause: "the tag's beacons of 18:30 replayed at the door",
      },
    ]);
  });

  it("a strap cut away from home is known at the return; outages have their span", () => {
    const s = scenario({
      incidents: [
        { type: "absence", subjects: [1], at: "18:30", minutes: 60 },
        { type: "strapCut", subjects: [1], at: "19:00" },
        { type: "mainsOutage", subjects: [0], at: "19:10", minutes: 20 },
      ],
    });
    expect(expectedAlerts(s)).toEqual([
      {
        subject: "00010001",
        type: "strap_tamper",
        start: at("2026-11-23T17:00:00Z"),
        end: null,
        cause: "strap cut",
        detectableAt: at("2026-11-23T17:30:00Z"),
      },
      {
        subject: "00010000",
        type: "mains_lost",
        start: at("2026-11-23T17:10:00Z"),
        end: at("2026-11-23T17:30:00Z"),
        cause: "unplugged",
      },
    ]);
  });
});
