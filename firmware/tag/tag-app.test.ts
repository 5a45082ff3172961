// The tag against virtual hardware and virtual time. Every frame is checked with the protocol's
// verifyBeacon (VirtualTag.frames) and every counter with a ReceiverCounter, as a home unit would.

import { BeaconFlag, DEFAULT_COMPANY_ID } from "@em-platform/protocol/core/beacon";
import { encodeChallenge } from "@em-platform/protocol/core/challenge";
import { ReceiverCounter } from "@em-platform/protocol/core/counters";
import { sha256 } from "@em-platform/protocol/core/sha256";
import {
  encodeTagCommand,
  RearmMask,
  TAG_COMMAND_LENGTH,
  TagCommandCode,
} from "@em-platform/protocol/core/tag-command";
import { describe, expect, it } from "vitest";
import { createHardware, FakeBoard } from "../testing/fake-board";
import { TEST_ROOT as ROOT } from "../testing/test-fleet";
import { VirtualClock } from "../testing/virtual-clock";
import { VirtualFlash } from "../testing/virtual-flash";
import { identityFromRoot, type VerifiedFrame, VirtualTag } from "../testing/virtual-tag";
import { bootTag, CommandResult } from "./tag-app";
import {
  COMMAND_GAP,
  defaultTagConfig,
  EDGE_FILTER_MS,
  SUPERVISOR_MS,
  type TagConfig,
  WATCHDOG_MS,
} from "./tag-config";
import { encodeIdentity, IDENTITY_RECORD, STATE_RECORDS, stateStore } from "./tag-storage";

const EPOCH = Date.UTC(2025, 0, 6, 21, 0, 0);
const TAG_ID = 0x00c0ffee;
const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const F = BeaconFlag;

interface World {
  world: VirtualClock;
  flash: VirtualFlash;
  tag: VirtualTag;
  cfg: TagConfig;
}

function setup(seed: number, cfg?: TagConfig): World {
  const world = new VirtualClock(EPOCH);
  const flash = new VirtualFlash(40 * 1024);
  const id = identityFromRoot(ROOT, TAG_ID, 1, DEFAULT_COMPANY_ID);
  const c = cfg ?? defaultTagConfig();
  const tag = new VirtualTag(world, flash, id, c, seed, true);
  tag.start();
  return { world, flash, tag, cfg: c };
}

function command(t: VirtualTag, counter: number, code: number, arg: number, key?: Uint8Array) {
  return encodeTagCommand(sha256, key ?? t.identity.commandKey, {
    tagId: t.identity.tagId,
    counter,
    keyVersion: t.identity.keyVersion,
    code,
    arg,
  });
}

/** Frames after world time `from`. */
function since(t: VirtualTag, from: number): VerifiedFrame[] {
  return t.frames().filter((f) => f.atMs >= from);
}

/** Checks every counter as a home unit would: each one fresh, strictly increasing. */
function expectFresh(frames: VerifiedFrame[]): void {
  const rx = new ReceiverCounter(1000000);
  for (const f of frames) expect(rx.check(f.counter, new Uint8Array(8)).ok).toBe(true);
}

function latchedInFlash(flash: VirtualFlash): number {
  return stateStore(flash).load().latches;
}

describe("tag: boot", () => {
  it("boots with a burst of 5 verified frames flagged 'recently rebooted', battery reported", () => {
    const { world, tag } = setup(1);
    world.advance(2000);
    const f = tag.frames();
    expect(tag.bad).toBe(0);
    expect(f.length).toBe(5);
    expect(f.map((x) => x.atMs)).toEqual([0, 400, 800, 1200, 1600]);
    for (const x of f) {
      expect(x.flags).toBe(F.rebooted);
      expect(x.batteryMv).toBe(3000);
    }
    expect(f.map((x) => x.counter)).toEqual([0, 1, 2, 3, 4]);
    expect(f[0].intervalMs).toBe(100); // burst frames repeat every 100 ms on air
  });

  it("clears 'recently rebooted' after 10 minutes, with a burst", () => {
    const { world, tag, cfg } = setup(2);
    world.advance(cfg.rebootFlagMs - 1);
    expect(tag.last()!.flags & F.rebooted).toBe(F.rebooted);
    world.advance(1);
    const after = since(tag, cfg.rebootFlagMs);
    expect(after.length).toBe(1);
    expect(after[0].flags).toBe(0);
    world.advance(1600);
    expect(since(tag, cfg.rebootFlagMs).length).toBe(5);
  });

  it("without an identity record it says so and advertises nothing", () => {
    const world = new VirtualClock(EPOCH);
    const board = new FakeBoard(createHardware(world, new VirtualFlash(40960), 1), 0);
    const hal = new VirtualTag(
      world,
      board.storage,
      identityFromRoot(ROOT, 1, 0, 0xffff),
      defaultTagConfig(),
      1,
      true,
    ).halOf(board);
    const lines: string[] = [];
    expect(bootTag(hal, defaultTagConfig(), (m) => lines.push(m))).toBeNull();
    world.advance(HOUR);
    expect(board.hw.adverts.length).toBe(0);
    expect(board.watchdog.timeoutMs).toBe(0);
    expect(lines.join()).toContain("em.id");
    // Provisioned: the same call starts the tag.
    board.storage.write(IDENTITY_RECORD, encodeIdentity(identityFromRoot(ROOT, 9, 0, 0xffff)));
    expect(bootTag(hal, defaultTagConfig(), (m) => lines.push(m))).not.toBeNull();
    world.advance(1000);
    expect(board.hw.adverts.length).toBeGreaterThan(0);
  });
});

