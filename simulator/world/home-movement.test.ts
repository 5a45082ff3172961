// A subject moving about his home — rooms, and a yard at the edge of the unit's range where half
// the frames are lost — stays present at the unit for a whole day: no left_home reaches the
// centre. The same day with the yard out of range (40 m behind two walls) gives left_home each
// time he goes out there: the medium, not a fixed RSSI, decides what the unit hears. A
// neighbour's unit hears some of a tag's frames through the party wall, and ignores them.

import { EventCode } from "@em-platform/protocol/core/events";
import { afterEach, expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { RadioMedium } from "../radio/medium";
import { HOME_PLACES, HomeMovement, type Place } from "./home-movement";
import { UplinkWorld } from "./uplink-world";

let broker: RunningBroker | null = null;
let world: UplinkWorld | null = null;
afterEach(async () => {
  await world?.stop();
  await broker?.stop();
  world = null;
  broker = null;
});

it("the medium's frames: the mean of the model, shadowed, lost below sensitivity", () => {
  const m = new RadioMedium(1);
  const near = { distanceM: 3, walls: 0 };
  expect(m.meanRssi(near)).toBeCloseTo(-59 - 22 * Math.log10(3));
  const frames = Array.from({ length: 20000 }, () => m.frame(near));
  const heard = frames.filter((f): f is number => f !== null);
  expect(heard.length / frames.length).toBeCloseTo(0.98, 2); // 2 % collisions
  const mean = heard.reduce((a, b) => a + b, 0) / heard.length;
  const sd = Math.sqrt(heard.reduce((a, b) => a + (b - mean) ** 2, 0) / heard.length);
  expect(mean).toBeCloseTo(-69.5, 0);
  expect(sd).toBeGreaterThan(5.5);
  expect(sd).toBeLessThan(6.5);
  const yard = HOME_PLACES.find((p) => p.name === "yard")?.spot ?? near;
  const yardHeard = Array.from({ length: 20000 }, () => m.frame(yard)).filter((f) => f !== null);
  expect(yardHeard.length / 20000).toBeGreaterThan(0.35);
  expect(yardHeard.length / 20000).toBeLessThan(0.6);
  expect(Math.min(...(yardHeard as number[]))).toBeGreaterThanOrEqual(-95);
});

it("a day moving about the home: present throughout; a yard out of range: left_home", async () => {
  broker = await startEmbeddedBroker();
  const w = await UplinkWorld.start({
    broker,
    root: TEST_ROOT,
    epochMs: Date.parse("2026-11-24T06:00:00Z"),
    accelerated: true,
  });
  world = w;
  const farYard: Place[] = HOME_PLACES.map((p) =>
    p.name === "yard" ? { ...p, spot: { distanceM: 40, walls: 2 } } : p,
  );
  const homes = [HOME_PLACES, farYard].map((places, i) => {
    const h = w.addHome({
      unitId: 0x10000 + i,
      tagId: 0x200000 + i,
      number: "+37120000" + i,
      seed: 3,
    });
    h.medium = new RadioMedium(7);
    h.movement = new HomeMovement(w.clock, 7, places);
    return h;
  });
  const [inRange, outOfRange] = homes;
  // The first unit also hears the second subject's tag through the party wall.
  outOfRange.heardNextDoor.add(inRange);
  await w.runFor(24 * 3600_000, 120_000);
  for (const h of homes) {
    const places = new Set(h.movement?.visits.map(([, name]) => name));
    expect(places.size).toBe(HOME_PLACES.length);
  }
  const yardVisits = outOfRange.movement?.visits.filter(([, n]) => n === "yard").length ?? 0;
  expect(yardVisits).toBeGreaterThan(2);
  expect(w.receiver.withCode(inRange.unitId, EventCode.leftHome)).toEqual([]);
  // Through the medium the neighbour's frames arrive weaker and fewer; they are another tag's.
  const sent = outOfRange.tag.hw.adverts.length;
  const heardNextDoor = inRange.app.presence.acceptor.counts.otherTag;
  expect(heardNextDoor).toBeGreaterThan(0.1 * sent);
  expect(heardNextDoor).toBeLessThan(0.9 * sent);
  expect(w.receiver.withCode(inRange.unitId, EventCode.returnedHome)).toEqual([]);
  // Out there ~20 min on average: past the unit's 3-minute silence rule nearly every time.
  const left = w.receiver.withCode(outOfRange.unitId, EventCode.leftHome).length;
  expect(left).toBeGreaterThanOrEqual(yardVisits - 2);
  expect(left).toBeLessThanOrEqual(yardVisits);
}, 180_000);
