// The records the home unit rewrites in operation (beacon acceptor state, frame counters, the
// open violation, the schedule, settings, a re-pairing) as a log on raw flash pages, outside
// Espruino's Storage: a rewritten Storage file stays behind as garbage until Espruino compacts
// Storage on its own, which is unsafe while the bundle runs from Storage (firmware/README.md,
// "Records"). Exposed as the HAL Storage, so base-records.ts runs on it unchanged; a name the
// log has never held is read from `fallback` (the records provisioning wrote to Storage).
//
// Page:   [0xEC 0x52 version=1 0xFF][sequence u32, 1… — the newest page is the one written to]
// Record: [0xE5][name length n][data length u16][name][data][CRC-16 over all before it]
// A record of data length 0 is an erasure. The newest intact record of a name wins.
//
// Writes only program erased bytes. When the newest page is full the next erased page (ring
// order, so wear spreads evenly) is opened; when that leaves none erased, the oldest page's live
// records are copied forward and it is erased, so one page is always in reserve. A power cut at
// any byte keeps every name's previous value: a torn record fails its CRC (and its page takes no
// more writes); a page move cut short is finished or undone at boot (`recover`).
//
// RAM: per page a sequence number, per name (≤ MAX_NAMES) its name and the place and size of
// its newest record; data is read from flash when asked for. Closures rather than a class: one
// instance, and locals minify to one letter where fields would not. At least 2 pages of ≤ 64 KB.

import { readU32BE, writeU32BE } from "@em-platform/protocol/core/bytes";
import type { Storage } from "../../hal/hal";
import { CRC16_INIT, crc16 } from "../queue/crc16";
import type { SegmentStore } from "../queue/segment-store";

export const RECORD_PAGE_HEADER = 8;
/** Magic, name length, data length (u16) before the name; CRC-16 after the data. */
export const RECORD_OVERHEAD = 6;
/** The largest record data (an accepted schedule is < 680 bytes: record-log.test.ts). */
export const RECORD_MAX_DATA = 1024;
const MAX_NAMES = 16;
const MAX_NAME = 28;
const PAGE_MAGIC = 0xec;
const PAGE_MAGIC1 = 0x52;
const REC_MAGIC = 0xe5;