describe("tag: strap tamper", () => {
  it("strap cut → latched flags in a verified beacon within debounce + burst, flash written first", () => {
    const { world, flash, tag, cfg } = setup(3);
    world.advance(15 * MIN);
    let latchInFlashAtFirstAlarm = -1;
    tag.board.advertiser.onAdvertise = () => {
      const f = tag.last()!;
      if (latchInFlashAtFirstAlarm < 0 && f.flags & F.strapLatched)
        latchInFlashAtFirstAlarm = latchedInFlash(flash);
    };
    const cutAt = world.time;
    tag.hw.strap.set(false);
    const budget = EDGE_FILTER_MS + cfg.debounceMs;
    expect(world.runUntil(() => (tag.last()!.flags & F.strapLatched) !== 0, budget)).toBe(true);
    expect(world.time - cutAt).toBe(budget); // 510 ms: 10 ms edge filter + 500 ms debounce
    expect(latchInFlashAtFirstAlarm).toBe(RearmMask.strap);
    world.advance(2000);
    const burst = since(tag, cutAt);
    expect(burst.map((f) => f.atMs - cutAt)).toEqual([510, 910, 1310, 1710, 2110]);
    for (const f of burst) expect(f.flags).toBe(F.strapOpen | F.strapLatched);
    expect(tag.bad).toBe(0);
    expectFresh(tag.frames());
  });

  it("chatter shorter than the debounce never latches (800 random opens of 1–490 ms)", () => {
    const { world, flash, tag } = setup(4);
    world.advance(11 * MIN);
    const rnd = tag.board.crypto;
    for (let i = 0; i < 800; i++) {
      tag.hw.strap.set(false);
      world.advance(1 + (rnd.next32() % 490));
      tag.hw.strap.set(true);
      world.advance(20 + (rnd.next32() % 3000)); // closed longer than the 10 ms edge filter
    }
    world.advance(HOUR);
    for (const f of tag.frames()) expect(f.flags & (F.strapOpen | F.strapLatched)).toBe(0);
    expect(latchedInFlash(flash)).toBe(0);
    expect(flash.writesByName[STATE_RECORDS[0]] ?? 0).toBe(0);
    expect(tag.bad).toBe(0);
  });

  it("a strap closed again clears 'open now', never the latch; the latch survives a reboot", () => {
    const { world, flash, tag, cfg } = setup(5);
    world.advance(11 * MIN);
    tag.hw.strap.set(false);
    world.advance(5000);
    tag.hw.strap.set(true);
    world.advance(EDGE_FILTER_MS + cfg.debounceMs + 2000);
    expect(tag.last()!.flags).toBe(F.strapLatched);
    world.advance(HOUR);
    expect(tag.last()!.flags).toBe(F.strapLatched);
    const rebootAt = world.time;
    tag.reboot();
    world.advance(1);
    const first = since(tag, rebootAt)[0];
    expect(first.boot).toBe(1);
    expect(first.flags).toBe(F.strapLatched | F.rebooted);
    expect(latchedInFlash(flash)).toBe(RearmMask.strap);
    expectFresh(tag.frames());
  });

  it("every beacon says how long ago the strap latched: 12 h later to the 2 s step; unknown after a tag reboot; 0 once re-armed", () => {
    const { world, tag } = setup(11);
    world.advance(15 * MIN);
    for (const f of tag.frames()) expect(f.strapLatchAgeS).toBe(0); // extended beacons, nothing latched
    const cutAt = world.time;
    tag.hw.strap.set(false);
    world.advance(12 * HOUR);
    const later = since(tag, cutAt + 10 * 1000);
    expect(later.length).toBeGreaterThan(5000);
    for (const f of later) {
      const truth = (f.atMs - cutAt) / 1000;
      expect(f.strapLatchAgeS).toBeLessThanOrEqual(truth);
      expect(f.strapLatchAgeS).toBeGreaterThan(truth - 2.1); // the 10 ms edge filter and the step
    }
    expect(tag.last()!.strapLatchAgeS).toBeGreaterThan(12 * 3600 - 10);
    const rebootAt = world.time;
    tag.reboot();
    world.advance(MIN);
    for (const f of since(tag, rebootAt)) expect(f.strapLatchAgeS).toBeNull();
    tag.hw.strap.set(true);
    world.advance(MIN);
    const cmd = command(tag, 1, TagCommandCode.rearm, RearmMask.strap);
    expect(tag.app.command(cmd)).toBe(CommandResult.accepted);
    world.advance(MIN);
    expect(tag.last()!.flags & F.strapLatched).toBe(0);
    expect(tag.last()!.strapLatchAgeS).toBe(0);
    expect(tag.bad).toBe(0);
  });

  it("an open strap at boot latches after the debounce", () => {
    const { world, tag, cfg } = setup(6);
    world.advance(MIN);
    tag.hw.strap.set(false);
    const at = world.time;
    tag.reboot(); // e.g. the battery was pulled while the strap was cut
    world.advance(cfg.debounceMs);
    const f = since(tag, at);
    expect(f[0].flags).toBe(F.rebooted);
    expect(f[f.length - 1].flags).toBe(F.rebooted | F.strapOpen | F.strapLatched);
    expect(f[f.length - 1].atMs - at).toBe(cfg.debounceMs);
  });

  it("the case input gets the same treatment with its own flags", () => {
    const { world, tag, cfg } = setup(7);
    world.advance(11 * MIN);
    tag.hw.caseInput.set(false);
    world.advance(EDGE_FILTER_MS + cfg.debounceMs);
    expect(tag.last()!.flags).toBe(F.caseOpen | F.caseLatched);
    tag.hw.caseInput.set(true);
    world.advance(EDGE_FILTER_MS + cfg.debounceMs);
    expect(tag.last()!.flags).toBe(F.caseLatched);
  });
});

