import { counterSender } from "@em-platform/protocol/core/counters";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { counterFlash } from "../targets/espruino/tag-flash";
import { VirtualFlash, VirtualNor } from "../testing/virtual-flash";
import {
  COUNTER_FILE_SIZE,
  COUNTER_FILES,
  encodeIdentity,
  IDENTITY_LENGTH,
  parseIdentity,
  stateStore,
  storagePages,
  type TagState,
  tickLog,
} from "./tag-storage";

const K = 64;

/** The Storage-file pages of the counter log (the fallback, and the pre-issue-9 layout). */
function files(flash: VirtualFlash) {
  return storagePages(flash, COUNTER_FILES, COUNTER_FILE_SIZE);
}

/** The beacon counter as tag-app.ts builds it: SPEC §3's sender rule over the tick log. */
function beaconCounter(flash: VirtualFlash, k = K): () => number {
  return counterSender(tickLog(files(flash), k), k);
}

describe("identity record (em.id)", () => {
  it("round-trips and rejects wrong length, format and tag id 0", () => {
    const id = {
      tagId: 0x01020304,
      keyVersion: 7,
      companyId: 0xffff,
      beaconKey: new Uint8Array(32).fill(0xb1),
      commandKey: new Uint8Array(32).fill(0xc2),
    };
    const b = encodeIdentity(id);
    expect(b.length).toBe(IDENTITY_LENGTH);
    expect(parseIdentity(b)).toEqual(id);
    expect(parseIdentity(null)).toBeNull();
    expect(parseIdentity(b.subarray(0, 71))).toBeNull();
    const f = b.slice();
    f[0] = 2;
    expect(parseIdentity(f)).toBeNull();
    const z = encodeIdentity({ ...id, tagId: 0 });
    expect(parseIdentity(z)).toBeNull();
  });
});

/** A counter file as the tag writes it: base, K, check byte, then `ticks` programmed ticks. */
function counterFile(base: number, k: number, ticks: number): Uint8Array {
  const b = new Uint8Array(COUNTER_FILE_SIZE).fill(0xff);
  b.set([0xc7, base >= 2 ** 32 ? 1 : 0], 0);
  new DataView(b.buffer).setUint32(2, base % 2 ** 32);
  new DataView(b.buffer).setUint16(6, k);
  b[8] = b.subarray(0, 8).reduce((s, x) => s + x, 0) & 255;
  b.fill(0, 9, 9 + ticks);
  return b;
}