export function recordLog(store: SegmentStore, fallback: Storage | null): Storage {
  const count = store.segmentCount;
  const size = store.segmentSize;
  /** Per page: its sequence number, 0 when erased. */
  const seq = new Uint32Array(count);
  const names: string[] = [];
  /** Per name: the page, offset and size of its newest record. */
  const page = new Uint8Array(MAX_NAMES);
  const at = new Uint16Array(MAX_NAMES);
  const len = new Uint16Array(MAX_NAMES);
  let head = -1;
  let end = 0;
  let top = 0;
  /** Bytes of the newest record of every name: all of it must fit one page with a new record. */
  let live = 0;

  function index(name: string, p: number, o: number, n: number): void {
    let k = names.indexOf(name);
    if (k < 0) {
      if (names.length >= MAX_NAMES) return;
      k = names.push(name) - 1;
      len[k] = 0;
    }
    live += n - len[k];
    page[k] = p;
    at[k] = o;
    len[k] = n;
  }

  /** Indexes a page's intact records; `end` is where the next one goes (none after a torn one). */
  function scan(p: number): void {
    let o = RECORD_PAGE_HEADER;
    end = size;
    while (o + RECORD_OVERHEAD <= size) {
      const h = store.read(p, o, 4);
      if (h[0] === 255) {
        end = o;
        return;
      }
      const n = RECORD_OVERHEAD + h[1] + ((h[2] << 8) | h[3]);
      if (h[0] !== REC_MAGIC || h[1] < 1 || h[1] > MAX_NAME || o + n > size) return;
      const r = store.read(p, o, n);
      const crc = crc16(r, 0, n - 2, CRC16_INIT);
      if (r[n - 2] !== crc >> 8 || r[n - 1] !== (crc & 255)) return;
      let name = "";
      for (let i = 0; i < r[1]; i++) name += String.fromCharCode(r[4 + i]);
      index(name, p, o, n);
      o += n;
    }
  }

  /** Rebuilds the index from flash: the recovery after any reboot or power cut. */
  function load(): void {
    names.splice(0, names.length);
    live = 0;
    head = -1;
    top = 0;
    for (let i = 0; i < count; i++) {
      const h = store.read(i, 0, RECORD_PAGE_HEADER);
      const s = readU32BE(h, 4);
      const ours = h[0] === PAGE_MAGIC && h[1] === PAGE_MAGIC1 && h[2] === 1;
      seq[i] = ours && s > 0 && s < 0xffffffff ? s : 0;
      // A torn page header, or not ours. (Stray bytes past an erased header only make a write
      // fail there: that page takes no more, and the next page move erases it.)
      if (seq[i] === 0 && (h[0] & h[1] & h[2] & h[3] & h[4] & h[5] & h[6] & h[7]) !== 255)
        store.erase(i);
    }
    // Oldest page first, so a later record of a name replaces an earlier one.
    let oldest = -1;
    for (;;) {
      let p = -1;
      for (let i = 0; i < count; i++) if (seq[i] > top && (p < 0 || seq[i] < seq[p])) p = i;
      if (p < 0) break;
      if (oldest < 0) oldest = p;
      top = seq[p];
      head = p;
      scan(p);
    }
    // A page move cut short leaves no page erased: undo it, or finish it if only the erase is left.
    for (let i = 0; i < count; i++) if (seq[i] === 0) return;
    for (let k = 0; k < names.length; k++)
      if (page[k] === oldest) {
        // The copy did not finish: the newest page holds only copies of what the oldest still has.
        store.erase(head);
        load();
        return;
      }
    store.erase(oldest);
    seq[oldest] = 0;
  }

  /** Opens the next erased page; if none is left erased, empties the oldest page into it. */
  function rotate(): boolean {
    let next = -1;
    let oldest = -1;
    for (let k = count; k >= 1; k--) {
      const i = (head + k + count) % count;
      if (seq[i] === 0) next = i;
      else if (oldest < 0 || seq[i] < seq[oldest]) oldest = i;
    }
    if (next < 0) return false;
    const h = new Uint8Array(RECORD_PAGE_HEADER);
    h[0] = PAGE_MAGIC;
    h[1] = PAGE_MAGIC1;
    h[2] = 1;
    h[3] = 255;
    writeU32BE(h, 4, top + 1);
    if (!store.write(next, 0, h)) {
      store.erase(next); // not erased after all: clean it for the next try
      return false;
    }
    seq[next] = ++top;
    head = next;
    end = RECORD_PAGE_HEADER;
    for (let i = 0; i < count; i++) if (seq[i] === 0) return true;
    for (let k = 0; k < names.length; k++) {
      if (page[k] !== oldest) continue;
      if (!store.write(next, end, store.read(oldest, at[k], len[k]))) return false;
      page[k] = next;
      at[k] = end;
      end += len[k];
    }
    store.erase(oldest);
    seq[oldest] = 0;
    return true;
  }

  /** Appends a record (an erasure when data is empty); false when it cannot. */
  function put(name: string, data: Uint8Array): boolean {
    const n = name.length;
    const d = data.length;
    const total = RECORD_OVERHEAD + n + d;
    const k = names.indexOf(name);
    if (n < 1 || n > MAX_NAME || d > RECORD_MAX_DATA || (k < 0 && names.length >= MAX_NAMES))
      return false;
    if (live - (k < 0 ? 0 : len[k]) + total > size - RECORD_PAGE_HEADER) return false;
    const r = new Uint8Array(total);
    r[0] = REC_MAGIC;
    r[1] = n;
    r[2] = d >> 8;
    r[3] = d & 255;
    for (let i = 0; i < n; i++) r[4 + i] = name.charCodeAt(i) & 255;
    r.set(data, 4 + n);
    const crc = crc16(r, 0, total - 2, CRC16_INIT);
    r[total - 2] = crc >> 8;
    r[total - 1] = crc & 255;
    for (let tries = 0; tries < 2; tries++) {
      if ((head < 0 || end + total > size) && !rotate()) return false;
      if (store.write(head, end, r)) {
        index(name, head, end, total);
        end += total;
        return true;
      }
      end = size; // a page that refuses a write takes no more
    }
    return false;
  }

  function read(name: string): Uint8Array | null {
    const k = names.indexOf(name);
    if (k < 0) return fallback === null ? null : fallback.read(name);
    const d = len[k] - RECORD_OVERHEAD - name.length;
    return d > 0 ? store.read(page[k], at[k] + 4 + name.length, d) : null;
  }

  load();
  return {
    read: read,
    write: (name: string, data: Uint8Array) => data.length > 0 && put(name, data),
    // Pre-sized files written in place are not for the log (the home unit's records are rewritten
    // whole, base-records.ts): refused, as Storage may refuse them.
    create: () => false,
    writeAt: () => false,
    // Erased here and in Storage (decommissioning wipes the provisioned keys too).
    erase: (name: string) => {
      if (read(name) !== null) put(name, new Uint8Array(0));
      if (fallback !== null) fallback.erase(name);
    },
    free: () => size - RECORD_PAGE_HEADER - live,
  };
}
