// The tag's frame-counter log on espruino-puck, written PAST THE SIZE OF STORAGE (40 KB): the
// shipped tag.js booted from Storage with a provisioned em.id, its log on the two 1 KB pages the
// bench lends it (ram.ts TAG_LOG_PAGES: the top of the engine's Storage area, the only free
// flash getFree() reports there), until more than 40,960 bytes have been appended to that
// 2-page ring — ~41 page turns, ~20 erases of each page. Run by `npm run test:device`.
//
// Why reboots, not days of beacons: the log appends one 4-byte tick per 64 frames, so 40 KB of
// ticks is ~10,240 reservations ≈ 655,000 frames ≈ 60 days at 8 s; virtual time runs ~1,000
// frames a second on this engine (the 24 h test: ~10,800 frames in 14–56 s), so 60 days would
// take 10–40 minutes. But every boot reserves a new block of 64 counters at once (counterSender:
// one tick), so the run is ~10,400 boots of the real bundle on one flash: most run only until
// their first frame (a tag in a reset loop: the worst case for the log), one reservation in 1,000
// runs a virtual hour of beacons (~450 frames, 7 ticks reserved by frames, the "rebooted" flag
// expiring), and every 500 reservations the interpreter process itself is restarted on the same
// flash folder (a power cycle); in between, `load()` soft-reboots it (RAM cleared, flash kept).
// Measured: ~10–20 ms of real time per boot (much of it the tag reading its log tick by tick at
// boot: ~3 ms on an empty page, ~15 ms on a full 1 KB page): 200 s in all on 2 busy cores
// (load ~3), 136 s of CPU.
//
// Checked: every Flash.write / erasePage the tag makes falls inside the lent pages and their
// bytes add up to > 40 KB; the first and last frame of every boot verify on the host (SPEC §4
// MAC, the provisioned beacon key); the counter strictly increases across every reboot and never
// skips more than one block of K = 64; the log read back after the run holds the last
// reservation; Storage (file list, free space, every file's CRC) is exactly as provisioned; RAM
// at most 40 % of the Puck.js pool and no growth over the run.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readU16BE, readU32BE } from "@em-platform/protocol/core/bytes";
import { verifyBeaconHost } from "@em-platform/protocol/host/beacon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityFromRoot } from "../../firmware/testing/virtual-tag";
import { enginesMissing, POOL_JSVARS } from "./engines";
import type { EspruinoBoard } from "./espruino-board";
import { BENCH_COMPANY, BENCH_ROOT, BENCH_TAG, PUCK_STORAGE, TAG_LOG_PAGES } from "./ram";
import { buildShipped } from "./shipped-bundles";
import {
  benchAloneUsage,
  checkStorage,
  type LogRunPlan,
  provisionLogBench,
  readLogPages,
  runLog,
  storageSnapshot,
} from "./tag-counter-log";

const K = 64;
const STORAGE_BYTES = PUCK_STORAGE.length;
const PLAN: LogRunPlan = {
  shortMs: 0, // until the first frame
  longMs: 3600000,
  longEvery: 1000,
  hardEvery: 500,
  memEvery: 50,
  stopCounter: K * 10400, // ~10,400 reservations ≈ 41.6 KB appended
};

const missing = enginesMissing(["espruino-puck"]);
if (missing) console.log("tag counter log on espruino-puck: skipped — " + missing);

/** The value a log page holds (header base + ticks × K), or null without a valid header. */
function pageValue(page: Uint8Array): number | null {
  if (page[0] !== 0xc7 || page[1] > 1) return null;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += page[i];
  if ((sum & 255) !== page[8]) return null;
  let ticks = 0;
  for (let p = 12; p < page.length && page[p] !== 0xff; p += 4) ticks++;
  return page[1] * 2 ** 32 + readU32BE(page, 2) + ticks * readU16BE(page, 6);
}

