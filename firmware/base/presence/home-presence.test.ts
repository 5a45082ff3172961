import { BeaconFlag, DEFAULT_COMPANY_ID } from "@em-platform/protocol/core/beacon";
import { EventCode } from "@em-platform/protocol/core/events";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { describe, expect, it } from "vitest";
import { TEST_ROOT as root } from "../../testing/test-fleet";
import { AcceptKind } from "./beacon-acceptor";
import { HomePresence } from "./home-presence";
import type { UnitEvent } from "./presence-event";
import { Prng, VirtualTag } from "./presence-testkit";
import { DEFAULT_SILENCE_MS, Presence } from "./presence-tracker";
import { enterThreshold } from "./range-presets";

const OUR = 0x00c0ffee;
const NEIGHBOUR = 0x00c0fff0;
const T0 = 1760000000;
const utc = (ms: number) => T0 + Math.floor(ms / 1000);

function setup(preset = 2, lastKnown: number = Presence.unknown) {
  const tag = new VirtualTag(sha256, root, DEFAULT_COMPANY_ID, OUR, 1);
  const neighbour = new VirtualTag(sha256, root, DEFAULT_COMPANY_ID, NEIGHBOUR, 1);
  const events: UnitEvent[] = [];
  const hp = new HomePresence(
    {
      companyId: DEFAULT_COMPANY_ID,
      tagId: OUR,
      keys: (id, kv) => (id === OUR && kv === 1 ? tag.key : null),
      sha256,
      sink: (e) => events.push(e),
      preset,
      beaconIntervalMs: 8000,
      lastKnownPresence: lastKnown,
      challenge: null,
    },
    0,
  );
  let now = 0;
  /** Advances virtual time to `until`, ticking every second. */
  const runTo = (until: number) => {
    for (let t = Math.floor(now / 1000) * 1000 + 1000; t <= until; t += 1000) hp.tick(t, utc(t));
    now = until;
  };
  const hear = (frame: Uint8Array, rssi: number, copies = 1) => {
    let first = null;
    for (let k = 0; k < copies; k++) {
      const r = hp.onAdvertisement(DEFAULT_COMPANY_ID, frame, rssi, now + k, utc(now + k));
      if (k === 0) first = r;
    }
    return first!;
  };
  /** n beacons of our tag, 8 s apart, at the given RSSI (a function of the beacon index). */
  const beacons = (n: number, rssi: (i: number) => number, copies = 3) => {
    for (let i = 0; i < n; i++) {
      runTo(now + 8000);
      hear(tag.next(), rssi(i), copies);
    }
  };
  const codes = () => events.map((e) => e.code);
  return { hp, tag, neighbour, events, runTo, hear, beacons, codes, now: () => now };
}

