import { type Beacon, BeaconFlag } from "@em-platform/protocol/core/beacon";
import { EventCode } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import type { UnitEvent } from "./presence-event";
import { defaultTagStateParams, TagState } from "./tag-state";

const TAG = 0x00c0ffee;
const T0 = 1760000000;
const utc = (ms: number) => T0 + Math.floor(ms / 1000);
const F = BeaconFlag;

function setup(startMs = 0) {
  const events: UnitEvent[] = [];
  const st = new TagState(TAG, defaultTagStateParams(), (e) => events.push(e), startMs);
  let counter = 1000;
  let ms = startMs;
  const beacon = (
    flags: number,
    opts: { counter?: number; at?: number; mv?: number | null; kv?: number } = {},
  ) => {
    counter = opts.counter ?? counter + 1;
    ms = opts.at ?? ms + 8000;
    const b: Beacon = {
      tagId: TAG,
      counter,
      flags,
      batteryMv: opts.mv === undefined ? 3000 : opts.mv,
      keyVersion: opts.kv ?? 1,
      mac: new Uint8Array(8),
    };
    st.beacon(b, ms, utc(ms));
  };
  const codes = () => events.map((e) => e.code);
  return { st, events, beacon, codes, now: () => ms };
}

describe("tag state: flag edges", () => {
  it("a latch that rises raises one strap_tamper across 100 latched beacons", () => {
    const s = setup();
    s.beacon(0);
    s.beacon(F.strapOpen | F.strapLatched);
    for (let i = 0; i < 100; i++) s.beacon(F.strapOpen | F.strapLatched);
    expect(s.codes()).toEqual([EventCode.strapTamper]);
    expect(s.events[0]).toEqual({
      code: EventCode.strapTamper,
      time: T0 + 16,
      tagId: TAG,
      data: null,
    });
  });

  it("strap restored when open-now falls, latch stays; no second tamper on reopening", () => {
    const s = setup();
    s.beacon(0);
    s.beacon(F.strapOpen | F.strapLatched);
    s.beacon(F.strapLatched);
    for (let i = 0; i < 10; i++) s.beacon(F.strapLatched);
    s.beacon(F.strapOpen | F.strapLatched);
    s.beacon(F.strapLatched);
    expect(s.codes()).toEqual([
      EventCode.strapTamper,
      EventCode.strapRestored,
      EventCode.strapRestored,
    ]);
  });

  it("re-arm (latch falls) raises tag_tamper_rearmed with the command mask", () => {
    const s = setup();
    s.beacon(0);
    s.beacon(F.strapLatched | F.caseLatched | F.caseOpen);
    s.beacon(F.strapLatched | F.caseLatched);
    s.beacon(F.caseLatched);
    s.beacon(F.caseLatched);
    s.beacon(0);
    s.beacon(F.strapLatched | F.caseLatched);
    s.beacon(0);
    expect(s.codes()).toEqual([
      EventCode.strapTamper,
      EventCode.caseTamper,
      EventCode.caseRestored,
      EventCode.tagTamperRearmed,
      EventCode.tagTamperRearmed,
      EventCode.strapTamper,
      EventCode.caseTamper,
      EventCode.tagTamperRearmed,
    ]);
    const rearms = s.events.filter((e) => e.code === EventCode.tagTamperRearmed).map((e) => e.data);
    expect(rearms).toEqual([{ 1: 1 }, { 1: 2 }, { 1: 3 }]);
  });

  it("battery low once on the rise, with millivolts", () => {
    const s = setup();
    s.beacon(0, { mv: 2500 });
    s.beacon(F.batteryLow, { mv: 2390 });
    for (let i = 0; i < 50; i++) s.beacon(F.batteryLow, { mv: 2380 });
    s.beacon(0, { mv: 2600 });
    s.beacon(F.batteryLow, { mv: null });
    expect(s.events.map((e) => [e.code, e.data])).toEqual([
      [EventCode.tagBatteryLow, { 1: 2390 }],
      [EventCode.tagBatteryLow, null],
    ]);
  });

  it("rebooted flag rise → one tag_rebooted with the counter; held flag → nothing more", () => {
    const s = setup();
    s.beacon(0, { counter: 500 });
    s.beacon(F.rebooted, { counter: 512 });
    for (let i = 0; i < 75; i++) s.beacon(F.rebooted);
    s.beacon(0);
    expect(s.events).toEqual([
      { code: EventCode.tagRebooted, time: T0 + 16, tagId: TAG, data: { 1: 512 } },
    ]);
  });

  it("first beacon after a unit boot reports set latches once; restored state suppresses", () => {
    const s = setup();
    s.beacon(F.strapLatched | F.caseLatched | F.batteryLow | F.rebooted | F.strapOpen);
    s.beacon(F.strapLatched | F.caseLatched | F.batteryLow | F.rebooted);
    expect(s.codes()).toEqual([
      EventCode.strapTamper,
      EventCode.caseTamper,
      EventCode.tagBatteryLow,
      EventCode.tagRebooted,
      EventCode.strapRestored,
    ]);
    const snap = s.st.exportState()!;
    expect(snap).toEqual({ tagId: TAG, flags: 0x3a, keyVersion: 1 });

    const after = setup();
    expect(after.st.importState(snap)).toBe(true);
    after.beacon(F.strapLatched | F.caseLatched | F.batteryLow | F.rebooted);
    expect(after.events).toEqual([]);
    expect(after.st.importState({ ...snap, tagId: 1 })).toBe(false);
  });

  it("first beacon raises no *_restored and no tamper for an unlatched open", () => {
    const s = setup();
    s.beacon(F.strapOpen); // not latched: impossible on a genuine tag, and not a rise of a latch
    s.beacon(0);
    expect(s.codes()).toEqual([EventCode.strapRestored]);
  });
});

