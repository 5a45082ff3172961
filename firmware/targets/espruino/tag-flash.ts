// The tag's counter log on raw flash pages, through require("Flash") (firmware/tag/tag-storage.ts,
// tickLog; README-tag.md, "Counter and flash"). Not Storage: the log starts a new page every few
// weeks, and a Storage file rewritten that often leaves garbage that Espruino compacts on its
// own once Storage is full — while the tag's code runs from Storage, which is unsafe. Lean on
// purpose (the tag has 8 KB); the home unit's fuller binding is flash-segment-store.ts.

import { equalBytes } from "@em-platform/protocol/core/bytes";
import type { CounterPages } from "../../tag/tag-storage";

/**
 * Two pages at the start of the first area Flash.getFree() reports (never a guessed address),
 * each as large as Flash.getPage says (4 KB on an nRF52), as the counter log's SegmentStore.
 * null, said on the console, when there is no such area or it is not page-aligned or shorter
 * than two pages: the caller keeps the log in Storage instead. Espruino's nRF52 port reports as
 * free only whole pages between the firmware's end and Storage; the Linux engine espruino-puck
 * reports Storage's own pages (see tools/engines/tag-counter-log.engine.test.ts), so there the
 * area must be given explicitly.
 *
 * Ticks are whole 32-bit words (unit 4): Flash.write takes whole words at word addresses, and
 * the nRF52 allows only a few writes to one word between erases (n_WRITE), so each word is
 * written once. Every write is read back; NOR programming only clears bits, so a write over
 * programmed bytes, or one a worn page did not take, reads back wrong and reports false.
 */
export function counterFlash(f: EspruinoFlash): CounterPages | null {
  // nRF52: one area of whole pages (firmware end rounded up to a page, up to Storage), or none.
  const a = f.getFree()[0];
  const page = a && f.getPage(a.addr);
  if (page && a.length >= 2 * page.length) {
    const size = page.length;
    return {
      unit: 4,
      segmentCount: 2,
      segmentSize: size,
      read: (p, offset, n) => f.read(n, a.addr + p * size + offset) as Uint8Array,
      // The log writes whole words at word offsets (unit 4), as Flash.write requires.
      write: (p, offset, d) => {
        const at = a.addr + p * size + offset;
        try {
          f.write(d, at);
        } catch (_e) {
          return false;
        }
        return equalBytes(f.read(d.length, at) as Uint8Array, d);
      },
      erase: (p) => f.erasePage(a.addr + p * size),
    };
  }
  console.log("em: no free flash: counter in Storage");
  return null;
}
