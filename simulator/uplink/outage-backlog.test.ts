// Six hours (virtual) without packet data while the unit's mains flickers — a brown-out storm
// that makes the real app raise mains_lost / mains_restored every 20 s through its debounced
// supply-sense input, 1,000+ events in the flash queue — then data returns: every event reaches
// the centre, the per-unit seq is complete, and nothing is processed twice.

import { EventCode } from "@em-platform/protocol/core/events";
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
  wentOffline,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0xb0b0;
const TAG = 0x7a6;
const FLICKER_MS = 20_000;

forEachBroker("six hours without packet data", (start) => {
  const ctx = worldPerTest(start, 50);

  it("queues 1,000+ events and delivers every one exactly once when data returns", async () => {
    const { w } = ctx;
    const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000002" });

    const t0 = w.clock.time;
    w.network.scheduleOutage(h.modem.subscriber, Outage.packet, 1000, 6 * HOUR);
    const stopFlicker = flickerMains(w, h, FLICKER_MS);
    await wentOffline(w, h);
    await w.runFor(t0 + 6 * HOUR - MINUTE - w.clock.time, 20_000, 10_000);
    stopFlicker();
    const queued = h.app.queue.stats().pending;
    expect(queued).toBeGreaterThanOrEqual(1000);
    expect(h.app.queue.stats().coalesced).toBe(0);

    // Recovery: the modem climbs back from its backoff, MQTT reconnects, the backlog drains.
    await w.fastForward(() => drained(h) && isOnline(w, h), HOUR, "backlog drained", 30_000);
    const total = h.app.queue.peekSeq();
    await w.until(
      () => w.receiver.events(UNIT).length >= total,
      10_000,
      "all events at the centre",
    );

    const got = w.receiver.events(UNIT);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(w.receiver.missingSeqs(UNIT, 0)).toEqual([]);
    const lost = got.filter((e) => e.code === EventCode.mainsLost).length;
    const restored = got.filter((e) => e.code === EventCode.mainsRestored).length;
    expect(lost).toBeGreaterThanOrEqual(500);
    expect(restored).toBe(lost);
    expect(got.every((e) => e.path === "mqtt")).toBe(true);
    const t = w.receiver.tally(UNIT);
    // Duplicates may only be redeliveries: a repeated envelope (same counter) or a repeated seq.
    expect(t.replays).toBe(0);
    expect(t.tooFarAhead).toBe(0);
    expect(w.receiver.rejected).toEqual({});
  });
});