describe("beacon counter over the tick log", () => {
  it("a reservation costs one byte appended; a full file moves to the other name", () => {
    const flash = new VirtualFlash(40960);
    const log = tickLog(files(flash), K);
    expect(log.load()).toBeNull();
    const next = counterSender(log, K); // the first reservation (64) at once: a file
    expect(flash.writes).toBe(1);
    expect(next()).toBe(0);
    for (let c = 1; c < 64 * 248; c++) expect(next()).toBe(c); // 247 ticks fill the file
    expect(flash.writesByName[COUNTER_FILES[0]]).toBe(248);
    expect(flash.bytesWritten).toBe(9 + 247);
    expect(flash.read(COUNTER_FILES[0])).toEqual(counterFile(64, K, 247));
    expect(next()).toBe(64 * 248); // no room for a tick: the other file
    expect(flash.writesByName[COUNTER_FILES[1]]).toBe(1);
    expect(flash.read(COUNTER_FILES[1])).toEqual(counterFile(64 * 249, K, 0));
    // A reboot continues above the larger reservation.
    expect(tickLog(files(flash), K).load()).toBe(64 * 249);
    expect(beaconCounter(flash)()).toBe(64 * 249);
    expect(flash.violations).toBe(0);
  });

  it("counts up to 2^32 − 1 and then refuses (the exhausted reservation is 2^32)", () => {
    const flash = new VirtualFlash(40960);
    flash.create(
      COUNTER_FILES[0],
      COUNTER_FILE_SIZE,
      counterFile(2 ** 32 - 2, K, 0).subarray(0, 9),
    );
    const next = beaconCounter(flash);
    expect(next()).toBe(2 ** 32 - 2);
    expect(next()).toBe(2 ** 32 - 1);
    expect(next()).toBe(-1);
    expect(flash.read(COUNTER_FILES[1])).toEqual(counterFile(2 ** 32, K, 0));
    // A used-up tag sends nothing and writes nothing at boot.
    const writes = flash.writes;
    expect(beaconCounter(flash)()).toBe(-1);
    expect(flash.writes).toBe(writes);
  });

  it("a new K (firmware update) starts a new file with the right meaning", () => {
    const flash = new VirtualFlash(40960);
    const a = beaconCounter(flash, 64);
    for (let i = 0; i < 65; i++) a(); // reservations 64, 128
    const b = beaconCounter(flash, 16);
    expect(b()).toBe(128);
    expect(flash.read(COUNTER_FILES[1])).toEqual(counterFile(144, 16, 0));
    for (let i = 0; i < 16; i++) b();
    expect(beaconCounter(flash, 16)()).toBe(160);
  });

  it("a power cut at any flash operation never lets a counter repeat", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 12, maxLength: 12 }),
        (framesPerBoot, cuts) => {
          const flash = new VirtualFlash(40960);
          let highest = -1;
          for (let boot = 0; boot < framesPerBoot.length; boot++) {
            flash.cutPowerAfter(cuts[boot]); // the power fails somewhere in this boot
            try {
              const next = beaconCounter(flash);
              for (let i = 0; i < framesPerBoot[boot]; i++) {
                const c = next();
                if (c <= highest) return false;
                highest = c;
              }
            } catch {
              // died: the frame being prepared was never sent
            }
            flash.restorePower();
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("StateStore", () => {
  const a: TagState = { latches: 1, intervalS: 0, cmdHighest: -1 };
  const b: TagState = { latches: 3, intervalS: 30, cmdHighest: 0xfffffffe };

  it("starts with defaults and returns the last saved state across 'reboots'", () => {
    const flash = new VirtualFlash(40960);
    expect(stateStore(flash).load()).toEqual({ latches: 0, intervalS: 0, cmdHighest: -1 });
    const s = stateStore(flash);
    s.load();
    s.save(a);
    s.save(b);
    expect(stateStore(flash).load()).toEqual(b);
    const t = stateStore(flash);
    t.load();
    t.save(a);
    expect(stateStore(flash).load()).toEqual(a);
  });

  it("a power cut at every possible flash operation leaves the old or the new state, never neither", () => {
    for (let cut = 0; cut < 40; cut++) {
      const flash = new VirtualFlash(40960);
      const s = stateStore(flash);
      s.load();
      s.save(a);
      s.save(a); // both names written once
      flash.cutPowerAfter(cut);
      let saved = true;
      try {
        s.save(b);
      } catch {
        saved = false;
      }
      flash.restorePower();
      const got = stateStore(flash).load();
      if (saved) expect(got).toEqual(b);
      else expect([a, b]).toContainEqual(got);
    }
  });
});

describe("counter log on raw flash pages (tag-flash.ts over a virtual nRF52 NOR)", () => {
  it("24 months at 8 s ± 10 %, reboots sprinkled in: monotonic, never reused, wear far below 10,000", () => {
    const nor = new VirtualNor(0x6a000, 4096, 2);
    const pages = () => {
      const p = counterFlash(nor);
      if (p === null) throw new Error("no pages");
      return p;
    };
    let next = counterSender(tickLog(pages(), K), K);
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const months = 24;
    const frames = Math.round((months * 30.44 * 86400) / 8); // mean 8 s per frame
    let last = -1;
    let reboots = 0;
    for (let i = 0; i < frames; i++) {
      if (rnd() < 1 / 20000) {
        next = counterSender(tickLog(pages(), K), K); // a reboot: resume above the stored value
        reboots++;
      }
      const c = next();
      if (c <= last) throw new Error("counter " + c + " after " + last);
      last = c;
    }
    expect(reboots).toBeGreaterThan(200);
    const appends = nor.writes;
    expect(appends).toBeGreaterThan(frames / 64); // ~124,000: one word per reservation
    expect(Math.max(...nor.wordWrites)).toBe(1); // every word once between erases (n_WRITE)
    // 4 KB page: 12-byte header + 1,021 ticks; 2 pages take turns.
    expect(Math.max(...nor.erases)).toBeLessThan(100);
    expect(Math.max(...nor.erases) - Math.min(...nor.erases)).toBeLessThanOrEqual(1);
    console.info(
      `24 months: ${frames} frames, ${appends} word writes, ${reboots} reboots, erases per page ${nor.erases.join("/")}`,
    );
  });

  it("a power cut at every word write or erase never loses the stored value nor lets it go back", () => {
    for (let cut = 0; cut < 1100; cut += 1) {
      const nor = new VirtualNor(0x6a000, 1024, 2); // 1 KB pages: page changes within reach
      let next = counterSender(tickLog(counterFlash(nor)!, K), K);
      for (let i = 0; i < 64 * 300; i++) next(); // 300 reservations: pages filled and erased
      const before = tickLog(counterFlash(nor)!, K).load() as number;
      nor.cutPowerAfter(cut % 400);
      let highest = before - 1;
      try {
        for (let i = 0; i < 64 * 400; i++) highest = next();
      } catch {
        // the power went
      }
      nor.restorePower();
      const after = tickLog(counterFlash(nor)!, K).load() as number;
      expect(after).toBeGreaterThanOrEqual(before);
      expect(after).toBeGreaterThan(highest); // nothing sent is ever reused
      next = counterSender(tickLog(counterFlash(nor)!, K), K);
      expect(next()).toBeGreaterThan(highest);
    }
  });

  it("Storage pages: the log there (no free flash, or older firmware) uses the old layout", () => {
    const nor = new VirtualNor(0x6a000, 4096, 1); // one page: not enough for a ring
    expect(counterFlash(nor)).toBeNull();
  });
});
