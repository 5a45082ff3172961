// The event queue's SegmentStore (firmware/base/queue/segment-store.ts) on raw flash pages, one
// 4 KB nRF52 page per segment, through require("Flash"). Not Storage files: erasing a Storage
// file leaves its bytes as garbage until a compaction, and compacting while the bundle runs
// from Storage can garble the code that runs from it; the queue erases a segment every ~4 KB of
// events, so it lives outside Storage, in pages Espruino reports as free (Flash.getFree()).
//
// Flash.write takes whole 32-bit words at word addresses. A record starts and ends anywhere,
// so a write is widened to whole words padded with 0xFF: programming a 1 leaves a bit as it was,
// so the neighbours' bytes survive — the same thing Espruino's Storage does for unaligned
// appends. Every write is read back: a page that did not take the bytes reports false, and
// the queue treats that as a failed write (it seals the segment and moves on).

import type { SegmentStore } from "../../base/queue/segment-store";

export const FLASH_PAGE = 4096;

export class FlashSegmentStore implements SegmentStore {
  readonly segmentCount: number;
  readonly segmentSize = FLASH_PAGE;
  private readonly flash: EspruinoFlash;
  private readonly base: number;

  constructor(flash: EspruinoFlash, base: number, segmentCount: number) {
    this.flash = flash;
    this.base = base;
    this.segmentCount = segmentCount;
  }

  read(segment: number, offset: number, length: number): Uint8Array {
    if (length <= 0) return new Uint8Array(0);
    const b = this.flash.read(length, this.base + segment * FLASH_PAGE + offset);
    return b === undefined ? new Uint8Array(length) : b;
  }

  write(segment: number, offset: number, bytes: Uint8Array): boolean {
    const n = bytes.length;
    if (segment < 0 || segment >= this.segmentCount || offset < 0 || offset + n > FLASH_PAGE)
      return false;
    if (n === 0) return true;
    const now = this.read(segment, offset, n);
    for (let i = 0; i < n; i++) if (now[i] !== 0xff && now[i] !== bytes[i]) return false;
    const first = offset & ~3;
    const words = new Uint8Array(((offset + n + 3) & ~3) - first);
    for (let i = 0; i < words.length; i++) words[i] = 0xff;
    for (let i = 0; i < n; i++) words[offset - first + i] = bytes[i];
    const at = this.base + segment * FLASH_PAGE;
    try {
      this.flash.write(words, at + first);
    } catch (_e) {
      return false;
    }
    const back = this.read(segment, offset, n);
    for (let i = 0; i < n; i++) if (back[i] !== bytes[i]) return false;
    return true;
  }

  erase(segment: number): void {
    if (segment >= 0 && segment < this.segmentCount)
      this.flash.erasePage(this.base + segment * FLASH_PAGE);
  }
}

/**
 * The first free, page-aligned run of `segmentCount` pages Espruino reports, or null (the caller
 * must then refuse to start the queue on flash: guessing an address could erase firmware).
 */
export function findQueueFlash(flash: EspruinoFlash, segmentCount: number): number | null {
  return findFreeFlash(flash, segmentCount, 0);
}

/**
 * As findQueueFlash, for a run that starts at or after `from`: the home unit's record log
 * (base/records/record-log.ts) takes the pages after the queue's, never overlapping them.
 */
export function findFreeFlash(flash: EspruinoFlash, pages: number, from: number): number | null {
  const need = pages * FLASH_PAGE;
  const areas = flash.getFree();
  for (let i = 0; i < areas.length; i++) {
    const start = Math.ceil(Math.max(areas[i].addr, from) / FLASH_PAGE) * FLASH_PAGE;
    if (start + need <= areas[i].addr + areas[i].length) return start;
  }
  return null;
}
