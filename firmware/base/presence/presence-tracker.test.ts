import { EventCode } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import type { UnitEvent } from "./presence-event";
import {
  DEFAULT_SILENCE_MS,
  Presence,
  type PresenceParams,
  PresenceTracker,
  presenceParams,
} from "./presence-tracker";

const TAG = 0x00c0ffee;
const T0 = 1760000000;
const utc = (ms: number) => T0 + Math.floor(ms / 1000);
// medium preset: enter −89, leave −97
const STRONG = -80;
const WEAK = -100;
const BAND = -92;

function setup(lastKnown: number = Presence.unknown, params: PresenceParams = presenceParams(2)) {
  const events: UnitEvent[] = [];
  const tr = new PresenceTracker(TAG, params, (e) => events.push(e), 0, lastKnown);
  let ms = 0;
  const see = (rssi: number, gapMs = 8000) => {
    ms += gapMs;
    tr.sighting(rssi, ms, utc(ms));
  };
  const tickTo = (until: number) => {
    for (let t = Math.floor(ms / 1000) * 1000 + 1000; t <= until; t += 1000) tr.tick(t, utc(t));
    ms = until;
  };
  return { tr, events, see, tickTo, now: () => ms };
}

function makePresent(s: ReturnType<typeof setup>) {
  for (let i = 0; i < 5; i++) s.see(STRONG);
  expect(s.tr.state()).toBe(Presence.present);
}

describe("presence tracker", () => {
  it("starts unknown; three strong sightings within a minute make it present, silently", () => {
    const s = setup();
    expect(s.tr.state()).toBe(Presence.unknown);
    s.see(STRONG);
    s.see(STRONG);
    expect(s.tr.state()).toBe(Presence.unknown);
    s.see(STRONG);
    expect(s.tr.state()).toBe(Presence.present);
    expect(s.events).toEqual([]); // fresh installation: the heartbeat carries the state
  });

  it("strong sightings spread wider than the window do not make a quorum", () => {
    const s = setup();
    for (let i = 0; i < 10; i++) s.see(STRONG, 35000); // any 3 span 70 s > W = 60 s
    expect(s.tr.state()).toBe(Presence.unknown);
    s.see(STRONG, 20000); // 35 + 20 s: now 3 within 60 s
    expect(s.tr.state()).toBe(Presence.present);
  });

  it("left_home T after the last beacon, stamped at the last in-range sighting", () => {
    const s = setup();
    makePresent(s);
    const last = s.now();
    s.tickTo(last + DEFAULT_SILENCE_MS - 1000);
    expect(s.tr.state()).toBe(Presence.present);
    s.tickTo(last + DEFAULT_SILENCE_MS);
    expect(s.tr.state()).toBe(Presence.absent);
    expect(s.events).toEqual([
      { code: EventCode.leftHome, time: utc(last), tagId: TAG, data: { 1: STRONG } },
    ]);
  });

  it("returned_home after absence, at the sighting that completes the quorum", () => {
    const s = setup();
    makePresent(s);
    s.tickTo(s.now() + 600000);
    s.see(STRONG);
    s.see(STRONG);
    expect(s.tr.state()).toBe(Presence.absent);
    s.see(STRONG);
    expect(s.tr.state()).toBe(Presence.present);
    expect(s.events[1]).toEqual({
      code: EventCode.returnedHome,
      time: utc(s.now()),
      tagId: TAG,
      data: { 1: STRONG },
    });
  });

  it("k consecutive weak sightings leave even while the tag is still heard", () => {
    const s = setup();
    makePresent(s);
    const lastStrong = s.now();
    let n = 0;
    while (s.tr.state() === Presence.present && n < 50) {
      s.see(WEAK);
      n++;
    }
    // median of 5 needs 3 weak to turn, then 12 weak medians in a row: the 14th weak beacon;
    // stamped at the last sighting whose smoothed value was still in range (2nd weak beacon)
    expect(n).toBe(14);
    expect(s.events).toEqual([
      { code: EventCode.leftHome, time: utc(lastStrong + 16000), tagId: TAG, data: { 1: WEAK } },
    ]);
  });

  it("one in-band sighting breaks a weak run; the band alone keeps whatever state it is in", () => {
    const s = setup();
    makePresent(s);
    for (let i = 0; i < 200; i++) s.see(i % 7 === 6 ? BAND : WEAK);
    // medians: a single band value among weak ones does not lift the median, so the run goes on
    expect(s.tr.state()).toBe(Presence.absent);

    const b = setup();
    makePresent(b);
    for (let i = 0; i < 200; i++) b.see(BAND);
    expect(b.tr.state()).toBe(Presence.present);
    const c = setup();
    c.tickTo(DEFAULT_SILENCE_MS);
    expect(c.tr.state()).toBe(Presence.absent);
    for (let i = 0; i < 200; i++) c.see(BAND);
    expect(c.tr.state()).toBe(Presence.absent);
  });

  it("alternating weak and strong beacons keep the subject present", () => {
    const s = setup();
    makePresent(s);
    for (let i = 0; i < 1000; i++) s.see(i % 2 === 0 ? WEAK : STRONG);
    expect(s.tr.state()).toBe(Presence.present);
    expect(s.events).toEqual([]);
  });

  it("after a unit reboot, reports only a state that contradicts what the centre last heard", () => {
    const wasPresent = setup(Presence.present);
    makePresent(wasPresent);
    expect(wasPresent.events).toEqual([]);

    const leftMeanwhile = setup(Presence.present);
    leftMeanwhile.tickTo(DEFAULT_SILENCE_MS);
    expect(leftMeanwhile.tr.state()).toBe(Presence.absent);
    expect(leftMeanwhile.events).toEqual([
      { code: EventCode.leftHome, time: utc(DEFAULT_SILENCE_MS), tagId: TAG, data: null },
    ]);

    const cameBack = setup(Presence.absent);
    makePresent(cameBack);
    expect(cameBack.events.map((e) => e.code)).toEqual([EventCode.returnedHome]);
  });

  it("a sighting after a long silence without ticks first applies the silence", () => {
    const s = setup();
    makePresent(s);
    s.see(STRONG, 400000);
    expect(s.events.map((e) => e.code)).toEqual([EventCode.leftHome]);
    expect(s.tr.state()).toBe(Presence.absent);
  });

  it("a preset change applies to the next sightings", () => {
    const s = setup(Presence.unknown, presenceParams(3));
    makePresent(s);
    for (let i = 0; i < 20; i++) s.see(-86);
    expect(s.tr.state()).toBe(Presence.present);
    s.tr.setParams(presenceParams(1)); // near: leave below −89
    for (let i = 0; i < 20; i++) s.see(-88);
    expect(s.tr.state()).toBe(Presence.present); // −88 is in near's band (−89…−81)
    for (let i = 0; i < 14; i++) s.see(-90);
    expect(s.tr.state()).toBe(Presence.absent);
  });

  it("pairing a new tag starts from unknown", () => {
    const s = setup(Presence.present);
    makePresent(s);
    s.tr.pair(0x1234, s.now());
    expect(s.tr.state()).toBe(Presence.unknown);
    expect(s.tr.smoothedRssi()).toBeNull();
  });
});
