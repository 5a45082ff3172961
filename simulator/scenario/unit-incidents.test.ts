// Incidents at the home unit itself: its case opened (one unit_tamper alert, open to shut) and
// reboots — one in the middle of a curfew violation, one seconds after a strap cut — that raise
// nothing and lose nothing: the centre gets every alert once. And a tag's cell run down, at home
// and while away (heard of at the return).

import { EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { parseScenario } from "./scenario";
import { runScenario } from "./scenario-run";

const S = parseScenario(
  JSON.stringify({
    name: "unit-incidents",
    seed: 9,
    subjects: 3,
    start: "2026-11-23T19:30:00+02:00",
    timeZone: "Europe/Riga",
    hours: 3,
    homeWindows: [{ from: "20:00", to: "07:00" }],
    incidents: [
      { type: "caseOpen", subjects: [0], at: "20:10", minutes: 12 },
      { type: "absence", subjects: [1], at: "20:20", minutes: 60 },
      { type: "unitReboot", subjects: [1], at: "20:40" },
      { type: "strapCut", subjects: [2], at: "21:00" },
      { type: "unitReboot", subjects: [2], at: "21:00" },
      { type: "unitReboot", subjects: [0], at: "21:30" },
      { type: "tagBatteryLow", subjects: [0], at: "21:40" },
      { type: "tagBatteryLow", subjects: [1], at: "20:30" },
    ],
  }),
  "unit-incidents.json",
);

it("a case opened, reboots mid-violation and right after a cut, flat cells: every alert once", async () => {
  const broker = await startEmbeddedBroker();
  try {
    const r = await runScenario(S, broker, TEST_ROOT, () => {});
    expect(r.check.misses).toEqual([]);
    expect(r.check.falseAlarms).toEqual([]);
    expect(r.expected.map((a) => a.type).sort()).toEqual([
      "curfew_violation",
      "strap_tamper",
      "tag_battery_low",
      "tag_battery_low",
      "unit_tamper",
    ]);
    // a cell run down while away is heard of at the return (21:20 local)
    const away = r.observed.find((a) => a.type === "tag_battery_low" && a.subject === "00010001");
    // (the unit's clock, set from the network, runs a few seconds off)
    expect(away?.start).toBeGreaterThan(Date.parse("2026-11-23T21:20:00+02:00") / 1000 - 10);
    const tamper = r.observed.find((a) => a.type === "unit_tamper");
    // closed when the case shut (the unit's clock, set from the network, a few seconds off)
    const shut = r.expected.find((a) => a.type === "unit_tamper")?.end ?? 0;
    expect(Math.abs((tamper?.end ?? 0) - shut)).toBeLessThanOrEqual(5);
    // the three reboots reached the centre, and the cut was reported once
    expect(r.eventsByCode[EventCode.unitBoot]).toBe(3);
    expect(r.eventsByCode[EventCode.strapTamper]).toBe(1);
    expect(r.eventsByCode[EventCode.unitTamper]).toBe(1);
  } finally {
    await broker.stop();
  }
}, 120_000);
