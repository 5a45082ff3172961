// The heartbeat's signal quality (SPEC §9 0x2A key 9) is the CSQ the modem last reported: the
// virtual SIM800 answers AT+CSQ from its subscriber's signal, the driver polls it, the uplink
// seam hands it to the app.

import { CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import { forEachBroker, MINUTE, onlineHome, worldPerTest } from "./uplink-testkit";

const UNIT = 0x5161;
const TAG = 0x5162;

forEachBroker("heartbeat signal quality", (start) => {
  const ctx = worldPerTest(start, 50);

  it("carries the CSQ the modem reported", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000061" });
    // A weaker cell than the area's (a basement): the modem's AT+CSQ answer changes with it.
    h.modem.subscriber.setSignalOffset(-7);
    const want = h.modem.subscriber.csq();
    expect(want).toBeGreaterThan(0);
    expect(want).toBeLessThan(31);
    await w.fastForward(() => h.uplink.modem.csq === want, 3 * MINUTE, "CSQ polled");
    const counter = await w.receiver.sendCommand(UNIT, CommandCode.requestStatus, null);
    await w.fastForward(() => w.receiver.acks(UNIT, counter).length > 0, 5 * MINUTE, "ack");
    const ack = w.receiver.acks(UNIT, counter)[0];
    const hb = w.receiver.withCode(UNIT, EventCode.heartbeat).find((e) => e.seq === ack.seq - 1);
    expect(hb).toBeDefined();
    expect(hb!.data![9]).toBe(want);
  });
});
