import { ClockSource, EventCode, UnitTamperKind } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import type { UnitEvent } from "../presence/presence-event";
import {
  ClockKeeper,
  EARLIEST_VALID_UTC,
  NETWORK_ALLOWANCE_CAP_S,
  NETWORK_ALLOWANCE_START_S,
  NETWORK_SLEW_S_PER_DAY,
  UNSYNCED_AFTER_S,
} from "./clock-keeper";
import { UnitHealth } from "./unit-health";

const T = 1795000000;

describe("unit health", () => {
  it("mains lost and restored with the outage length", () => {
    const ev: UnitEvent[] = [];
    const h = new UnitHealth((e) => ev.push(e));
    h.battery(4000, T);
    h.mains(false, 1000, T);
    h.mains(false, 2000, T);
    h.mains(true, 61_000, T + 60);
    expect(ev.map((e) => [e.code, e.data])).toEqual([
      [EventCode.mainsLost, { 1: 4000 }],
      [EventCode.mainsRestored, { 1: 60 }],
    ]);
  });

  it("unit battery low with hysteresis", () => {
    const ev: UnitEvent[] = [];
    const h = new UnitHealth((e) => ev.push(e));
    for (const mv of [3800, 3540, 3520, 3600, 3690, 3540, 3710, 3540]) h.battery(mv, T);
    expect(ev.map((e) => e.data![1])).toEqual([3540, 3540]);
  });

  it("case open/closed", () => {
    const ev: UnitEvent[] = [];
    const h = new UnitHealth((e) => ev.push(e));
    h.caseSwitch(true, T);
    h.caseSwitch(true, T);
    h.caseSwitch(false, T + 5);
    expect(ev.map((e) => e.code)).toEqual([EventCode.unitTamper, EventCode.unitTamperCleared]);
  });

  it("moved then unplugged within 2 minutes escalates once; further than 2 minutes apart does not", () => {
    const ev: UnitEvent[] = [];
    const h = new UnitHealth((e) => ev.push(e));
    h.moved(0, T);
    h.moved(5_000, T + 5);
    h.mains(false, 90_000, T + 90);
    h.moved(100_000, T + 100);
    const kinds = ev.filter((e) => e.code === EventCode.unitTamper).map((e) => e.data![1]);
    expect(kinds).toEqual([UnitTamperKind.moved, UnitTamperKind.movedAndUnplugged]);

    const ev2: UnitEvent[] = [];
    const h2 = new UnitHealth((e) => ev2.push(e));
    h2.mains(false, 0, T);
    h2.moved(121_000, T + 121);
    expect(ev2.filter((e) => e.code === EventCode.unitTamper).map((e) => e.data![1])).toEqual([
      UnitTamperKind.moved,
    ]);

    const ev3: UnitEvent[] = [];
    const h3 = new UnitHealth((e) => ev3.push(e));
    h3.mains(false, 0, T);
    h3.moved(60_000, T + 60);
    expect(ev3.filter((e) => e.code === EventCode.unitTamper).map((e) => e.data![1])).toEqual([
      UnitTamperKind.moved,
      UnitTamperKind.movedAndUnplugged,
    ]);
  });
});

describe("clock keeper", () => {
  function rig(start: number) {
    let now = start;
    const ev: UnitEvent[] = [];
    const jumps: [number, number][] = [];
    const k = new ClockKeeper({
      now: () => now,
      set: (t) => {
        now = t;
      },
      sink: (e) => ev.push(e),
      onJump: (a, b) => jumps.push([a, b]),
    });
    return { k, ev, jumps, now: () => now };
  }

  it("a jump is an event and is passed on; a small trim is not", () => {
    const r = rig(T);
    expect(r.k.sync(T + 1, ClockSource.network, 0)).toBe(false);
    expect(r.k.sync(T + 3600, ClockSource.command, 0)).toBe(true);
    expect(r.now()).toBe(T + 3600);
    expect(r.jumps).toEqual([[T, T + 3600]]);
    expect(r.ev[0].data).toEqual({ 1: T, 2: T + 3600, 3: ClockSource.command });
  });

  it("refuses an implausible time and reports a never-set clock", () => {
    const r = rig(0);
    expect(r.k.sync(1000, ClockSource.network, 0)).toBe(false);
    r.k.tick(1000);
    r.k.tick(2000);
    expect(r.ev.map((e) => e.code)).toEqual([EventCode.clockUnsynchronised]);
    r.k.sync(EARLIEST_VALID_UTC + 10, ClockSource.network, 3000);
    expect(r.k.valid()).toBe(true);
  });

  it("network time moves a valid clock only within its allowance; beyond it, one alarm per episode", () => {
    const r = rig(T);
    const DAY = 86_400_000;
    // At boot the allowance is NETWORK_ALLOWANCE_START_S.
    expect(r.k.sync(T + NETWORK_ALLOWANCE_START_S + 1, ClockSource.network, 0)).toBe(false);
    expect(r.now()).toBe(T);
    expect(r.k.sync(T + 8 * 3600, ClockSource.network, 1000)).toBe(false);
    expect(r.ev.map((e) => e.code)).toEqual([EventCode.networkTimeRefused]);
    expect(r.ev[0].data).toEqual({ 1: T + NETWORK_ALLOWANCE_START_S + 1, 2: T });
    // Within it: taken, and spent.
    expect(r.k.sync(T + 50, ClockSource.network, 2000)).toBe(true);
    expect(r.k.sync(T + 50 + 20, ClockSource.network, 3000)).toBe(false);
    // It grows by NETWORK_SLEW_S_PER_DAY a day, up to the cap.
    expect(r.k.sync(T + 50 + 70, ClockSource.network, 3000 + DAY)).toBe(true);
    expect(r.now()).toBe(T + 120);
    const later = 3000 + 30 * DAY;
    expect(r.k.sync(T + 120 + NETWORK_ALLOWANCE_CAP_S + 5, ClockSource.network, later)).toBe(false);
    expect(r.k.sync(T + 120 + NETWORK_ALLOWANCE_CAP_S, ClockSource.network, later)).toBe(true);
    // Refusals in a row are one episode; one after time was taken starts a new one: the refusals
    // at 0 (and 1000), 3000, `later` and `later + 1` (after the taken correction) make four.
    expect(r.k.sync(T - 86400, ClockSource.network, later + 1)).toBe(false);
    expect(r.k.sync(T - 86400, ClockSource.network, later + 2)).toBe(false);
    expect(r.ev.filter((e) => e.code === EventCode.networkTimeRefused)).toHaveLength(4);
    expect(NETWORK_SLEW_S_PER_DAY).toBe(60);
  });

  it("a never-set clock takes network time as it comes; the centre's time is never bounded", () => {
    const r = rig(0);
    expect(r.k.sync(T, ClockSource.network, 0)).toBe(true);
    expect(r.k.sync(T + 86400, ClockSource.command, 1000)).toBe(true);
    expect(r.ev.filter((e) => e.code === EventCode.networkTimeRefused)).toHaveLength(0);
  });

  it("reports once when no time source was heard for a week", () => {
    const r = rig(T);
    r.k.sync(T + 100, ClockSource.network, 0);
    r.k.tick(UNSYNCED_AFTER_S * 1000 - 1);
    expect(r.ev.filter((e) => e.code === EventCode.clockUnsynchronised).length).toBe(0);
    r.k.tick(UNSYNCED_AFTER_S * 1000);
    r.k.tick(UNSYNCED_AFTER_S * 1000 + 5);
    expect(r.ev.filter((e) => e.code === EventCode.clockUnsynchronised).length).toBe(1);
  });
});
