import { EventCode } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import { EventQueue } from "../../base/queue/event-queue";
import { VirtualNor } from "../../testing/virtual-flash";
import {
  FLASH_PAGE,
  FlashSegmentStore,
  findFreeFlash,
  findQueueFlash,
} from "./flash-segment-store";

/** require("Flash") with nRF52 NOR rules: words only, programming ANDs bits, erase by page. */
class NorFlash implements EspruinoFlash {
  readonly mem: Uint8Array;
  writes = 0;
  erases = 0;
  constructor(
    readonly start: number,
    readonly size: number,
    readonly free: { addr: number; length: number }[],
  ) {
    this.mem = new Uint8Array(size).fill(0xff);
  }
  getFree() {
    return this.free;
  }
  getPage(addr: number) {
    const a = Math.floor(addr / FLASH_PAGE) * FLASH_PAGE;
    return { addr: a, length: FLASH_PAGE };
  }
  erasePage(addr: number) {
    const a = Math.floor((addr - this.start) / FLASH_PAGE) * FLASH_PAGE;
    this.mem.fill(0xff, a, a + FLASH_PAGE);
    this.erases++;
  }
  write(data: Uint8Array, addr: number) {
    if (addr & 3 || data.length & 3) throw new Error("Data and address must be multiples of 4");
    for (let i = 0; i < data.length; i++) this.mem[addr - this.start + i] &= data[i];
    this.writes++;
  }
  read(length: number, addr: number) {
    return this.mem.slice(addr - this.start, addr - this.start + length);
  }
}

const BASE = 0x80000;

describe("queue flash on raw nRF52 pages", () => {
  it("widens unaligned writes to words without disturbing neighbouring bytes", () => {
    const f = new NorFlash(BASE, 4 * FLASH_PAGE, []);
    const s = new FlashSegmentStore(f, BASE, 4);
    expect(s.write(1, 5, Uint8Array.of(1, 2, 3))).toBe(true);
    expect(s.write(1, 8, Uint8Array.of(4, 5, 6, 7, 8))).toBe(true);
    expect(s.write(1, 3, Uint8Array.of(9, 10))).toBe(true);
    expect([...s.read(1, 2, 13)]).toEqual([0xff, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff]);
    expect([...f.mem.subarray(0, FLASH_PAGE)].every((b) => b === 0xff)).toBe(true);
  });

  it("refuses to overwrite programmed bytes, writing nothing", () => {
    const f = new NorFlash(BASE, 2 * FLASH_PAGE, []);
    const s = new FlashSegmentStore(f, BASE, 2);
    expect(s.write(0, 0, Uint8Array.of(0x0f, 0xf0))).toBe(true);
    const writes = f.writes;
    expect(s.write(0, 1, Uint8Array.of(0xff, 0x00))).toBe(false);
    expect(s.write(0, 0, Uint8Array.of(0x0f, 0xf0, 0x55))).toBe(true); // same bytes + an erased one
    expect(f.writes).toBe(writes + 1);
    expect([...s.read(0, 0, 3)]).toEqual([0x0f, 0xf0, 0x55]);
    expect(s.write(0, FLASH_PAGE - 1, Uint8Array.of(1, 2))).toBe(false);
    expect(s.write(2, 0, Uint8Array.of(1))).toBe(false);
  });

  it("reports a write the page did not take", () => {
    const f = new NorFlash(BASE, FLASH_PAGE, []);
    f.write = () => {}; // a worn page: the program operation does nothing
    const s = new FlashSegmentStore(f, BASE, 1);
    expect(s.write(0, 0, Uint8Array.of(1))).toBe(false);
  });

  it("erases exactly one page per segment", () => {
    const f = new NorFlash(BASE, 3 * FLASH_PAGE, []);
    const s = new FlashSegmentStore(f, BASE, 3);
    for (let seg = 0; seg < 3; seg++) s.write(seg, 0, Uint8Array.of(seg));
    s.erase(1);
    expect(s.read(0, 0, 1)[0]).toBe(0);
    expect(s.read(1, 0, 1)[0]).toBe(0xff);
    expect(s.read(2, 0, 1)[0]).toBe(2);
  });

  it("finds a page-aligned free run, or none (never a guessed address)", () => {
    const f = new NorFlash(BASE, FLASH_PAGE, [
      { addr: 0x70010, length: 3 * FLASH_PAGE },
      { addr: 0x90000, length: 8 * FLASH_PAGE },
    ]);
    expect(findQueueFlash(f, 2)).toBe(0x71000);
    expect(findQueueFlash(f, 3)).toBe(0x90000);
    expect(findQueueFlash(f, 9)).toBeNull();
    // The record log's pages after the queue's: never overlapping them.
    expect(findFreeFlash(f, 2, 0x71000 + 2 * FLASH_PAGE)).toBe(0x90000);
    expect(findFreeFlash(f, 2, 0x90000 + 3 * FLASH_PAGE)).toBe(0x93000);
    expect(findFreeFlash(f, 1, 0x90001)).toBe(0x91000);
    expect(findFreeFlash(f, 6, 0x93000)).toBeNull();
  });

  it("carries the real event queue: appended events survive a reopen and drain in order", () => {
    const f = new NorFlash(BASE, 8 * FLASH_PAGE, []);
    const s = new FlashSegmentStore(f, BASE, 8);
    const q = new EventQueue(s);
    for (let i = 0; i < 600; i++) {
      const r = q.append(1795000000 + i, EventCode.strapTamper, 0xc0ffee, null);
      expect(r.ok).toBe(true);
    }
    const again = new EventQueue(new FlashSegmentStore(f, BASE, 8));
    expect(again.stats().pending).toBe(600);
    const seqs: number[] = [];
    for (;;) {
      const b = again.peek(50);
      if (b.length === 0) break;
      for (const e of b) seqs.push(e.event.seq);
      again.ack(b);
    }
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(600);
  });
});

describe("the event queue on nRF52 flash words", () => {
  it("programs no word more than twice between erases (nWRITE = 2), whatever the record sizes", () => {
    const base = 0x40000;
    const nor = new VirtualNor(base, FLASH_PAGE, 6);
    const q = new EventQueue(new FlashSegmentStore(nor, base, 6));
    let worst = 0;
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 400; round++) {
      // Bodies of every length mod 4 (data maps of 0…7 small entries), then a random ack batch.
      for (let k = rnd(12); k >= 0; k--) {
        const data: { [key: number]: number } = {};
        for (let j = rnd(8); j > 0; j--) data[j] = rnd(300);
        expect(q.append(1795000000 + round, EventCode.mainsLost, null, data).ok).toBe(true);
      }
      q.ack(q.peek(1 + rnd(12)));
      for (const w of nor.wordWrites) worst = Math.max(worst, w);
    }
    expect(nor.erases.reduce((a, b) => a + b, 0)).toBeGreaterThan(6); // the ring turned
    expect(worst).toBeLessThanOrEqual(2);
  });
});
