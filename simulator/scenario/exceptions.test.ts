// Exceptions and a schedule change in a scenario: sent by the centre through the signed downlink
// path ahead of their start, taken by the real firmware, and counted by the ground truth — an
// away-permitted exception cuts a home window (a violation only from its end + grace), a
// must-be-home one before a window starts the stretch early, one for a subject at home changes
// nothing, and a new schedule whose window starts later ends a running violation at the handover.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { expectedAlerts, homeStretches, stretchesOf, subjectStretches } from "./ground-truth";
import { incidentAt, parseScenario, type ScenarioError } from "./scenario";
import { runScenario } from "./scenario-run";

const FILE = new URL("../scenarios/exceptions.json", import.meta.url);
const S = parseScenario(readFileSync(FILE, "utf8"), "exceptions.json");
const at = (iso: string) => Date.parse(iso) / 1000;

describe("exceptions in the ground truth", () => {
  it("away permitted cuts a window; must be home joins the window it touches", () => {
    const windows = homeStretches(S);
    expect(windows).toEqual([[at("2026-11-24T18:00:00Z"), at("2026-11-24T21:30:00Z")]]);
    expect(subjectStretches(S, 0, windows)).toEqual([
      [at("2026-11-24T19:30:00Z"), at("2026-11-24T21:30:00Z")],
    ]);
    expect(subjectStretches(S, 2, windows)).toEqual([
      [at("2026-11-24T17:00:00Z"), at("2026-11-24T21:30:00Z")],
    ]);
    expect(subjectStretches(S, 1, windows)).toEqual(windows);
    // Subject 4's new schedule (from 20:30: home 22:00–07:00) takes over at its valid-from.
    expect(stretchesOf(S, 4)).toEqual([
      [at("2026-11-24T18:00:00Z"), at("2026-11-24T18:30:00Z")],
      [at("2026-11-24T20:00:00Z"), at("2026-11-24T21:30:00Z")],
    ]);
  });

  it("gives each subject the violations of its own stretches", () => {
    expect(expectedAlerts(S).map((a) => [a.subject, a.start])).toEqual([
      ["00010002", at("2026-11-24T17:05:00Z")],
      ["00010001", at("2026-11-24T18:05:00Z")],
      ["00010004", at("2026-11-24T18:20:00Z")],
      ["00010000", at("2026-11-24T19:35:00Z")],
    ]);
  });

  it("refuses a notice before the run and two exceptions of a subject that overlap", () => {
    const doc = JSON.parse(readFileSync(FILE, "utf8"));
    const bad = (incidents: unknown[]) => {
      try {
        parseScenario(JSON.stringify({ ...doc, incidents }), "x.json");
      } catch (e) {
        return (e as ScenarioError).path;
      }
      return "accepted";
    };
    const exc = (o: Record<string, unknown>) => ({
      type: "exception",
      subjects: [0],
      kind: "away",
      at: "20:00",
      minutes: 60,
      ...o,
    });
    expect(bad([exc({ at: "17:45" })])).toBe("$.incidents[0].noticeMinutes");
    expect(bad([exc({}), exc({ at: "20:30" })])).toBe("$.incidents[1].at");
    expect(bad([exc({ kind: "maybe" })])).toBe("$.incidents[0].kind");
    expect(bad([exc({}), exc({ at: "20:30", subjects: [1] })])).toBe("accepted");
    const change = { type: "scheduleChange", subjects: [0], at: "21:00", homeWindows: [] };
    expect(bad([change, { ...change, at: "22:00" }])).toBe("$.incidents[1].subjects");
    expect(bad([{ ...change, homeWindows: [{ from: "21:00", to: "21:00" }] }])).toBe(
      "$.incidents[0].homeWindows[0].to",
    );
    expect(incidentAt(S, S.incidents[1])).toBe(at("2026-11-24T18:00:00Z"));
  });
});

it("the run: every exception and the new schedule acknowledged before they began, every alert, none false", async () => {
  const broker = await startEmbeddedBroker();
  try {
    const r = await runScenario(S, broker, TEST_ROOT, () => {});
    expect(r.check.misses).toEqual([]);
    expect(r.check.falseAlarms).toEqual([]);
    expect(r.check.expected).toBe(4);
  } finally {
    await broker.stop();
  }
}, 180_000);
