// A strap cut travels tag → radio → home unit → SIM800 → real broker → reference receiver, with
// coverage, within seconds of virtual time (the modem's latencies are virtual).

import { EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import { forEachBroker, isOnline, MINUTE, worldPerTest } from "./uplink-testkit";

const UNIT = 0xa11c;
const TAG = 0xc0ffee;

forEachBroker("strap-cut alarm with coverage", (start) => {
  const ctx = worldPerTest(start);

  it("reaches the centre once, verified, within 10 s of the cut", async () => {
    const { w } = ctx;
    const h = w.addHome({ unitId: UNIT, tagId: TAG, number: "+37120000001" });
    await w.fastForward(() => isOnline(w, h), 5 * MINUTE, "unit online");
    // Settle: boot and presence events delivered, then cut.
    await w.until(() => h.app.queue.stats().pending === 0, 10_000, "boot events delivered");
    const cutAt = w.nowMs();
    h.cutStrap();
    await w.until(
      () => w.receiver.withCode(UNIT, EventCode.strapTamper).length > 0,
      15_000,
      "strap_tamper at the centre",
    );
    const alarm = w.receiver.withCode(UNIT, EventCode.strapTamper)[0];
    expect(alarm.path).toBe("mqtt");
    expect(alarm.tagId).toBe(TAG);
    expect(alarm.atMs - cutAt).toBeGreaterThan(0);
    expect(alarm.atMs - cutAt).toBeLessThan(10_000);
    // The latch raises it once; nothing forged, nothing missing.
    await w.runFor(5 * MINUTE);
    expect(w.receiver.withCode(UNIT, EventCode.strapTamper)).toHaveLength(1);
    expect(w.receiver.rejected).toEqual({});
    expect(w.receiver.missingSeqs(UNIT, 0)).toEqual([]);
    expect(w.receiver.tally(UNIT).replays).toBe(0);
  });
});
