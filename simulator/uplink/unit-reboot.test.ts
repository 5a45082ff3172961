// The home unit reboots (watchdog) in the middle of draining a backlog: the MQTT client's
// in-flight envelope was RAM and is gone, the events are still in flash and go again in a new
// envelope under a new frame counter (past the reservation the reboot skipped, SPEC §3). The
// centre's window accepts the jump, and the seq dedupe absorbs whatever the broker already had.

import { BootReason, EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import { Outage } from "../modem/network";
import {
  drained,
  flickerMains,
  forEachBroker,
  HOUR,
  isOnline,
  MINUTE,
  onlineHome,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0xf0f0;
const TAG = 0x3f3f;

forEachBroker("unit reboot mid-drain", (start) => {
  const ctx = worldPerTest(start, 50);

  it("delivers every queued event once after the reboot", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000006" });
    w.network.scheduleOutage(h.modem.subscriber, Outage.packet, 1000, 30 * MINUTE);
    const stopFlicker = flickerMains(w, h, 5000);
    await w.runFor(30 * MINUTE, 20_000, 5000);
    stopFlicker();
    expect(h.app.queue.stats().pending).toBeGreaterThan(300);

    await w.fastForward(() => isOnline(w, h), HOUR, "unit back online");
    const before = w.receiver.events(UNIT).length;
    await w.until(() => w.receiver.events(UNIT).length >= before + 64, 20_000, "drain under way");
    h.rebootUnit(BootReason.watchdog);

    await w.fastForward(() => drained(h) && isOnline(w, h), HOUR, "backlog drained", 30_000);
    const total = h.app.queue.peekSeq();
    await w.until(
      () => w.receiver.events(UNIT).length >= total,
      10_000,
      "all events at the centre",
    );
    expect(w.receiver.events(UNIT).map((e) => e.seq)).toEqual(
      Array.from({ length: total }, (_, i) => i),
    );
    const boots = w.receiver.withCode(UNIT, EventCode.unitBoot).map((e) => e.data?.[1]);
    expect(boots).toEqual([BootReason.powerOn, BootReason.watchdog]);
    const t = w.receiver.tally(UNIT);
    expect(t.replays).toBe(0);
    expect(t.tooFarAhead).toBe(0);
    expect(w.receiver.rejected).toEqual({});
  });
});
