// A radio trace replayed into the real home-unit firmware, end to end to the centre: the
// subject's tag is recorded while he is away (the unit never hears those frames), and the
// recording is played at the unit at night. The trace goes through the sniffer's file format
// (written and read back) as a field capture would; the unit refuses the frames by counter pace
// (SPEC §4) and the centre gets replayed_frame_seen and no returned_home.

import { EventCode } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { HOUR, MINUTE, onlineHome, startWorld } from "../uplink/uplink-testkit";
import { readTrace, traceLine } from "./advert-trace";
import { replayTrace } from "./trace-replay";

const UNIT = 0x7e57;
const TAG = 0x7a97;

describe("trace replay", () => {
  it("a capture of the tag made while away, replayed at the door later, is refused and reported", async () => {
    const broker = await startEmbeddedBroker();
    const w = await startWorld(broker, 50);
    try {
      const h = await onlineHome(w, { unitId: UNIT, tagId: TAG, number: "+37120000077" });
      await w.runFor(5 * MINUTE);
      // The subject leaves; a recorder goes with him for ten minutes.
      h.radioOn = false;
      const from = w.clock.time;
      await w.runFor(10 * MINUTE);
      const to = w.clock.time;
      const frames = h.tag.board.advertiser.log.filter((r) => r.atMs >= from && r.atMs < to);
      expect(frames.length).toBeGreaterThan(60);
      const file = frames
        .map((r) =>
          traceLine({
            atMs: r.atMs - from,
            address: "tag",
            rssi: -58,
            companyId: r.companyId,
            data: r.data,
          }),
        )
        .join("");
      const trace = readTrace(file);
      expect(trace.bad).toEqual([]);
      // Two hours later the tag is still away (a home window has begun); the recording plays.
      await w.runFor(2 * HOUR);
      const leftAt = w.receiver.withCode(UNIT, EventCode.leftHome).length;
      expect(leftAt).toBe(1);
      const end = replayTrace(w.clock, (a) => h.hearAdvert(a), trace.adverts);
      await w.runFor(end - w.clock.time + 15 * MINUTE);
      await w.until(
        () => w.receiver.withCode(UNIT, EventCode.replayedFrameSeen).length > 0,
        10_000,
        "replayed_frame_seen at the centre",
      );
      const reports = w.receiver.withCode(UNIT, EventCode.replayedFrameSeen);
      expect(reports[0].data?.[2]).toBe(1); // source: beacon
      expect(w.receiver.withCode(UNIT, EventCode.returnedHome)).toEqual([]);
    } finally {
      await w.stop();
      await broker.stop();
    }
  }, 60_000);
});
