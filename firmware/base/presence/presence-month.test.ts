// A month of a subject at home, through the whole pipeline with real signed frames: does the
// presence decision flap? The bar: ≤ 1 false left_home per simulated month of noisy
// at-home data. The figures printed here are the ones quoted in README-presence.md.

import { DEFAULT_COMPANY_ID } from "@em-platform/protocol/core/beacon";
import { EventCode } from "@em-platform/protocol/core/events";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { describe, expect, it } from "vitest";
import { TEST_ROOT as root } from "../../testing/test-fleet";
import { AcceptKind } from "./beacon-acceptor";
import { HomePresence } from "./home-presence";
import type { UnitEvent } from "./presence-event";
import { Prng, VirtualTag } from "./presence-testkit";
import { Presence } from "./presence-tracker";
import { enterThreshold } from "./range-presets";

const OUR = 0x00c0ffee;
const NEIGHBOUR = 0x00c0fff0;
const T0 = 1760000000;
const utc = (ms: number) => T0 + Math.floor(ms / 1000);
const DAY_MS = 86400000;

interface AtHome {
  seed: number;
  days: number;
  preset: number;
  /** Mean RSSI of the subject's tag at home (dBm). */
  meanDbm: number;
  /** Per-copy Gaussian noise (dB). */
  sigmaDb: number;
  /** Slow shadowing (moving between rooms, lying on the tag): AR(1) with this σ (dB) and a
   * 15-minute correlation time; 0 = none. */
  slowSigmaDb: number;
  /** Fraction of time lost in bursts of 1…maxBurstS seconds. */
  burstFraction: number;
  maxBurstS: number;
  /** Independent loss of a whole beacon (all its copies). */
  lossP: number;
  /** Copies below this are not received at all. */
  sensitivityDbm: number;
  /** A neighbour's tag heard through the wall every 8 s at this RSSI; null = none. */
  neighbourDbm: number | null;
}

const BRIEF: AtHome = {
  seed: 1,
  days: 30,
  preset: 2,
  meanDbm: enterThreshold(2) + 6, // −83 dBm, inside the medium range
  sigmaDb: 6,
  slowSigmaDb: 0,
  burstFraction: 0.05,
  maxBurstS: 60,
  lossP: 0.02,
  sensitivityDbm: -95,
  neighbourDbm: -70,
};

interface Outcome {
  beacons: number;
  heard: number;
  copies: number;
  accepted: number;
  duplicates: number;
  lostToBursts: number;
  leftHome: number;
  returnedHome: number;
  longestGapS: number;
  events: UnitEvent[];
  finalState: number;
}

function simulateAtHome(c: AtHome): Outcome {
  const rng = new Prng(c.seed);
  const tag = new VirtualTag(sha256, root, DEFAULT_COMPANY_ID, OUR, 1);
  tag.counter = 10000;
  const neighbour = new VirtualTag(sha256, root, DEFAULT_COMPANY_ID, NEIGHBOUR, 1);
  const events: UnitEvent[] = [];
  const hp = new HomePresence(
    {
      companyId: DEFAULT_COMPANY_ID,
      tagId: OUR,
      keys: (id, kv) => (id === OUR && kv === 1 ? tag.key : null),
      sha256,
      sink: (e) => events.push(e),
      preset: c.preset,
      beaconIntervalMs: 8000,
      lastKnownPresence: Presence.unknown,
      challenge: null,
    },
    0,
  );
  // A burst starts at a beacon with probability p; mean length (1 + max) / 2 s.
  const meanBurstMs = ((1 + c.maxBurstS) / 2) * 1000;
  const pBurst = (c.burstFraction * 8000) / meanBurstMs;
  const alpha = Math.exp(-8 / 900); // AR(1) per 8 s step, 15-minute correlation time
  const end = c.days * DAY_MS;
  const o: Outcome = {
    beacons: 0,
    heard: 0,
    copies: 0,
    accepted: 0,
    duplicates: 0,
    lostToBursts: 0,
    leftHome: 0,
    returnedHome: 0,
    longestGapS: 0,
    events,
    finalState: 0,
  };
  let t = rng.uniform(0, 8000);
  let nextTick = 1000;
  let burstUntil = -1;
  let slow = 0;
  let lastHeard = 0;
  let neighbourFrame = neighbour.next();
  while (t < end) {
    while (nextTick <= t) {
      hp.tick(nextTick, utc(nextTick));
      nextTick += 1000;
    }
    const ms = Math.floor(t);
    const frame = tag.next();
    o.beacons++;
    slow = alpha * slow + Math.sqrt(1 - alpha * alpha) * rng.gauss(0, c.slowSigmaDb || 1e-9);
    if (c.neighbourDbm !== null) {
      if (o.beacons % 16 === 0) neighbourFrame = neighbour.next(); // fresh frames, less signing
      const r = hp.onAdvertisement(
        DEFAULT_COMPANY_ID,
        neighbourFrame,
        Math.round(rng.gauss(c.neighbourDbm, c.sigmaDb)),
        ms + 1,
        utc(ms + 1),
      );
      expect(r.kind).toBe(AcceptKind.ignored);
    }
    let lost = false;
    if (ms < burstUntil) {
      lost = true;
      o.lostToBursts++;
    } else if (rng.chance(pBurst)) {
      burstUntil = ms + rng.uniform(1, c.maxBurstS) * 1000;
      lost = true;
      o.lostToBursts++;
    } else if (rng.chance(c.lossP)) lost = true;
    if (!lost) {
      const n = rng.int(1, 3); // advertising channels 37/38/39 heard
      let heardAny = false;
      for (let k = 0; k < n; k++) {
        const rssi = Math.round(rng.gauss(c.meanDbm + slow, c.sigmaDb));
        if (rssi < c.sensitivityDbm) continue;
        const at = ms + 2 + k;
        const r = hp.onAdvertisement(DEFAULT_COMPANY_ID, frame, rssi, at, utc(at));
        o.copies++;
        if (r.kind === AcceptKind.accepted) o.accepted++;
        else if (r.kind === AcceptKind.duplicate) o.duplicates++;
        else throw new Error("unexpected " + r.kind);
        heardAny = true;
      }
      if (heardAny) {
        o.heard++;
        const gap = (ms - lastHeard) / 1000;
        if (gap > o.longestGapS) o.longestGapS = gap;
        lastHeard = ms;
      }
    }
    t += 8000 + rng.uniform(-1000, 1000);
  }
  o.leftHome = events.filter((e) => e.code === EventCode.leftHome).length;
  o.returnedHome = events.filter((e) => e.code === EventCode.returnedHome).length;
  o.finalState = hp.tracker.state();
  // The tracker itself: state changes, including the silent first decision.
  return o;
}

