// A command the centre sends while the unit is offline waits in the unit's persistent session at
// the broker and is delivered after the unit reconnects; the unit executes it (request_status →
// a heartbeat now) and acknowledges it with a command_ack carrying the downlink counter.

import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import { Outage } from "../modem/network";
import {
  forEachBroker,
  HOUR,
  MINUTE,
  onlineHome,
  wentOffline,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0xe0e0;
const TAG = 0x2e2e;

forEachBroker("downlink while the unit is offline", (start) => {
  const ctx = worldPerTest(start, 50);

  it("arrives after the reconnect and is acknowledged", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000005" });
    const downlinksBefore = h.uplink.mqtt.stats.downlinks;

    w.network.scheduleOutage(h.modem.subscriber, Outage.coverage, 1000, 10 * MINUTE);
    await wentOffline(w, h);
    const counter = await w.receiver.sendCommand(UNIT, CommandCode.requestStatus, null);
    const sentAt = w.nowMs();
    await w.runFor(MINUTE);
    expect(h.uplink.mqtt.stats.downlinks).toBe(downlinksBefore);

    await w.fastForward(() => w.receiver.acks(UNIT, counter).length > 0, HOUR, "command_ack");
    const ack = w.receiver.acks(UNIT, counter)[0];
    expect(ack.data).toEqual({ 1: counter, 2: CommandCode.requestStatus, 3: AckResult.ok });
    expect(ack.atMs - sentAt).toBeGreaterThan(9 * MINUTE);
    expect(h.uplink.mqtt.stats.sessionsResumed).toBeGreaterThanOrEqual(1);
    // request_status is answered by a heartbeat raised right before the ack.
    const hb = w.receiver.withCode(UNIT, EventCode.heartbeat);
    expect(hb.some((e) => e.seq === ack.seq - 1)).toBe(true);
    // Delivered once: the ack is not repeated.
    await w.runFor(5 * MINUTE);
    expect(w.receiver.acks(UNIT, counter)).toHaveLength(1);
    expect(h.uplink.mqtt.stats.downlinks).toBe(downlinksBefore + 1);
  });
});