describe("tag: commands", () => {
  function latched(seed: number) {
    const w = setup(seed);
    w.world.advance(11 * MIN);
    w.tag.hw.strap.set(false);
    w.world.advance(2000);
    w.tag.hw.strap.set(true);
    w.world.advance(2000);
    expect(w.tag.last()!.flags).toBe(F.strapLatched);
    return w;
  }

  it("an authenticated re-arm clears the latch in flash and in the next frames", () => {
    const { world, flash, tag } = latched(10);
    const at = world.time;
    expect(tag.app.command(command(tag, 5, TagCommandCode.rearm, RearmMask.strap))).toBe(
      CommandResult.accepted,
    );
    expect(latchedInFlash(flash)).toBe(0);
    world.advance(2000);
    const f = since(tag, at);
    expect(f.length).toBe(5); // a burst announces it
    for (const x of f) expect(x.flags).toBe(0);
    expect(tag.app.stats.accepted).toBe(1);
  });

  it("forged re-arms change nothing and are counted", () => {
    const { world, flash, tag } = latched(11);
    const app = tag.app;
    const wrongKey = command(tag, 5, TagCommandCode.rearm, 1, tag.identity.beaconKey);
    expect(app.command(wrongKey)).toBe(CommandResult.forged);
    const flipped = command(tag, 5, TagCommandCode.rearm, 1);
    flipped[20] ^= 1;
    expect(app.command(flipped)).toBe(CommandResult.forged);
    const otherTag = encodeTagCommand(sha256, tag.identity.commandKey, {
      tagId: TAG_ID + 1,
      counter: 5,
      keyVersion: 1,
      code: TagCommandCode.rearm,
      arg: 1,
    });
    expect(app.command(otherTag)).toBe(CommandResult.forged);
    expect(app.command(new Uint8Array(TAG_COMMAND_LENGTH))).toBe(CommandResult.forged);
    expect(app.stats.forged).toBe(4);
    world.advance(MIN);
    expect(tag.last()!.flags).toBe(F.strapLatched);
    expect(latchedInFlash(flash)).toBe(RearmMask.strap);
  });

  it("replayed re-arms change nothing and are counted, also after a reboot", () => {
    const { world, flash, tag, cfg } = latched(12);
    const rearm5 = command(tag, 5, TagCommandCode.rearm, RearmMask.strap);
    const rearm3 = command(tag, 3, TagCommandCode.rearm, RearmMask.strap);
    expect(tag.app.command(rearm5)).toBe(CommandResult.accepted);
    // The strap is cut again; the recorded re-arm is played back.
    tag.hw.strap.set(false);
    world.advance(2000);
    tag.hw.strap.set(true);
    world.advance(2000);
    expect(tag.app.command(rearm5)).toBe(CommandResult.duplicate); // same frame again: ignored
    expect(tag.app.command(rearm3)).toBe(CommandResult.replayed); // an older one
    expect(tag.last()!.flags).toBe(F.strapLatched);
    tag.reboot();
    world.advance(cfg.burstSpacingMs * 5);
    expect(tag.app.command(rearm5)).toBe(CommandResult.replayed); // the counter was persisted
    expect(tag.app.stats.replayed).toBe(1);
    expect(tag.last()!.flags).toBe(F.strapLatched | F.rebooted);
    expect(latchedInFlash(flash)).toBe(RearmMask.strap);
    // A fresh one works.
    expect(tag.app.command(command(tag, 6, TagCommandCode.rearm, RearmMask.strap))).toBe(
      CommandResult.accepted,
    );
    world.advance(10);
    expect(tag.last()!.flags).toBe(F.rebooted);
  });

  it("a re-arm while the strap is open is refused: the latch stays", () => {
    const { world, tag } = setup(13);
    world.advance(MIN);
    tag.hw.strap.set(false);
    world.advance(2000);
    expect(tag.app.command(command(tag, 1, TagCommandCode.rearm, RearmMask.strap))).toBe(
      CommandResult.refused,
    );
    world.advance(MIN);
    expect(tag.last()!.flags & F.strapLatched).toBe(F.strapLatched);
  });

  it("set beacon interval: 30 s ± 10 % from then on, kept across a reboot", () => {
    const { world, flash, tag } = setup(14);
    world.advance(11 * MIN);
    expect(tag.app.command(command(tag, 1, TagCommandCode.setBeaconInterval, 30))).toBe(
      CommandResult.accepted,
    );
    const from = world.time + 9000; // after the frame already scheduled
    world.advance(HOUR);
    const gaps = (fs: VerifiedFrame[]) => fs.slice(1).map((f, i) => f.atMs - fs[i].atMs);
    const g = gaps(since(tag, from));
    expect(Math.min(...g)).toBeGreaterThanOrEqual(27000);
    expect(Math.max(...g)).toBeLessThanOrEqual(33000);
    const rebootAt = world.time;
    tag.reboot();
    world.advance(HOUR);
    const g2 = gaps(since(tag, rebootAt + 11 * MIN)); // after the boot and flag-clear bursts
    expect(Math.min(...g2)).toBeGreaterThanOrEqual(27000);
    expect(Math.max(...g2)).toBeLessThanOrEqual(33000);
    expect(stateStore(flash).load().intervalS).toBe(30);
  });

  it("identify blinks and buzzes for the given seconds", () => {
    const { tag } = setup(15);
    expect(tag.app.command(command(tag, 1, TagCommandCode.identify, 10))).toBe(
      CommandResult.accepted,
    );
    const p = tag.board.indicator.log[0].pattern!;
    expect(p.totalMs).toBe(10000);
    expect(p.led && p.buzzer).toBe(true);
  });

  it("command freshness (SPEC §3, G = 1,000,000): the highest with another MAC or beyond G is a replay", () => {
    const { tag } = setup(17);
    const ten = command(tag, 10, TagCommandCode.identify, 1);
    expect(tag.app.command(ten)).toBe(CommandResult.accepted);
    expect(tag.app.command(ten)).toBe(CommandResult.duplicate); // a retried write: not counted
    expect(tag.app.command(command(tag, 10, TagCommandCode.identify, 2))).toBe(
      CommandResult.replayed, // same counter, another MAC
    );
    expect(tag.app.command(command(tag, 10 + COMMAND_GAP + 1, TagCommandCode.identify, 1))).toBe(
      CommandResult.replayed, // too far ahead
    );
    expect(tag.app.command(command(tag, 10 + COMMAND_GAP, TagCommandCode.identify, 1))).toBe(
      CommandResult.accepted, // exactly G ahead
    );
    expect(tag.app.stats).toMatchObject({ accepted: 2, replayed: 2, forged: 0 });
  });

  it("a command that flash refuses to record does nothing and can be sent again", () => {
    const { world, flash, tag } = latched(18);
    const b = command(tag, 9, TagCommandCode.rearm, RearmMask.strap);
    flash.cutPowerAfter(0);
    expect(tag.app.command(b)).toBe(CommandResult.failed);
    flash.restorePower();
    world.advance(MIN);
    expect(tag.last()!.flags).toBe(F.strapLatched);
    expect(latchedInFlash(flash)).toBe(RearmMask.strap);
    expect(tag.app.command(b)).toBe(CommandResult.accepted);
    expect(latchedInFlash(flash)).toBe(0);
  });

  it("a command split over two GATT writes (default MTU: 20 + 9 bytes) is joined", () => {
    const { world, tag } = latched(16);
    const b = command(tag, 7, TagCommandCode.rearm, RearmMask.strap);
    tag.board.commands.deliver(b.subarray(0, 20));
    world.advance(100);
    tag.board.commands.deliver(b.subarray(20));
    expect(tag.app.stats.accepted).toBe(1);
    world.advance(10);
    expect(tag.last()!.flags).toBe(0);
    // A stray fragment followed by a whole command does not block it.
    tag.board.commands.deliver(new Uint8Array(5));
    tag.board.commands.deliver(command(tag, 8, TagCommandCode.identify, 1));
    expect(tag.app.stats.accepted).toBe(2);
  });
});