describe.skipIf(missing !== null)(
  "tag counter log on espruino-puck, past the size of Storage",
  () => {
    let dir = ""; // made in beforeAll: a skipped run leaves nothing behind
    let board: EspruinoBoard | null = null;
    let tagFile = "";
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "em-ctrlog-"));
      tagFile = await buildShipped("tag", dir);
    });
    afterAll(async () => {
      await board?.dispose();
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    it("> 40 KB appended to the 2-page ring over ~10,400 boots: counter always fresh, Storage untouched, RAM flat", () => {
      const t0 = Date.now();
      const bench = provisionLogBench(tagFile, PLAN);
      board = bench.board;
      const before = storageSnapshot(board);
      // Storage's files end far below the lent pages (provision checks it too).
      expect(PUCK_STORAGE.addr + STORAGE_BYTES - before.free).toBeLessThan(TAG_LOG_PAGES.addr);
      const benchAlone = benchAloneUsage(board);

      const boots = runLog(board, 100);
      const runMs = Date.now() - t0;

      // Flash: everything the tag wrote fell on its two pages, and it is more than Storage holds.
      const sum = (f: (b: (typeof boots)[0]) => number) => boots.reduce((a, b) => a + f(b), 0);
      const written = sum((b) => b.written);
      const erased = sum((b) => b.erased);
      expect(sum((b) => b.outside)).toBe(0);
      expect(written).toBeGreaterThan(STORAGE_BYTES);
      expect(erased).toBeGreaterThan(2 * 19); // the ring went round ~20 times

      // Beacons: every captured frame verifies; counters strictly increase across every reboot.
      const key = identityFromRoot(BENCH_ROOT, BENCH_TAG, 1, BENCH_COMPANY).beaconKey;
      const counter = (d: Uint8Array) => {
        const r = verifyBeaconHost(key, BENCH_COMPANY, d);
        if (!r.ok || r.value.tagId !== BENCH_TAG) throw new Error("a frame did not verify");
        return r.value.counter;
      };
      let previous = -1;
      for (const b of boots) {
        const first = counter(b.first);
        const last = counter(b.last);
        expect(first % K).toBe(0); // a boot starts at its stored reservation
        expect(first).toBeGreaterThan(previous);
        expect(first - previous).toBeLessThanOrEqual(K); // at most the rest of one block lost
        expect(last - first).toBe(b.frames - 1); // one counter per frame
        previous = last;
      }
      expect(previous).toBeGreaterThanOrEqual(PLAN.stopCounter);

      // The log as left on flash: its larger page holds the last reservation.
      const pages = readLogPages(board);
      const values = [0, 1].map((i) =>
        pageValue(pages.subarray(i * PUCK_STORAGE.page, (i + 1) * PUCK_STORAGE.page)),
      );
      const stored = Math.max(...values.map((v) => v ?? -1));
      expect(stored).toBeGreaterThan(previous);
      expect(stored - previous).toBeLessThanOrEqual(K);

      // Storage: not written since provisioning.
      expect(storageSnapshot(board)).toEqual(before);
      checkStorage(board, bench.files);

      // RAM: at most 40 % of the pool for the tag (the bench's own share taken off), no growth.
      const measured = boots.filter((b) => b.usage > 0);
      const usages = measured.map((b) => b.usage);
      const high = Math.max(...usages);
      expect(measured.length).toBeGreaterThan(100);
      expect(measured[0].total).toBe(POOL_JSVARS["espruino-puck"]);
      expect(high - benchAlone).toBeLessThanOrEqual(0.4 * POOL_JSVARS["espruino-puck"]);
      expect(high - Math.min(...usages)).toBeLessThanOrEqual(16);

      const processes = boots[boots.length - 1].process + 1;
      console.log(
        `counter log: ${boots.length} boots in ${processes} processes, ${sum((b) => b.frames)} frames, ` +
          `${written} B appended (${(written / 1024).toFixed(1)} KB; Storage is ${STORAGE_BYTES / 1024} KB), ` +
          `${erased} page erases, highest counter ${previous}, stored ${stored}; ` +
          `RAM ${Math.min(...usages)}–${high} JsVars with the bench (bench alone ${benchAlone}: ` +
          `tag ≤ ${high - benchAlone} = ${((100 * (high - benchAlone)) / POOL_JSVARS["espruino-puck"]).toFixed(1)} %); ` +
          `${(runMs / 1000).toFixed(0)} s`,
      );
    }, 600_000);
  },
);
