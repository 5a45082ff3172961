// An hour with a bad modem on a bad UART: bytes dropped on the way to the unit, garbage lines, slow replies,
// sockets closed under the unit and spontaneous modem reboots, all seeded. The driver's parser
// resynchronises, the ladder recovers, MQTT resends — and every event still reaches the centre
// exactly once, in sequence, with nothing forged or replayed.

import { EventCode } from "@em-platform/protocol/core/events";
import { expect, it } from "vitest";
import {
  drained,
  flickerMains,
  forEachBroker,
  HOUR,
  isOnline,
  MINUTE,
  worldPerTest,
} from "./uplink-testkit";

const UNIT = 0xfa17;
const TAG = 0x7a17;

forEachBroker("a faulty modem", (start) => {
  const ctx = worldPerTest(start, 50);

  it("loses and doubles nothing over an hour of faults", async () => {
    const { w } = ctx;
    const h = w.addHome({
      unitId: UNIT,
      tagId: TAG,
      number: "+37120000007",
      faults: {
        seed: 7,
        dropByteRate: 0.0005,
        garbageLineRate: 0.02,
        slowReplyRate: 0.02,
        slowReplyMs: 3000,
        socketDropMeanMs: 8 * MINUTE,
        rebootMeanMs: 20 * MINUTE,
      },
    });
    const stopFlicker = flickerMains(w, h, 30_000);
    w.clock.schedule(() => h.cutStrap(), 25 * MINUTE, 0);
    await w.runFor(HOUR, 40_000, 2000);
    stopFlicker();
    await w.fastForward(() => drained(h) && isOnline(w, h), 2 * HOUR, "backlog drained", 40_000);
    const total = h.app.queue.peekSeq();
    await w.until(
      () => w.receiver.events(UNIT).length >= total,
      10_000,
      "all events at the centre",
    );

    const f = h.modem.faults.counts;
    // The faults really happened.
    expect(f.droppedBytes).toBeGreaterThan(0);
    expect(f.garbageLines).toBeGreaterThan(0);
    expect(f.socketDrops + f.reboots).toBeGreaterThan(0);
    // And the centre saw every event once, in sequence.
    expect(total).toBeGreaterThan(100);
    expect(w.receiver.missingSeqs(UNIT, 0)).toEqual([]);
    expect(w.receiver.events(UNIT)).toHaveLength(total);
    expect(w.receiver.withCode(UNIT, EventCode.strapTamper)).toHaveLength(1);
    const t = w.receiver.tally(UNIT);
    expect(t.replays).toBe(0);
    expect(t.tooFarAhead).toBe(0);
    expect(w.receiver.forged()).toBe(0);
  });
});
