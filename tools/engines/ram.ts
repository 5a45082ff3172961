// RAM of the shipped bundles measured on the real engines: Espruino's process.memory() (which
// collects garbage first) in JsVars, the figure the budgets are held against. Each run boots the
// bundle from Storage as a device does, with the board functions a Linux build lacks stubbed in
// JavaScript. Harness code keeps to `__`-prefixed globals: a bundle's own names are globals too.

import { readFileSync } from "node:fs";
import { fromHex } from "../../protocol/src/core/bytes";
import { type EngineMemory, EspruinoBoard, memoryProbe, readMemory } from "./espruino-board";
import { type StorageFiles, tagFiles, unitFiles } from "./provision-records";
import { virtualTimersSource } from "./virtual-timers";

/** A bench fleet: any 32 bytes do; the lab's root never leaves the lab. */
export const BENCH_ROOT = fromHex(
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
) as Uint8Array;
export const BENCH_TAG = 0xc0ffee;
export const BENCH_UNIT = 0xa11c;
export const BENCH_COMPANY = 0xffff;

/** What a Puck.js has and a Linux build does not: BLE and the battery. */
export const TAG_STUBS =
  "global.__adverts = 0;\n" +
  "global.NRF = { setAdvertising: function () { __adverts++; }, setServices: function () {}," +
  " getBattery: function () { return 3; } };\n";

/** What an nRF52840 home unit has and a Linux build does not. Serial1 goes nowhere. */
export const UNIT_STUBS =
  "global.peek32 = function () { return 4; };\n" + // POWER.RESETREAS: SREQ (a commanded reset)
  "global.poke32 = function () {};\n" +
  "global.analogRead = function () { return 0.6; };\n" +
  "global.NRF = { setScan: function () {}, connect: function () {}, setServices: function () {}," +
  " setAdvertising: function () {} };\n";

function provision(board: EspruinoBoard, files: StorageFiles, bundle: string, as: string): void {
  for (const name of Object.keys(files)) board.writeFile(name, files[name]);
  board.writeFile(as, bundle);
}

function measured(stdout: string, tag: string, what: string): EngineMemory {
  const m = readMemory(stdout, tag);
  if (m === null)
    throw new Error(what + ": no memory report; the engine said:\n" + stdout.slice(-1500));
  return m;
}

/** The tag `settleMs` after booting from Storage, on the engine's own timers. */
export function tagAfterBoot(bundleFile: string, settleMs = 10000): EngineMemory {
  const board = new EspruinoBoard("espruino-puck");
  try {
    provision(
      board,
      tagFiles(BENCH_ROOT, BENCH_TAG, BENCH_COMPANY),
      readFileSync(bundleFile, "latin1"),
      "tag.js",
    );
    const r = board.run(
      EspruinoBoard.bootScript(
        "tag.js",
        TAG_STUBS,
        `setTimeout(function () { ${memoryProbe("tag")} quit(); }, ${settleMs});`,
      ),
      settleMs + 30000,
    );
    return measured(r.stdout, "tag", "tag after boot");
  } finally {
    board.dispose();
  }
}

export interface Drift {
  start: EngineMemory;
  end: EngineMemory;
  hours: number;
  frames: number;
}

/** The tag over `hours` of virtual time (the harness's timers cost RAM too: compare start and
 * end, not with tagAfterBoot). */
export function tagOverTime(bundleFile: string, hours: number): Drift {
  const board = new EspruinoBoard("espruino-puck");
  try {
    provision(
      board,
      tagFiles(BENCH_ROOT, BENCH_TAG, BENCH_COMPANY),
      readFileSync(bundleFile, "latin1"),
      "tag.js",
    );
    const r = board.run(
      EspruinoBoard.bootScript(
        "tag.js",
        virtualTimersSource(1796000000) + TAG_STUBS,
        `__advance(60000); ${memoryProbe("start")}\n` +
          `for (var __h = 0; __h < ${hours}; __h++) __advance(3600000);\n` +
          `${memoryProbe("end")} print("FRAMES " + __adverts);`,
      ),
      120000 + hours * 10000,
    );
    const frames = /FRAMES (\d+)/.exec(r.stdout);
    return {
      start: measured(r.stdout, "start", "tag over time"),
      end: measured(r.stdout, "end", "tag over time"),
      hours: hours,
      frames: frames ? Number(frames[1]) : 0,
    };
  } finally {
    board.dispose();
  }
}

/** The home unit `settleMs` after booting from Storage with its records, the modem silent. */
export function unitAfterBoot(bundleFile: string, settleMs = 5000): EngineMemory {
  const board = new EspruinoBoard("espruino-jolt");
  try {
    const net = {
      brokerHost: "127.0.0.1",
      brokerPort: 1883,
      apn: "em",
      apnUser: "",
      apnPass: "",
      centreNumbers: ["+37120000001"],
      officerNumbers: ["+37120000002"],
    };
    provision(
      board,
      unitFiles(BENCH_ROOT, BENCH_UNIT, BENCH_TAG, BENCH_COMPANY, net),
      readFileSync(bundleFile, "latin1"),
      "base.js",
    );
    const r = board.run(
      EspruinoBoard.bootScript(
        "base.js",
        UNIT_STUBS + "Serial1.setup = function () {};\n",
        `setTimeout(function () { ${memoryProbe("unit")} quit(); }, ${settleMs});`,
      ),
      settleMs + 30000,
    );
    return measured(r.stdout, "unit", "home unit after boot");
  } finally {
    board.dispose();
  }
}