describe("home presence pipeline (real signed frames)", () => {
  it("a beacon heard on three channels counts as one sighting", () => {
    const s = setup();
    s.beacons(2, () => -70, 3); // 6 advertisements, 2 beacons
    expect(s.hp.tracker.state()).toBe(Presence.unknown);
    expect(s.hp.acceptor.counts).toMatchObject({ accepted: 2, duplicates: 4 });
    s.beacons(1, () => -70, 3);
    expect(s.hp.tracker.state()).toBe(Presence.present);
    expect(s.events).toEqual([]);
  });

  it("a neighbour's valid tag never changes presence", () => {
    const s = setup(2, Presence.absent);
    // our subject is out; the neighbour's tag is loud through the wall for an hour
    for (let i = 0; i < 450; i++) {
      s.runTo(s.now() + 8000);
      expect(s.hear(s.neighbour.next(), -60, 3).kind).toBe(AcceptKind.ignored);
    }
    expect(s.hp.tracker.state()).toBe(Presence.absent);
    // and while ours is at home, the neighbour leaving changes nothing either
    s.beacons(10, () => -75);
    expect(s.hp.tracker.state()).toBe(Presence.present);
    for (let i = 0; i < 100; i++) {
      s.runTo(s.now() + 4000);
      s.hear(s.neighbour.next(), -99);
      s.runTo(s.now() + 4000);
      s.hear(s.tag.next(), -75);
    }
    expect(s.hp.tracker.state()).toBe(Presence.present);
    expect(s.codes()).toEqual([
      EventCode.tagNotHeard,
      EventCode.tagHeardAgain,
      EventCode.returnedHome,
    ]);
  });

  it("forged beacons with our tag id raise forged_frame_seen and never make anyone present", () => {
    const s = setup();
    for (let i = 0; i < 200; i++) {
      s.runTo(s.now() + 1000);
      const f = s.tag.frame(5000 + i);
      f[15] ^= 0x55;
      expect(s.hear(f, -50).kind).toBe(AcceptKind.forged);
    }
    s.runTo(700000);
    expect(s.hp.tracker.state()).toBe(Presence.absent);
    const forged = s.events.filter((e) => e.code === EventCode.forgedFrameSeen);
    expect(forged.map((e) => e.data)).toEqual([
      { 1: 1, 2: 1 },
      { 1: 199, 2: 1 },
    ]);
    expect(forged[1].time).toBe(T0 + 1 + 600);
  });

  it("a replayed recording of the subject at home is reported and does not count", () => {
    const s = setup();
    const recording: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      s.runTo(s.now() + 8000);
      const f = s.tag.next();
      recording.push(f);
      s.hear(f, -70);
    }
    expect(s.hp.tracker.state()).toBe(Presence.present);
    // the subject leaves; an accomplice replays the recording next to the unit
    for (let i = 0; i < 40; i++) {
      s.runTo(s.now() + 8000);
      // the last accepted frame itself is indistinguishable from a radio repeat: a duplicate,
      // ignored silently (it does not count as a sighting either); every older one is a replay
      const f = recording[i % 10];
      expect(s.hear(f, -60).kind).toBe(i % 10 === 9 ? AcceptKind.duplicate : AcceptKind.replay);
    }
    expect(s.hp.tracker.state()).toBe(Presence.absent);
    expect(s.codes()).toContain(EventCode.replayedFrameSeen);
    expect(s.codes()).toContain(EventCode.leftHome);
    expect(s.events.find((e) => e.code === EventCode.replayedFrameSeen)!.data).toEqual({
      1: 1,
      2: 1,
    });
  });

  it("a real departure (RSSI falls, then beacons stop) is detected within T", () => {
    const rng = new Prng(5);
    const s = setup(2, Presence.unknown);
    s.beacons(100, () => Math.round(rng.gauss(-80, 6)));
    expect(s.hp.tracker.state()).toBe(Presence.present);
    const leaving = s.now();
    // walking to the door: 30 s of falling RSSI, then out of radio range
    s.beacons(4, (i) => Math.round(rng.gauss(-84 - 4 * i, 6)));
    s.runTo(leaving + DEFAULT_SILENCE_MS + 60000);
    const left = s.events.find((e) => e.code === EventCode.leftHome)!;
    expect(left).toBeDefined();
    expect(s.hp.tracker.state()).toBe(Presence.absent);
    // detected no later than T after the subject started walking out, stamped before that
    expect(left.time).toBeLessThanOrEqual(utc(leaving + 32000));
    expect(left.time).toBeGreaterThanOrEqual(utc(leaving));
  });

  it("a departure to the garden (still heard, out of range) is detected by the weak rule before T", () => {
    const rng = new Prng(6);
    const s = setup(1);
    s.beacons(50, () => Math.round(rng.gauss(enterThreshold(1) + 6, 6)));
    expect(s.hp.tracker.state()).toBe(Presence.present);
    const out = s.now();
    let detectedAt = -1;
    for (let i = 0; i < 40 && detectedAt < 0; i++) {
      s.beacons(1, () => Math.round(rng.gauss(enterThreshold(1) - 16, 6))); // ≈ −97 dBm
      if (s.hp.tracker.state() === Presence.absent) detectedAt = s.now();
    }
    expect(detectedAt).toBeGreaterThan(0);
    console.log(`garden departure detected after ${(detectedAt - out) / 1000} s`);
    expect(detectedAt - out).toBeLessThan(DEFAULT_SILENCE_MS);
    // ...and the way back is returned_home
    s.beacons(5, () => -70);
    expect(
      s.codes().filter((c) => c === EventCode.leftHome || c === EventCode.returnedHome),
    ).toEqual([EventCode.leftHome, EventCode.returnedHome]);
  });

  it("tamper flags through the pipeline: one strap_tamper, restored, re-armed", () => {
    const s = setup();
    s.beacons(5, () => -70);
    s.tag.flags = BeaconFlag.strapOpen | BeaconFlag.strapLatched;
    s.beacons(100, () => -70);
    s.tag.flags = BeaconFlag.strapLatched;
    s.beacons(20, () => -70);
    s.tag.flags = 0;
    s.beacons(5, () => -70);
    expect(s.codes()).toEqual([
      EventCode.strapTamper,
      EventCode.strapRestored,
      EventCode.tagTamperRearmed,
    ]);
  });

  it("range test through the pipeline, and preset commands", () => {
    const s = setup();
    s.hp.startRangeTest(60, s.now());
    const values = [-70, -75, -80, -85, -90, -72, -74];
    let i = 0;
    s.beacons(7, () => values[i++]);
    s.runTo(s.now() + 60000);
    const report = s.events.find((e) => e.code === EventCode.rangeTestReport)!;
    expect(report).toEqual({
      code: EventCode.rangeTestReport,
      time: utc(60000),
      tagId: OUR,
      data: { 1: 7, 2: -90, 3: -75, 4: -70 },
    });
    expect(s.hp.setRangePreset(4)).toBe(false);
    expect(s.hp.setRangePreset(3)).toBe(true);
    expect(s.hp.rangePreset()).toBe(3);
  });

  it("pairing another tag restarts every part; the old tag is then a stranger", () => {
    const s = setup();
    s.beacons(5, () => -70);
    s.hp.pair(NEIGHBOUR, s.now());
    expect(s.hp.tracker.state()).toBe(Presence.unknown);
    expect(s.hear(s.tag.next(), -70).kind).toBe(AcceptKind.ignored);
  });
});
