// The tag's frame-counter log (firmware/tag/tag-storage.ts tickLog over
// firmware/targets/espruino/tag-flash.ts) run on espruino-puck past the size of Storage: the real
// tag.js booted from Storage over and over on one flash, its beacons captured from the
// NRF.setAdvertising stub, every Flash.write/erasePage the tag makes counted and checked to fall
// on the two pages the bench lends it (ram.ts TAG_LOG_PAGES). Used by
// tag-counter-log.engine.test.ts, which says why the run is made of reboots.
//
// The bench's own code is a Storage file ("__bench.js", written at provisioning with tag.js and
// em.id) so it runs from flash as the tag does and costs the pool only its variables; it keeps to
// `__`-prefixed globals (the bundle's minified names are globals too).

import { readFileSync } from "node:fs";
import { tagFiles } from "../lab/provision-records";
import { EspruinoBoard } from "./espruino-board";
import {
  BENCH_COMPANY,
  BENCH_ROOT,
  BENCH_TAG,
  checkStorage,
  provision,
  TAG_LOG_PAGES,
  TAG_STUBS,
} from "./ram";
import { virtualTimersSource } from "./virtual-timers";

/** How each boot runs: `longEvery`-th reservation boots run `longMs` of virtual time, the others
 * `shortMs`; the interpreter process itself is restarted (a power cycle) every `hardEvery`
 * reservations; the run ends once a frame's counter reaches `stopCounter`. */
export interface LogRunPlan {
  shortMs: number;
  longMs: number;
  longEvery: number;
  hardEvery: number;
  /** process.memory() (a garbage collection: ~0.2 ms) at the end of every `memEvery`-th. */
  memEvery: number;
  stopCounter: number;
}

/** One boot as the bench saw it. */
export interface BootRecord {
  /** The process (power cycle) it ran in, from 0. */
  process: number;
  first: Uint8Array;
  last: Uint8Array;
  frames: number;
  /** Bytes the tag programmed with Flash.write, and pages it erased, in this boot. */
  written: number;
  erased: number;
  /** Flash writes or erases outside TAG_LOG_PAGES (must be 0). */
  outside: number;
  /** process.memory().usage at the end of the boot (after a garbage collection); 0: not
   * measured in this boot. */
  usage: number;
  total: number;
}

export interface StorageSnapshot {
  list: string[];
  free: number;
  crcs: { [name: string]: number };
}

const LO = TAG_LOG_PAGES.addr;
const HI = TAG_LOG_PAGES.addr + TAG_LOG_PAGES.length;

/** Everything the bench sets up before the tag boots. */
function benchSetup(): string {
  return (
    "global.__st = setTimeout;\n" + // the engine's own timer, for the reboot
    virtualTimersSource(1796000000) +
    TAG_STUBS +
    "global.__first = null; global.__last = null; global.__wb = 0; global.__er = 0; global.__out = 0;\n" +
    "NRF.setAdvertising = function (a, o) { __adverts++; if (__first === null) __first = o.manufacturerData; __last = o.manufacturerData; };\n" +
    "global.__fw = __F.write; global.__fe = __F.erasePage;\n" +
    `__F.write = function (d, a) { __wb += d.length; if (a < ${LO} || a + d.length > ${HI}) __out++; return __fw.call(__F, d, a); };\n` +
    `__F.erasePage = function (a) { __er++; if (a < ${LO} || a >= ${HI}) __out++; return __fe.call(__F, a); };\n` +
    "global.__c = function (d) { return d[5] * 16777216 + (d[6] << 16) + (d[7] << 8) + d[8]; };\n"
  );
}

/** Engine-side source of __bench0.js: the bench alone, a frame captured, no tag — its RAM is
 * what the bench itself costs the pool. */
export function benchAloneSource(): string {
  return (
    benchSetup() +
    "__first = __last = new Uint8Array(20); __advance(1000);\n" +
    'global.__mem = process.memory(); print("BENCH " + __mem.usage); quit();\n'
  );
}

/** Engine-side source of __bench.js for a plan. */
export function benchSource(p: LogRunPlan): string {
  return (
    benchSetup() +
    'eval(require("Storage").read("tag.js"));\n' +
    "if (__first === null) __advance(1000);\n" +
    "global.__m = __c(__first) / 64;\n" +
    `__advance(__m % ${p.longEvery} === ${Math.floor(p.longEvery / 2)} ? ${p.longMs} : ${p.shortMs});\n` +
    `global.__mem = __m % ${p.memEvery} === 0 ? process.memory() : { usage: 0, total: 0 };\n` +
    'print("B " + btoa(E.toString(__first)) + " " + btoa(E.toString(__last)) + " " + __adverts + " " + __wb + " " + __er + " " + __out + " " + __mem.usage + " " + __mem.total);\n' +
    `if (__c(__last) >= ${p.stopCounter}) { print("DONE"); quit(); }\n` +
    `else if (__m % ${p.hardEvery} === 0) { print("CYCLE"); quit(); }\n` +
    'else __st(function () { load("__bench.js"); }, 0);\n'
  );
}

