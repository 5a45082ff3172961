// The broker restarts while the unit drains a backlog: the unit's socket closes mid-envelope, the
// modem and MQTT client recover, the unacknowledged envelope goes again (DUP), and the centre's
// persistent session gets whatever the broker had accepted before it went down. Nothing is lost.

import { expect, it } from "vitest";
import { Outage } from "../modem/network";
import {
  drained,
  flickerMains,
  forEachBroker,
  HOUR,
  isOnline,
  onlineHome,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0xc0c0;
const TAG = 0x5a5a;

forEachBroker("broker restart mid-drain", (start) => {
  const ctx = worldPerTest(start, 50);

  it("loses nothing", async () => {
    const { w, broker } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000003" });
    // A backlog: one hour without packet data while mains flickers every 5 s.
    w.network.scheduleOutage(h.modem.subscriber, Outage.packet, 1000, HOUR);
    const stopFlicker = flickerMains(w, h, 5000);
    await w.runFor(HOUR, 20_000, 5000);
    stopFlicker();
    expect(h.app.queue.stats().pending).toBeGreaterThan(600);

    await w.fastForward(() => isOnline(w, h), HOUR, "unit back online");
    const before = w.receiver.events(UNIT).length;
    await w.until(() => w.receiver.events(UNIT).length >= before + 150, 20_000, "drain under way");
    expect(drained(h)).toBe(false);
    await broker.restart();

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
    const t = w.receiver.tally(UNIT);
    expect(t.replays).toBe(0);
    expect(w.receiver.rejected).toEqual({});
    // The restart cut the session: the unit reconnected at least once after it.
    expect(h.uplink.mqtt.stats.connects).toBeGreaterThanOrEqual(3);
  });
});
