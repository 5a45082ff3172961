// The shipped tag bundle on the real engine (espruino-puck: Espruino 2v29 with a Puck.js pool),
// booted from Storage with a provisioned identity and driven under virtual time: every frame it
// puts on air is verified on the host with the tag-beacon key, as a home unit or centre would.
// The bench stands in for what a Linux build lacks, in JavaScript installed before boot: the
// strap loop's pin (setWatch and Pin.read on D1, so a test can cut and splice it), BLE
// (NRF.setAdvertising prints each frame; NRF.setServices keeps the command characteristic so a
// test can write a re-arm to it in two GATT writes, or the unit's freshness challenge in one),
// and the battery.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BeaconFlag } from "@em-platform/protocol/core/beacon";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { encodeChallenge } from "@em-platform/protocol/core/challenge";
import { RearmMask, TagCommandCode } from "@em-platform/protocol/core/tag-command";
import { encodeTagCommandHost, verifyBeaconHost } from "@em-platform/protocol/host/beacon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityFromRoot } from "../../firmware/testing/virtual-tag";
import { byteLiteral } from "../lab/espruino";
import { tagFiles } from "../lab/provision-records";
import { enginesMissing } from "./engines";
import { EspruinoBoard } from "./espruino-board";
import { BENCH_COMPANY, BENCH_ROOT, BENCH_TAG, provision, TAG_STUBS } from "./ram";
import { buildShipped } from "./shipped-bundles";
import { virtualTimersSource } from "./virtual-timers";

const missing = enginesMissing(["espruino-puck"]);
if (missing) console.log("tag on espruino-puck: skipped — " + missing);

const MIN = 60000;
const id = identityFromRoot(BENCH_ROOT, BENCH_TAG, 1, BENCH_COMPANY);

/** The bench's pins and radio, after TAG_STUBS (which lends the counter log its flash pages). */
const PINS_AND_RADIO = `
global.__level = {};
global.__watches = [];
Pin.prototype.read = function () { return !!__level[this]; };
global.setWatch = function (fn, pin, o) { __watches.push({ fn: fn, pin: pin }); return __watches.length; };
global.__set = function (pin, high) {
  __level[pin] = high;
  for (var i = 0; i < __watches.length; i++)
    if (__watches[i].pin === pin) __watches[i].fn({ state: high, time: getTime() });
};
global.__write = null;
global.NRF = {
  setAdvertising: function (d, o) {
    var b = new Uint8Array(o.manufacturerData), h = "";
    for (var i = 0; i < b.length; i++) h += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    print("ADV " + Math.round(getTime() * 1000) + " " + o.manufacturer + " " + h);
  },
  setServices: function (s) {
    for (var sv in s) for (var ch in s[sv]) if (s[sv][ch].onWrite) __write = s[sv][ch].onWrite;
  },
  getBattery: function () { return 3; }
};
global.__gatt = function (bytes) { __write({ data: E.toArrayBuffer(bytes) }); };
`;

interface Frame {
  atMs: number;
  counter: number;
  flags: number;
  strapLatchAgeS: number | null | undefined;
  echo: number | undefined;
}

/** Every ADV line the engine printed, verified with the beacon key (throws on a forgery). */
function frames(stdout: string, t0Ms: number): Frame[] {
  const out: Frame[] = [];
  for (const m of stdout.matchAll(/ADV (\d+) (\d+) ([0-9a-f]+)/g)) {
    const r = verifyBeaconHost(id.beaconKey, Number(m[2]), fromHex(m[3]) as Uint8Array);
    if (!r.ok) throw new Error("a frame does not verify: " + r.code + " " + m[3]);
    out.push({
      atMs: Number(m[1]) - t0Ms,
      counter: r.value.counter,
      flags: r.value.flags,
      strapLatchAgeS: r.value.strapLatchAgeS,
      echo: r.value.echo,
    });
  }
  return out;
}