describe("tag: battery", () => {
  it("low-battery flag with hysteresis, announced by a burst, battery value in every frame", () => {
    const { world, tag, cfg } = setup(20);
    world.advance(11 * MIN);
    tag.hw.battery.mv = 2590;
    world.advance(cfg.batteryPeriodMs); // one low reading: not yet
    expect(tag.last()!.flags & F.batteryLow).toBe(0);
    expect(tag.last()!.batteryMv).toBe(2590);
    world.advance(cfg.batteryPeriodMs);
    expect(tag.last()!.flags & F.batteryLow).toBe(F.batteryLow);
    tag.hw.battery.mv = 2690; // recovered a little: still low
    world.advance(6 * cfg.batteryPeriodMs);
    expect(tag.last()!.flags & F.batteryLow).toBe(F.batteryLow);
    tag.hw.battery.mv = 2700;
    world.advance(cfg.batteryPeriodMs);
    expect(tag.last()!.flags & F.batteryLow).toBe(F.batteryLow);
    const at = world.time;
    world.advance(cfg.batteryPeriodMs);
    const f = since(tag, at);
    const cleared = f.findIndex((x) => (x.flags & F.batteryLow) === 0);
    expect(cleared).toBeGreaterThanOrEqual(0);
    expect(f[cleared + 1].atMs - f[cleared].atMs).toBe(cfg.burstSpacingMs); // a burst
  });
});

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const NOR_ERASES_1000 = 2;