function summary(name: string, c: AtHome, o: Outcome): string {
  return (
    `${name}: preset ${c.preset}, mean ${c.meanDbm} dBm, σ ${c.sigmaDb} dB` +
    (c.slowSigmaDb ? ` + slow σ ${c.slowSigmaDb} dB` : "") +
    `, ${c.days} days: ${o.beacons} beacons, ${o.heard} heard (${o.copies} copies, ` +
    `${o.duplicates} duplicates), ${((100 * o.lostToBursts) / o.beacons).toFixed(1)}% in bursts, ` +
    `longest gap ${o.longestGapS.toFixed(0)} s → false left_home ${o.leftHome}`
  );
}

describe("presence over a month at home (noisy RSSI, bursts, loss, 3 channels)", () => {
  it("the issue's model: ≤ 1 false left_home per month (measured: 0)", () => {
    const o = simulateAtHome(BRIEF);
    console.log(summary("brief", BRIEF, o));
    expect(o.beacons).toBeGreaterThan(320000);
    expect(o.accepted).toBe(o.heard); // every heard beacon once, repeats as duplicates
    expect(o.duplicates).toBe(o.copies - o.heard);
    expect(o.lostToBursts / o.beacons).toBeGreaterThan(0.04);
    expect(o.longestGapS).toBeGreaterThan(55);
    expect(o.leftHome).toBeLessThanOrEqual(1);
    expect(o.leftHome).toBe(0);
    expect(o.returnedHome).toBe(0);
    expect(o.finalState).toBe(Presence.present);
    // nothing else either: no tamper, no not-heard, no forged/replayed from the neighbour
    expect(o.events).toEqual([]);
  });

  it("harsher: slow shadowing σ 4 dB on top, and the mean only 3 dB inside the range", () => {
    const slow: AtHome = { ...BRIEF, seed: 2, slowSigmaDb: 4, neighbourDbm: null };
    const o1 = simulateAtHome(slow);
    console.log(summary("slow shadowing", slow, o1));
    expect(o1.leftHome).toBeLessThanOrEqual(1);
    const edge: AtHome = { ...BRIEF, seed: 3, meanDbm: enterThreshold(2) + 3, neighbourDbm: null };
    const o2 = simulateAtHome(edge);
    console.log(summary("near the edge", edge, o2));
    expect(o2.leftHome).toBeLessThanOrEqual(1);
  });

  it("near preset (weak rule active), the subject's mean right at the enter threshold", () => {
    const near: AtHome = {
      ...BRIEF,
      seed: 4,
      preset: 1,
      meanDbm: enterThreshold(1), // −81 dBm: half the beacons are below the enter threshold
      neighbourDbm: null,
    };
    const o = simulateAtHome(near);
    console.log(summary("near", near, o));
    expect(o.leftHome).toBeLessThanOrEqual(1);
  });
});
