// A scenario on each broker the simulator starts — aedes always, Mosquitto when installed — with
// the real firmware in every home: a cell outage, cuts, an unplugged unit and curfew breaches,
// and the centre raises exactly the alerts the ground truth expects.

import { expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import type { RunningBroker } from "../broker/broker";
import { forEachBroker } from "../uplink/uplink-testkit";
import { parseScenario } from "./scenario";
import { runScenario } from "./scenario-run";

const S = parseScenario(
  JSON.stringify({
    name: "brokers",
    seed: 3,
    subjects: 6,
    start: "2026-11-23T19:30:00+02:00",
    timeZone: "Europe/Riga",
    hours: 2,
    homeWindows: [{ from: "20:00", to: "07:00" }],
    incidents: [
      { type: "absence", subjects: [0, 3], at: "19:50", minutes: 30 },
      { type: "strapCut", subjects: [1, 5], at: "20:35" },
      { type: "mainsOutage", subjects: [2], at: "20:10", minutes: 20 },
      { type: "cellOutage", area: "riga-east", at: "20:30", minutes: 15 },
    ],
  }),
  "brokers.json",
);

forEachBroker("a scenario checked against its ground truth", (start) => {
  it("6 subjects, 2 hours: every alert, none false", async () => {
    let broker: RunningBroker | null = null;
    try {
      broker = await start();
      const r = await runScenario(S, broker, TEST_ROOT, () => {});
      expect(r.check.misses).toEqual([]);
      expect(r.check.falseAlarms).toEqual([]);
      // 2 late returns, 2 cuts (subject 5 in riga-east, during its outage), 1 unplugged unit
      expect(r.check.expected).toBe(5);
    } finally {
      await broker?.stop();
    }
  }, 120_000);
});
