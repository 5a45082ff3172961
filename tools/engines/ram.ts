// RAM of the shipped bundles measured on the real engines: Espruino's process.memory() (which
// collects garbage first) in JsVars, the figure the budgets are held against. Each run boots the
// bundle from Storage as a device does, with the board functions a Linux build lacks stubbed in
// JavaScript. Harness code keeps to `__`-prefixed globals: a bundle's own names are globals too.

import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { type StorageFiles, tagFiles, unitFiles } from "../lab/provision-records";
import { type EngineMemory, EspruinoBoard, memoryProbe, readMemory } from "./espruino-board";
import { virtualTimersSource } from "./virtual-timers";

/** A bench fleet: any 32 bytes do; the lab's root never leaves the lab. */
export const BENCH_ROOT = fromHex(
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
) as Uint8Array;
export const BENCH_TAG = 0xc0ffee;
export const BENCH_UNIT = 0xa11c;
export const BENCH_COMPANY = 0xffff;

/**
 * Storage on espruino-puck: 40 KB of 1 KB pages from 0x10000000 — the whole fake flash file.
 * That engine's `require("Flash").getFree()` reports this very area as free (a real Puck.js
 * reports only whole pages between the firmware and Storage, possibly none), so a tag booted
 * there as is would put its counter log (tag-flash.ts: two pages at the start of the first free
 * area) on Storage's bottom pages, where tag.js and em.id live, and erase them.
 */
export const PUCK_STORAGE = { addr: 0x10000000, length: 40960, page: 1024 };

/**
 * The two pages the bench lends the tag's counter log: the TOP two 1 KB pages of the engine's
 * Storage area. Storage allocates files from the bottom (tag.js + em.id end at ~8.3 KB), and
 * nothing writes Storage while the tag runs, so nothing else uses them; `provision` checks that
 * Storage ends below them and `checkStorage` that every provisioned file reads back unchanged.
 */
export const TAG_LOG_PAGES = {
  addr: PUCK_STORAGE.addr + PUCK_STORAGE.length - 2 * PUCK_STORAGE.page,
  length: 2 * PUCK_STORAGE.page,
};

/** What a Puck.js has and a Linux build does not: BLE and the battery; and honest free flash:
 * getFree() reports only the two pages lent to the counter log (TAG_LOG_PAGES). */
export const TAG_STUBS =
  'var __F = require("Flash");\n' +
  `__F.getFree = function () { return [{ addr: ${TAG_LOG_PAGES.addr}, length: ${TAG_LOG_PAGES.length} }]; };\n` +
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

/** Where Storage's files end on the board (Storage.getFree() is the space after the last one). */
export function storageEnd(board: EspruinoBoard): number {
  const r = board.run('print("FREE " + require("Storage").getFree());');
  const m = /FREE (\d+)/.exec(r.stdout);
  if (!m) throw new Error("Storage.getFree(): " + r.stdout.slice(-400));
  return PUCK_STORAGE.addr + PUCK_STORAGE.length - Number(m[1]);
}

/** Writes the records and the bundle to Storage; on espruino-puck checks that they end below
 * the pages lent to the counter log (TAG_LOG_PAGES). Returns every file written. */
export function provision(
  board: EspruinoBoard,
  files: StorageFiles,
  bundle: string,
  as: string,
): StorageFiles {
  for (const name of Object.keys(files)) board.writeFile(name, files[name]);
  board.writeFile(as, bundle);
  if (board.engine === "espruino-puck") {
    const end = storageEnd(board);
    if (end > TAG_LOG_PAGES.addr - 8 * PUCK_STORAGE.page)
      throw new Error(`Storage ends at ${end}: too close to the counter log's pages`);
  }
  return { ...files, [as]: bundle };
}

/** Throws unless every provisioned file reads back from Storage byte for byte (CRC-32). */
export function checkStorage(board: EspruinoBoard, files: StorageFiles): void {
  for (const name of Object.keys(files)) {
    const want = crc32(Buffer.from(files[name], "latin1")) | 0;
    const got = board.storedCrc(name);
    if (got !== want)
      throw new Error(`${name} changed in Storage: CRC ${got}, provisioned ${want}`);
  }
}

function measured(stdout: string, tag: string, what: string): EngineMemory {
  const m = readMemory(stdout, tag);
  if (m === null)
    throw new Error(what + ": no memory report; the engine said:\n" + stdout.slice(-1500));
  return m;
}

/** A provisioned tag booted from Storage with `stubs`, `after` run once it is up; the engine's
 * output, after checking that the run left every provisioned file as it was. */
export function runTag(
  bundleFile: string,
  stubs: string,
  after: string,
  timeoutMs: number,
): string {
  const board = new EspruinoBoard("espruino-puck");
  try {
    const files = provision(
      board,
      tagFiles(BENCH_ROOT, BENCH_TAG, BENCH_COMPANY),
      readFileSync(bundleFile, "latin1"),
      "tag.js",
    );
    const r = board.run(EspruinoBoard.bootScript("tag.js", stubs, after), timeoutMs);
    checkStorage(board, files);
    return r.stdout;
  } finally {
    board.dispose();
  }
}

/** The tag `settleMs` after booting from Storage, on the engine's own timers. */
export function tagAfterBoot(bundleFile: string, settleMs = 10000): EngineMemory {
  const out = runTag(
    bundleFile,
    TAG_STUBS,
    `setTimeout(function () { ${memoryProbe("tag")} quit(); }, ${settleMs});`,
    settleMs + 30000,
  );
  return measured(out, "tag", "tag after boot");
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
  const out = runTag(
    bundleFile,
    virtualTimersSource(1796000000) + TAG_STUBS,
    `__advance(60000); ${memoryProbe("start")}\n` +
      `for (var __h = 0; __h < ${hours}; __h++) __advance(3600000);\n` +
      `${memoryProbe("end")} print("FRAMES " + __adverts);`,
    120000 + hours * 10000,
  );
  const frames = /FRAMES (\d+)/.exec(out);
  return {
    start: measured(out, "start", "tag over time"),
    end: measured(out, "end", "tag over time"),
    hours: hours,
    frames: frames ? Number(frames[1]) : 0,
  };
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