/** A board with the tag provisioned (em.id, tag.js) and the bench beside it in Storage. */
export function provisionLogBench(
  bundleFile: string,
  plan: LogRunPlan,
): { board: EspruinoBoard; files: { [name: string]: string } } {
  const board = new EspruinoBoard("espruino-puck");
  const files = provision(
    board,
    {
      ...tagFiles(BENCH_ROOT, BENCH_TAG, BENCH_COMPANY),
      "__bench.js": benchSource(plan),
      "__bench0.js": benchAloneSource(),
    },
    readFileSync(bundleFile, "latin1"),
    "tag.js",
  );
  return { board, files };
}

/** Storage's file list, free space and every file's CRC as the engine reads them. */
export function storageSnapshot(board: EspruinoBoard): StorageSnapshot {
  const r = board.run(
    'var __S = require("Storage"); var __l = __S.list(); var __o = { list: __l, free: __S.getFree(), crcs: {} };\n' +
      "for (var __i = 0; __i < __l.length; __i++) __o.crcs[__l[__i]] = E.CRC32(__S.read(__l[__i])) | 0;\n" +
      'print("SNAP " + JSON.stringify(__o));',
  );
  const m = /SNAP (\{[^\n]*\})/.exec(r.stdout);
  if (!m) throw new Error("Storage snapshot: " + r.stdout.slice(-400));
  return JSON.parse(m[1]) as StorageSnapshot;
}

/** JsVars the bench alone holds at the point where a boot is measured (no tag). */
export function benchAloneUsage(board: EspruinoBoard): number {
  const r = board.run('eval(require("Storage").read("__bench0.js"));\n');
  const m = /BENCH (\d+)/.exec(r.stdout);
  if (!m) throw new Error("the bench alone: " + r.stdout.slice(-400));
  return Number(m[1]);
}

/** The two lent pages as the engine's Flash.read returns them. */
export function readLogPages(board: EspruinoBoard): Uint8Array {
  const r = board.run(
    `var __o = ""; for (var __a = ${LO}; __a < ${HI}; __a += 256) __o += btoa(E.toString(require("Flash").read(256, __a)));\n` +
      'print("PAGES " + __o);',
  );
  const m = /PAGES ([A-Za-z0-9+/=]+)/.exec(r.stdout);
  if (!m) throw new Error("reading the log pages: " + r.stdout.slice(-400));
  // each 256-byte chunk is its own base64 string (344 characters)
  const out = new Uint8Array(TAG_LOG_PAGES.length);
  for (let i = 0; i * 344 < m[1].length; i++)
    out.set(Buffer.from(m[1].slice(i * 344, (i + 1) * 344), "base64"), i * 256);
  return out;
}

/**
 * Boots the tag from the bench over and over until the plan's stop counter: one interpreter
 * process after another on the same flash folder, each soft-rebooting (`load()`) until its
 * `hardEvery` mark. Returns every boot in order.
 */
export function runLog(board: EspruinoBoard, maxProcesses: number): BootRecord[] {
  const boots: BootRecord[] = [];
  for (let proc = 0; proc < maxProcesses; proc++) {
    const r = board.run('eval(require("Storage").read("__bench.js"));\n', 120000);
    for (const line of r.stdout.split(/\r?\n/)) {
      const b = /^B (\S+) (\S+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(line);
      if (!b) continue;
      boots.push({
        process: proc,
        first: new Uint8Array(Buffer.from(b[1], "base64")),
        last: new Uint8Array(Buffer.from(b[2], "base64")),
        frames: Number(b[3]),
        written: Number(b[4]),
        erased: Number(b[5]),
        outside: Number(b[6]),
        usage: Number(b[7]),
        total: Number(b[8]),
      });
    }
    if (/DONE/.test(r.stdout)) return boots;
    if (!/CYCLE/.test(r.stdout) || r.timedOut)
      throw new Error(
        `process ${proc} ended without finishing (exit ${r.exitCode}${r.timedOut ? ", timed out" : ""}):\n` +
          r.stdout.slice(-1500) +
          r.stderr.slice(-500),
      );
  }
  throw new Error(`not done after ${maxProcesses} processes`);
}

export { checkStorage };