describe("tag: counter, flash and watchdog", () => {
  it("24 h at the default rate: ~10,800 frames, flash writes ≤ frames/64 + 1, gaps 7.2–8.8 s, watchdog kicked", () => {
    const { world, flash, tag } = setup(30);
    world.advance(24 * HOUR);
    const f = tag.frames();
    expect(tag.bad).toBe(0);
    expectFresh(f);
    const normal = f.filter((x) => x.atMs > 11 * MIN);
    const gaps = normal.slice(1).map((x, i) => x.atMs - normal[i].atMs);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(7200);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(8800);
    expect(Math.abs(f.length - 10800)).toBeLessThan(100);
    // The counter log is on raw flash pages (tag-flash.ts): one word write per reservation.
    const nor = tag.hw.nor;
    expect(nor.writes).toBeLessThanOrEqual(f.length / 64 + 1);
    // README-tag.md "Counter and flash": this seed's exact figures, so any change shows.
    expect([f.length, nor.writes, sum(nor.erases)]).toEqual([10792, 169, 1]);
    expect(Math.max(...nor.wordWrites)).toBe(1); // each word programmed once (nRF52 n_WRITE)
    expect(flash.writes).toBe(0); // Storage: nothing after provisioning, never a compaction
    expect(flash.violations).toBe(0);
    expect(tag.board.watchdog.bitten).toBe(false);
    expect(tag.board.watchdog.kicks).toBeGreaterThan(4000);
    expect(f[f.length - 1].intervalMs).toBeGreaterThanOrEqual(1800); // each frame ~4 times on air
    console.info(
      `24 h: ${f.length} frames, ${nor.writes} flash word writes, ${flash.writes} Storage ` +
        `writes, ${flash.garbage()} B garbage, ${tag.board.watchdog.kicks} kicks`,
    );
  });

  it("counter never repeats across 1,000 reboots; flash writes ≤ frames/64 + boots", () => {
    const world = new VirtualClock(EPOCH);
    const flash = new VirtualFlash(40 * 1024);
    const cfg = defaultTagConfig();
    const id = identityFromRoot(ROOT, TAG_ID, 1, DEFAULT_COMPANY_ID);
    const tag = new VirtualTag(world, flash, id, cfg, 99, true);
    tag.start();
    const boots = 1000;
    const rnd = tag.board.crypto;
    for (let b = 1; b < boots; b++) {
      // From an instant reboot (one frame) to 30 minutes (~230 frames).
      world.advance(rnd.next32() % 3 === 0 ? 0 : rnd.next32() % (30 * MIN));
      tag.reboot();
    }
    world.advance(10 * MIN);
    const f = tag.frames();
    expect(tag.bad).toBe(0);
    const counters = f.map((x) => x.counter);
    for (let i = 1; i < counters.length; i++) expect(counters[i]).toBeGreaterThan(counters[i - 1]);
    expect(new Set(counters).size).toBe(counters.length);
    expectFresh(f);
    const nor = tag.hw.nor;
    expect(nor.writes).toBeLessThanOrEqual(f.length / 64 + boots);
    expect([f.length, nor.writes, sum(nor.erases)]).toEqual([82217, 1957, NOR_ERASES_1000]);
    expect(Math.max(...nor.wordWrites)).toBe(1);
    expect(flash.writes).toBe(0);
    expect(flash.violations).toBe(0);
    console.info(
      `${boots} boots: ${f.length} frames, highest counter ${counters[counters.length - 1]}, ` +
        `${nor.writes} flash writes (bound ${Math.floor(f.length / 64 + boots)}), ` +
        `page erases ${nor.erases.join("/")}, ${flash.compactions} compactions`,
    );
  });

  it("the watchdog bites when frames stop going out (dead radio)", () => {
    const { world, tag } = setup(31);
    world.advance(HOUR);
    tag.board.advertiser.failing = true;
    const at = world.time;
    expect(world.runUntil(() => tag.board.watchdog.bitten, 3 * MIN)).toBe(true);
    // At most one gap + one supervisor period + the watchdog timeout.
    expect(world.time - at).toBeLessThanOrEqual(8800 + 2 * SUPERVISOR_MS + WATCHDOG_MS);
    expect(tag.app.stats.errors).toBeGreaterThan(0);
  });
});

