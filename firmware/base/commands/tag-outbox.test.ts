import { type Beacon, BeaconFlag } from "@em-platform/protocol/core/beacon";
import { EventCode } from "@em-platform/protocol/core/events";
import { RearmMask, TagCommandCode } from "@em-platform/protocol/core/tag-command";
import { describe, expect, it } from "vitest";
import type { UnitEvent } from "../presence/presence-event";
import { TagCommandResult, TagOutbox, WRITE_RETRY_MS } from "./tag-outbox";

const T = 1795000000;
const frame = (n: number) => new Uint8Array(29).fill(n);
const beacon = (counter: number, flags = 0): Beacon => ({
  tagId: 7,
  counter,
  flags,
  batteryMv: 3000,
  keyVersion: 1,
  mac: new Uint8Array(8),
});

function rig(accept = true) {
  const sent: Uint8Array[] = [];
  const events: UnitEvent[] = [];
  const o = new TagOutbox(
    (f) => {
      sent.push(f);
      return accept;
    },
    (e) => events.push(e),
  );
  const results = () =>
    events.filter((e) => e.code === EventCode.tagCommandResult).map((e) => e.data);
  return { o, sent, results };
}

describe("tag outbox", () => {
  it("a newer command of the same code replaces the held one; other codes wait side by side", () => {
    const r = rig();
    r.o.hold(frame(1), TagCommandCode.rearm, RearmMask.strap, 10, T + 60, T);
    r.o.hold(frame(2), TagCommandCode.setBeaconInterval, 4, 11, T + 60, T);
    r.o.hold(frame(3), TagCommandCode.rearm, RearmMask.case, 12, T + 60, T);
    expect(r.results()).toEqual([{ 1: 10, 2: TagCommandResult.replaced }]);
    expect(r.o.waiting()).toBe(2);
  });

  it("a beacon interval is delivered when consecutive counters come at the new pace", () => {
    const r = rig();
    r.o.hold(frame(2), TagCommandCode.setBeaconInterval, 4, 11, T + 600, T);
    r.o.beacon(beacon(100), 0, T);
    expect(r.sent).toHaveLength(1);
    r.o.beacon(beacon(101), 8000, T + 8); // still the old 8 s
    r.o.beacon(beacon(103), 16000, T + 16); // a counter missed: no evidence
    expect(r.results()).toEqual([]);
    r.o.beacon(beacon(104), 20100, T + 20);
    expect(r.results()).toEqual([{ 1: 11, 2: TagCommandResult.delivered }]);
  });

  it("retries a write no more than every WRITE_RETRY_MS, only when the tag is heard", () => {
    const r = rig(false);
    r.o.hold(frame(1), TagCommandCode.rearm, RearmMask.strap, 10, T + 3600, T);
    r.o.beacon(beacon(1, BeaconFlag.strapLatched), 0, T);
    r.o.beacon(beacon(2, BeaconFlag.strapLatched), 8000, T + 8);
    // A refused write (link busy) is tried again on the next beacon.
    expect(r.sent).toHaveLength(2);
    const ok = rig(true);
    ok.o.hold(frame(1), TagCommandCode.rearm, RearmMask.strap, 10, T + 3600, T);
    ok.o.beacon(beacon(1, BeaconFlag.strapLatched), 0, T);
    ok.o.beacon(beacon(2, BeaconFlag.strapLatched), 8000, T + 8);
    ok.o.beacon(beacon(3, BeaconFlag.strapLatched), WRITE_RETRY_MS, T + 30);
    expect(ok.sent).toHaveLength(2);
    ok.o.beacon(beacon(4, 0), WRITE_RETRY_MS + 8000, T + 38);
    expect(ok.results()).toEqual([{ 1: 10, 2: TagCommandResult.delivered }]);
  });

  it("identify is 'written' once a write starts; anything past its expiry is dropped", () => {
    const r = rig();
    r.o.hold(frame(5), TagCommandCode.identify, 5, 20, T + 60, T);
    r.o.hold(frame(1), TagCommandCode.rearm, RearmMask.strap, 21, T + 60, T);
    r.o.beacon(beacon(1, BeaconFlag.strapLatched), 0, T);
    r.o.tick(T + 61);
    expect(r.results()).toEqual([
      { 1: 20, 2: TagCommandResult.written },
      { 1: 21, 2: TagCommandResult.expired },
    ]);
    expect(r.o.waiting()).toBe(0);
  });
});