describe.skipIf(missing !== null)("tag (tag.js) on espruino-puck", () => {
  // Made when the tests run, not when the file loads (a skipped run leaves nothing behind).
  let dir = "";
  let bundle = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "em-tag-engine-"));
    bundle = await buildShipped("tag", dir);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("signs every frame, latches a strap cut, clears it on a centre-signed re-arm over GATT, echoes a challenge", () => {
    const board = new EspruinoBoard("espruino-puck");
    try {
      provision(
        board,
        tagFiles(BENCH_ROOT, BENCH_TAG, BENCH_COMPANY),
        readFileSync(bundle, "latin1"),
        "tag.js",
      );
      const T0 = 1796000000;
      const rearm = encodeTagCommandHost(id.commandKey, {
        tagId: BENCH_TAG,
        counter: 1,
        keyVersion: 1,
        code: TagCommandCode.rearm,
        arg: RearmMask.strap,
      });
      const gatt = (b: Uint8Array) => `__gatt(${byteLiteral(Buffer.from(b).toString("latin1"))});`;
      const script = EspruinoBoard.bootScript(
        "tag.js",
        virtualTimersSource(T0) + TAG_STUBS + PINS_AND_RADIO,
        [
          `__advance(${15 * MIN});`,
          'print("CUT");',
          "__set(D1, true);", // the loop is cut: the pull-up wins
          "__advance(3000);",
          "__set(D1, false);", // spliced again: the latch stays
          `__advance(${10 * MIN});`,
          'print("REARM");',
          gatt(rearm.subarray(0, 20)), // the default MTU: 20 bytes, then the other 9
          gatt(rearm.subarray(20)),
          `__advance(${5 * MIN});`,
          'print("CHALLENGE");',
          gatt(encodeChallenge({ tagId: BENCH_TAG, nonce: 0xb7e0 })),
          `__advance(${MIN});`,
          'print("END " + JSON.stringify(process.memory()));',
        ].join("\n"),
      );
      const r = board.run(script, 300000);
      expect(r.stdout).toMatch(/END /);
      const all = frames(r.stdout, T0 * 1000);
      const cutAt = 15 * MIN;
      const rearmAt = cutAt + 3000 + 10 * MIN;
      const before = all.filter((f) => f.atMs < cutAt);
      const cut = all.filter((f) => f.atMs >= cutAt && f.atMs < rearmAt);
      const challengeAt = rearmAt + 5 * MIN;
      const after = all.filter((f) => f.atMs >= rearmAt + 10000 && f.atMs < challengeAt);
      const answer = all.filter((f) => f.atMs >= challengeAt);
      // ~8 s apart for 15 minutes, counters strictly rising across the whole run; "rebooted" for
      // the first 10 minutes, then nothing.
      expect(before.length).toBeGreaterThan(100);
      const R = BeaconFlag.rebooted;
      expect(before.every((f) => f.flags === R || f.flags === 0)).toBe(true);
      expect(before[0].flags).toBe(R);
      expect(before.filter((f) => f.atMs > 10 * MIN + 10000).every((f) => f.flags === 0)).toBe(
        true,
      );
      for (let i = 1; i < all.length; i++)
        expect(all[i].counter).toBeGreaterThan(all[i - 1].counter);
      // The cut: a burst reporting it open and latched within a second, then latched only.
      const first = cut.find((f) => (f.flags & BeaconFlag.strapLatched) !== 0);
      expect(first).toBeDefined();
      expect((first as Frame).atMs - cutAt).toBeLessThan(1000);
      expect((first as Frame).flags & BeaconFlag.strapOpen).toBe(BeaconFlag.strapOpen);
      expect(
        cut.filter((f) => f.atMs > cutAt + 60000).every((f) => f.flags === BeaconFlag.strapLatched),
      ).toBe(true);
      // Extended beacons: how long ago the strap opened, counted on the engine's own clock.
      expect(before.every((f) => f.strapLatchAgeS === 0)).toBe(true);
      for (const f of cut.filter((x) => x.flags & BeaconFlag.strapLatched)) {
        const age = (f.atMs - cutAt) / 1000;
        expect(f.strapLatchAgeS).toBeLessThanOrEqual(age);
        expect(f.strapLatchAgeS).toBeGreaterThan(age - 3);
      }
      // The re-arm clears the latch.
      expect(after.length).toBeGreaterThan(20);
      expect(after.every((f) => f.flags === 0 && f.strapLatchAgeS === 0)).toBe(true);
      // The challenge: no echo before it; the burst that answers it at once, and every frame
      // after, echo its nonce, each numbered.
      expect(all.filter((f) => f.atMs < challengeAt).every((f) => f.echo === 0)).toBe(true);
      expect(answer.length).toBeGreaterThanOrEqual(5);
      expect(answer[0].atMs - challengeAt).toBeLessThan(100);
      // The nonce, and in its low 3 bits the frames since the challenge (saturating at 7).
      expect(answer.map((f) => f.echo)).toEqual(answer.map((_f, i) => 0xb7e0 + Math.min(i, 7)));
      expect(answer[4].atMs - answer[0].atMs).toBeLessThan(2000); // a burst, 400 ms apart
      console.info(
        `tag on espruino-puck: ${all.length} frames verified; cut → latched frame ${(first as Frame).atMs - cutAt} ms; ${/END (.*)/.exec(r.stdout)?.[1]}`,
      );
    } finally {
      board.dispose();
    }
  }, 320_000);

  it("keeps a latch and its counters across a reboot on the same flash", () => {
    const board = new EspruinoBoard("espruino-puck");
    try {
      provision(
        board,
        tagFiles(BENCH_ROOT, BENCH_TAG, BENCH_COMPANY),
        readFileSync(bundle, "latin1"),
        "tag.js",
      );
      const T0 = 1796000000;
      const stubs = virtualTimersSource(T0) + TAG_STUBS + PINS_AND_RADIO;
      const first = board.run(
        EspruinoBoard.bootScript(
          "tag.js",
          stubs,
          `__advance(${2 * MIN}); __set(D1, true); __advance(5000);`,
        ),
        120000,
      );
      const one = frames(first.stdout, T0 * 1000);
      expect(one.some((f) => (f.flags & BeaconFlag.strapLatched) !== 0)).toBe(true);
      // Power back on with the loop spliced: the latch comes from flash, the counter goes on.
      const second = board.run(
        EspruinoBoard.bootScript("tag.js", stubs, `__advance(${MIN});`),
        120000,
      );
      const two = frames(second.stdout, T0 * 1000);
      expect(two.length).toBeGreaterThan(5);
      expect(two.every((f) => (f.flags & BeaconFlag.strapLatched) !== 0)).toBe(true);
      // The latch from flash has no time on this boot's clock: "unknown", not a made-up age.
      expect(two.every((f) => f.strapLatchAgeS === null)).toBe(true);
      expect(two[0].counter).toBeGreaterThan(one[one.length - 1].counter);
    } finally {
      board.dispose();
    }
  }, 300_000);
});