describe("tag: the freshness challenge (SPEC §5; issue 11, attack 3)", () => {
  it("answers at once with a burst numbered in the echo; every later frame keeps the nonce", () => {
    const w = setup(21);
    w.world.advance(15 * MIN);
    expect(w.tag.last()!.echo).toBe(0); // not challenged since boot
    const at = w.world.time;
    w.tag.board.commands.deliver(encodeChallenge({ tagId: TAG_ID, nonce: 0x1230 }));
    w.world.advance(MIN);
    const after = w.tag.frames().filter((f) => f.atMs >= at);
    expect(after[0].atMs).toBe(at); // at once
    expect(after.slice(0, 5).map((f) => f.atMs - at)).toEqual([0, 400, 800, 1200, 1600]);
    expect(after.map((f) => f.echo)).toEqual(after.map((_f, i) => 0x1230 + Math.min(i, 7)));
    expect(w.tag.app.stats.forged).toBe(0);
  });

  it("7 bytes that follow a command's first 22 within 2 s are its tail, not a challenge", () => {
    const w = setup(22);
    w.world.advance(15 * MIN);
    const rearm = command(w.tag, 1, TagCommandCode.rearm, RearmMask.strap);
    w.tag.board.commands.deliver(rearm.subarray(0, 22));
    w.tag.board.commands.deliver(encodeChallenge({ tagId: TAG_ID, nonce: 0x1230 }));
    w.world.advance(MIN);
    expect(w.tag.app.stats.forged).toBe(1); // joined: 29 bytes that are no command
    expect(w.tag.last()!.echo).toBe(0);
  });
});
