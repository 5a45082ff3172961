// The example scenario of attacks at home (simulator/scenarios/door-and-wall.json) on the real
// firmware: one subject's beacons recorded while he is out and replayed at the door at night,
// another's replayed at home, a neighbour's tag heard through the wall all evening while the
// subject next door is out, and two subjects out at night behind live relays (one carrying the
// radio both ways with a 500 ms round trip, one the beacons only). The centre gets a radio attack
// for each replay, a live relay for each relay, and the curfew violations the replay and the
// neighbour's tag must not hide — nothing else. Without the unit's counter pace the first
// violation ends at the replay; without its tag-id check the neighbour's frames are reported as
// forged (a false radio attack); without the freshness challenge the relays pass for the tag.

import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { parseScenario } from "./scenario";
import { runScenario } from "./scenario-run";

const FILE = new URL("../scenarios/door-and-wall.json", import.meta.url);

it("replays at the door and a neighbour's tag: every alert, none false", async () => {
  const s = parseScenario(readFileSync(FILE, "utf8"), "door-and-wall.json");
  const broker = await startEmbeddedBroker();
  try {
    const r = await runScenario(s, broker, TEST_ROOT, () => {});
    expect(r.check.misses).toEqual([]);
    expect(r.check.falseAlarms).toEqual([]);
    expect(r.expected.map((a) => `${a.subject} ${a.type}`).sort()).toEqual([
      "00010000 curfew_violation",
      "00010000 radio_attack",
      "00010001 live_relay",
      "00010001 radio_attack",
      "00010002 curfew_violation",
      "00010003 live_relay",
    ]);
  } finally {
    await broker.stop();
  }
}, 180_000);
