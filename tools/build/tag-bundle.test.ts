// The shipped tag bundle (dist/firmware/tag.js as build-firmware.ts builds it) run in the device
// realm (run-bundle.ts) on a fake of the Espruino globals (espruino-fake.ts) under virtual time,
// once as built and once with function declarations only where they stand (Espruino does not
// hoist). Every frame is checked on the host with the host-side protocol (node:crypto HMAC), as a
// centre would. mujs is not tried: it has no Uint8Array, which every protocol function needs.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BeaconFlag } from "@em-platform/protocol/core/beacon";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { RearmMask, TagCommandCode } from "@em-platform/protocol/core/tag-command";
import { encodeTagCommandHost, verifyBeaconHost } from "@em-platform/protocol/host/beacon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeIdentity, stateStore, type TagStorage } from "../../firmware/tag/tag-storage";
import { TEST_ROOT as ROOT } from "../../firmware/testing/test-fleet";
import { identityFromRoot } from "../../firmware/testing/virtual-tag";
import { buildShipped } from "../engines/shipped-bundles";
import { compileBundle } from "./firmware-build";
import { withoutHoisting } from "./hoist";
import { runBundle } from "./run-bundle";

const out = mkdtempSync(join(tmpdir(), "tagbundle-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const TAG_ID = 0x00c0ffee;
const COMPANY = 0xffff;
const id = identityFromRoot(ROOT, TAG_ID, 1, COMPANY);
const MIN = 60 * 1000;
const F = BeaconFlag;

interface Advert {
  atMs: number;
  companyId: number;
  data: string;
  intervalMs: number;
  connectable: boolean;
  flash: { [name: string]: string };
}

interface Report {
  nowMs: number;
  adverts: Advert[];
  logs: string[];
  uart: boolean;
  pinModes: { D1: string; D2: string };
  watchdog: { timeoutMs: number; kicks: number; bittenAt: number };
  flash: { [name: string]: string };
}

/** The latches the tag's own state record says, in a flash snapshot. */
function latchesIn(flash: { [name: string]: string }): number {
  const storage = { read: (n: string) => (flash[n] ? fromHex(flash[n]) : null) };
  return stateStore(storage as unknown as TagStorage).load().latches;
}

/** A frame as the centre reads it: host-side MAC check with the tag-beacon key. */
function open(a: Advert) {
  const r = verifyBeaconHost(id.beaconKey, a.companyId, fromHex(a.data)!);
  if (!r.ok) throw new Error("frame at " + a.atMs + " ms does not verify: " + r.code);
  return r.value;
}

let tag = "";
let fake = "";
const CUT_AT = 15 * MIN;

beforeAll(async () => {
  tag = readFileSync(await buildShipped("tag", out), "utf8");
  fake = (
    await compileBundle(
      join(import.meta.dirname, "..", "..", "firmware", "testing", "espruino-fake.ts"),
      "EspruinoFake",
    )
  ).readable;
});

function run(code: string, provisioned: boolean, driver: string): Report {
  const prelude =
    fake +
    "\nEspruinoFake.install();\n" +
    (provisioned ? `EspruinoFake.provision("em.id", "${toHex(encodeIdentity(id))}");\n` : "");
  const r = runBundle(code + driver + "\nprint(EspruinoFake.report());\n", {
    prelude,
    timeoutMs: 20_000,
  });
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Report;
}

/** 15 min of quiet, a strap cut for 3 s, 10 min spliced, a re-arm in two writes, 5 min more. */
function scenario(): string {
  const rearm = encodeTagCommandHost(id.commandKey, {
    tagId: TAG_ID,
    counter: 1,
    keyVersion: 1,
    code: TagCommandCode.rearm,
    arg: RearmMask.strap,
  });
  return `
EspruinoFake.advance(${CUT_AT});
EspruinoFake.setPin("D1", true); // the strap loop is cut: the pull-up wins
EspruinoFake.advance(3000);
EspruinoFake.setPin("D1", false); // spliced again
EspruinoFake.advance(${10 * MIN});
EspruinoFake.gattWrite("${toHex(rearm.subarray(0, 20))}"); // default MTU: 20 + 9 bytes
EspruinoFake.advance(100);
EspruinoFake.gattWrite("${toHex(rearm.subarray(20))}");
EspruinoFake.advance(${5 * MIN});
`;
}

describe("tag.js in the device realm on fake Espruino globals", () => {
  for (const variant of ["as built", "without hoisting (as Espruino runs it)"]) {
    it(`boots, signs verifiable beacons, latches a strap cut in flash first, takes a re-arm — ${variant}`, () => {
      const code = variant === "as built" ? tag : withoutHoisting(tag);
      const rep = run(code, true, scenario());
      const frames = rep.adverts.map((a) => ({ a, b: open(a) }));
      expect(frames.length).toBeGreaterThan(200);

      // Boot: a burst of 5 frames flagged "recently rebooted", counters from 0, battery 3.0 V.
      expect(frames.slice(0, 5).map((f) => f.a.atMs)).toEqual([0, 400, 800, 1200, 1600]);
      for (const f of frames.slice(0, 5)) {
        expect(f.b.flags).toBe(F.rebooted);
        expect(f.b.tagId).toBe(TAG_ID);
        expect(f.b.batteryMv).toBe(3000);
        expect(f.a.connectable).toBe(true);
      }
      for (let i = 1; i < frames.length; i++)
        expect(frames[i].b.counter).toBe(frames[i - 1].b.counter + 1);
      expect(frames[0].b.counter).toBe(0);
      expect(rep.uart).toBe(false); // the Bluetooth console is gone
      expect(rep.pinModes).toEqual({ D1: "input", D2: "input" });

      // Normal rate after the boot burst: 8 s ± 10 %, each frame 4 times on air.
      const quiet = frames.filter((f) => f.a.atMs > 11 * MIN && f.a.atMs < CUT_AT);
      for (let i = 1; i < quiet.length; i++) {
        const gap = quiet[i].a.atMs - quiet[i - 1].a.atMs;
        expect(gap).toBeGreaterThanOrEqual(7200);
        expect(gap).toBeLessThanOrEqual(8800);
        expect(quiet[i].b.flags).toBe(0);
      }
      expect(quiet[0].a.intervalMs).toBeGreaterThanOrEqual(1800);

      // The cut: latched 510 ms later (10 ms edge filter + 500 ms debounce), in flash before.
      const before = frames.filter((f) => f.a.atMs < CUT_AT);
      for (const f of before) expect(f.b.flags & F.strapLatched).toBe(0);
      expect(latchesIn(before[before.length - 1].a.flash)).toBe(0);
      const alarm = frames.filter((f) => f.b.flags & F.strapLatched);
      expect(alarm[0].a.atMs - CUT_AT).toBe(510);
      expect(alarm[0].b.flags).toBe(F.strapOpen | F.strapLatched);
      expect(latchesIn(alarm[0].a.flash)).toBe(RearmMask.strap);
      expect(alarm.slice(0, 5).map((f) => f.a.atMs - CUT_AT)).toEqual([510, 910, 1310, 1710, 2110]);

      // Spliced again: "open now" clears, the latch stays in every frame until the re-arm.
      const rearmAt = CUT_AT + 3000 + 10 * MIN;
      const spliced = frames.filter((f) => f.a.atMs > CUT_AT + 4000 && f.a.atMs < rearmAt);
      expect(spliced.length).toBeGreaterThan(50);
      for (const f of spliced) expect(f.b.flags).toBe(F.strapLatched);
      // Extended beacons: each says how long ago the strap opened (2 s steps, SPEC §4). The cut
      // reaches the fake's pin after its 10 ms edge filter, and the age counts from there.
      for (const f of before) expect(f.b.strapLatchAgeS).toBe(0);
      for (const f of [...alarm.slice(0, 5), ...spliced]) {
        const age = (f.a.atMs - CUT_AT) / 1000;
        expect(f.b.strapLatchAgeS).toBeLessThanOrEqual(age);
        expect(f.b.strapLatchAgeS).toBeGreaterThan(age - 2.1);
      }

      // The re-arm, in two GATT writes: a burst without the latch; the record cleared first.
      const after = frames.filter((f) => f.a.atMs >= rearmAt + 100);
      expect(after[0].a.atMs).toBe(rearmAt + 100);
      expect(latchesIn(after[0].a.flash)).toBe(0);
      for (const f of after) expect([f.b.flags, f.b.strapLatchAgeS]).toEqual([0, 0]);
      expect(latchesIn(rep.flash)).toBe(0);

      expect(rep.watchdog.timeoutMs).toBe(60000);
      expect(rep.watchdog.bittenAt).toBe(-1);
      expect(rep.watchdog.kicks).toBeGreaterThan(60);
      expect(rep.logs).toEqual([]);
    });
  }

  it("without an identity it says so and sends no frame, leaving the console on", () => {
    const rep = run(tag, false, "EspruinoFake.advance(3600000);");
    expect(rep.adverts).toEqual([]);
    expect(rep.logs.join()).toContain("em.id");
    expect(rep.uart).toBe(true);
    expect(rep.watchdog.timeoutMs).toBe(0);
  });
});