describe("tag state: reboot by counter", () => {
  it("a counter far beyond what the elapsed time allows is a reboot", () => {
    const s = setup();
    s.beacon(0, { counter: 1000 });
    // 8 s later: at most 4 beacons possible at 2 s; 1 + 4 + 64 = 69 → jump of 70 is a reboot
    s.beacon(0, { counter: 1070 });
    expect(s.events).toEqual([
      { code: EventCode.tagRebooted, time: T0 + 16, tagId: TAG, data: { 1: 1070 } },
    ]);
  });

  it("missed beacons during an absence are not a reboot", () => {
    const s = setup();
    s.beacon(0, { counter: 1000 });
    s.beacon(0, { counter: 1000 + 450, at: 8000 + 3600000 }); // one hour at 8 s
    s.beacon(0, { counter: 1000 + 450 + 68 }); // 8 s later: 67 skipped − 4 possible < 64
    expect(s.codes()).not.toContain(EventCode.tagRebooted);
  });

  it("a new key version restarting at 0 is not a reboot", () => {
    const s = setup();
    s.beacon(0, { counter: 90000, kv: 1 });
    s.beacon(0, { counter: 0, kv: 2 });
    s.beacon(0, { counter: 1, kv: 2 });
    expect(s.events).toEqual([]);
  });

  it("flag and jump together raise one event", () => {
    const s = setup();
    s.beacon(0, { counter: 1000 });
    s.beacon(F.rebooted, { counter: 5000 });
    expect(s.codes()).toEqual([EventCode.tagRebooted]);
  });
});

describe("tag state: not heard", () => {
  it("tag_not_heard once after 5 minutes of silence, tag_heard_again with the duration", () => {
    const s = setup();
    s.beacon(0, { at: 10000 });
    for (let ms = 10000; ms <= 1000000; ms += 1000) s.st.tick(ms, utc(ms));
    expect(s.events).toEqual([
      { code: EventCode.tagNotHeard, time: utc(310000), tagId: TAG, data: { 1: 300 } },
    ]);
    expect(s.st.isNotHeard()).toBe(true);
    s.beacon(0, { at: 1000500 });
    expect(s.events[1]).toEqual({
      code: EventCode.tagHeardAgain,
      time: utc(1000500),
      tagId: TAG,
      data: { 1: 990 },
    });
    expect(s.st.isNotHeard()).toBe(false);
  });

  it("not heard since boot counts from the start", () => {
    const s = setup(5000);
    s.st.tick(304999, utc(304999));
    expect(s.events).toEqual([]);
    s.st.tick(305000, utc(305000));
    expect(s.events[0].data).toEqual({ 1: 300 });
  });

  it("is raised on the next beacon even when tick was not called in between", () => {
    const s = setup();
    s.beacon(0, { at: 0 });
    s.beacon(0, { at: 400000 });
    expect(s.codes()).toEqual([EventCode.tagNotHeard, EventCode.tagHeardAgain]);
    expect(s.events[0].data).toEqual({ 1: 400 });
  });

  it("beacons every 8 s with up to 60 s gaps never raise it", () => {
    const s = setup();
    let ms = 0;
    for (let i = 0; i < 2000; i++) {
      ms += i % 50 === 0 ? 68000 : 8000;
      s.beacon(0, { at: ms });
      s.st.tick(ms + 500, utc(ms + 500));
    }
    expect(s.events).toEqual([]);
  });

  it("stays quiet while the subject is permitted away; the clock restarts when that ends", () => {
    const s = setup();
    s.beacon(0, { at: 0 });
    s.st.setHeardExpected(false, 60000, utc(60000));
    for (let ms = 0; ms <= 7200000; ms += 1000) s.st.tick(ms, utc(ms));
    expect(s.events).toEqual([]);
    s.st.setHeardExpected(true, 7200000, utc(7200000));
    s.st.tick(7499999, utc(7499999));
    expect(s.events).toEqual([]);
    s.st.tick(7500000, utc(7500000));
    expect(s.events[0]).toEqual({
      code: EventCode.tagNotHeard,
      time: utc(7500000),
      tagId: TAG,
      data: { 1: 7500 },
    });
  });
});
