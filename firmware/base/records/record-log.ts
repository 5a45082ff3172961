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
// its newest record; data is read from flash when asked for.

import { copyBytes, fillBytes, readU32BE, writeU32BE } from "../../../protocol/src/core/bytes";
import type { Storage } from "../../hal/hal";
import { CRC16_INIT, crc16 } from "../queue/crc16";
import type { SegmentStore } from "../queue/segment-store";

export const RECORD_PAGE_HEADER = 8;
/** Magic, name length, data length (u16) before the name; CRC-16 after the data. */
export const RECORD_OVERHEAD = 6;
/** The largest record data (an accepted schedule is ≤ ~620 bytes: record-log.test.ts). */
export const RECORD_MAX_DATA = 1024;
const MAX_NAMES = 16;
const MAX_NAME = 28;
const PAGE_MAGIC = 0xec;
const PAGE_MAGIC1 = 0x52;
const REC_MAGIC = 0xe5;

export class RecordLog implements Storage {
  private readonly store: SegmentStore;
  private readonly fallback: Storage | null;
  private readonly pageSize: number;
  /** Per page: its sequence number, 0 when erased. */
  private readonly seq: Uint32Array;
  private readonly names: string[] = [];
  /** Per name: page × pageSize + offset of its newest record, and that record's size. */
  private readonly at: Uint32Array;
  private readonly size: Uint16Array;
  private head = -1;
  private end = 0;
  private top = 0;
  /** Bytes of the newest record of every name: all of it must fit one page with a new record. */
  private live = 0;

  constructor(store: SegmentStore, fallback: Storage | null) {
    this.store = store;
    this.fallback = fallback;
    this.pageSize = store.segmentSize;
    this.seq = new Uint32Array(store.segmentCount);
    this.at = new Uint32Array(MAX_NAMES);
    this.size = new Uint16Array(MAX_NAMES);
    this.load();
  }

  /** Rebuilds the index from flash (the recovery after any reboot or power cut). */
  private load(): void {
    const st = this.store;
    const n = st.segmentCount;
    this.names.splice(0, this.names.length);
    this.live = 0;
    this.head = -1;
    this.top = 0;
    for (let i = 0; i < n; i++) {
      const h = st.read(i, 0, RECORD_PAGE_HEADER);
      const s = readU32BE(h, 4);
      this.seq[i] = 0;
      if (h[0] === PAGE_MAGIC && h[1] === PAGE_MAGIC1 && h[2] === 1 && s > 0 && s < 0xffffffff)
        this.seq[i] = s;
      else if (!this.blank(i)) st.erase(i); // a torn page header, or not ours
    }
    // Oldest page first, so a later record of a name replaces an earlier one.
    for (;;) {
      let p = -1;
      for (let i = 0; i < n; i++)
        if (this.seq[i] > this.top && (p < 0 || this.seq[i] < this.seq[p])) p = i;
      if (p < 0) break;
      this.top = this.seq[p];
      this.head = p;
      this.scan(p);
    }
    this.recover();
  }

  /** Whether a page is erased through and through. */
  private blank(i: number): boolean {
    for (let o = 0; o < this.pageSize; o += 256) {
      const b = this.store.read(i, o, Math.min(256, this.pageSize - o));
      for (let k = 0; k < b.length; k++) if (b[k] !== 255) return false;
    }
    return true;
  }

  /** Indexes a page's intact records; `end` is where the next one goes (none after a torn one). */
  private scan(i: number): void {
    const size = this.pageSize;
    let p = RECORD_PAGE_HEADER;
    this.end = size;
    while (p + RECORD_OVERHEAD <= size) {
      const h = this.store.read(i, p, 4);
      if (h[0] === 255) {
        this.end = p;
        return;
      }
      const total = RECORD_OVERHEAD + h[1] + ((h[2] << 8) | h[3]);
      if (h[0] !== REC_MAGIC || h[1] < 1 || h[1] > MAX_NAME || p + total > size) return;
      const r = this.store.read(i, p, total);
      const crc = crc16(r, 0, total - 2, CRC16_INIT);
      if (r[total - 2] !== crc >> 8 || r[total - 1] !== (crc & 255)) return;
      let name = "";
      for (let k = 0; k < r[1]; k++) name += String.fromCharCode(r[4 + k]);
      this.index(name, i * size + p, total);
      p += total;
    }
  }

  /** A page move cut short leaves no erased page: undo it, or finish it if it was done. */
  private recover(): void {
    const n = this.store.segmentCount;
    let oldest = -1;
    for (let i = 0; i < n; i++) {
      if (this.seq[i] === 0) return;
      if (oldest < 0 || this.seq[i] < this.seq[oldest]) oldest = i;
    }
    for (let k = 0; k < this.names.length; k++)
      if (Math.floor(this.at[k] / this.pageSize) === oldest) {
        // The copy did not finish: the newest page holds only copies of what the oldest still has.
        this.store.erase(this.head);
        this.load();
        return;
      }
    this.store.erase(oldest);
    this.seq[oldest] = 0;
  }

  private index(name: string, at: number, size: number): number {
    let k = this.names.indexOf(name);
    if (k < 0) {
      if (this.names.length >= MAX_NAMES) return -1;
      k = this.names.push(name) - 1;
      this.size[k] = 0;
    }
    this.live += size - this.size[k];
    this.at[k] = at;
    this.size[k] = size;
    return k;
  }

  /** Opens the next erased page; if none is left erased, empties the oldest page into it. */
  private rotate(): boolean {
    const st = this.store;
    const n = st.segmentCount;
    const size = this.pageSize;
    let next = -1;
    let oldest = -1;
    for (let k = n; k >= 1; k--) {
      const i = (this.head + k + n) % n;
      if (this.seq[i] === 0) next = i;
      else if (oldest < 0 || this.seq[i] < this.seq[oldest]) oldest = i;
    }
    if (next < 0) return false;
    const h = new Uint8Array(RECORD_PAGE_HEADER);
    h[0] = PAGE_MAGIC;
    h[1] = PAGE_MAGIC1;
    h[2] = 1;
    h[3] = 255;
    writeU32BE(h, 4, this.top + 1);
    if (!st.write(next, 0, h)) {
      st.erase(next); // not erased after all: clean it for the next try
      return false;
    }
    this.top++;
    this.seq[next] = this.top;
    this.head = next;
    this.end = RECORD_PAGE_HEADER;
    for (let i = 0; i < n; i++) if (this.seq[i] === 0) return true;
    for (let k = 0; k < this.names.length; k++) {
      const a = this.at[k];
      if (Math.floor(a / size) !== oldest) continue;
      if (!st.write(next, this.end, st.read(oldest, a % size, this.size[k]))) return false;
      this.at[k] = next * size + this.end;
      this.end += this.size[k];
    }
    st.erase(oldest);
    this.seq[oldest] = 0;
    return true;
  }

  /** Appends a record (an erasure when data is empty); false when it cannot. */
  private put(name: string, data: Uint8Array): boolean {
    const n = name.length;
    const len = data.length;
    const total = RECORD_OVERHEAD + n + len;
    const k = this.names.indexOf(name);
    if (n < 1 || n > MAX_NAME || len > RECORD_MAX_DATA) return false;
    if (k < 0 && this.names.length >= MAX_NAMES) return false;
    if (this.live - (k < 0 ? 0 : this.size[k]) + total > this.pageSize - RECORD_PAGE_HEADER)
      return false;
    const r = new Uint8Array(total);
    r[0] = REC_MAGIC;
    r[1] = n;
    r[2] = len >> 8;
    r[3] = len & 255;
    for (let i = 0; i < n; i++) r[4 + i] = name.charCodeAt(i) & 255;
    r.set(data, 4 + n);
    const crc = crc16(r, 0, total - 2, CRC16_INIT);
    r[total - 2] = crc >> 8;
    r[total - 1] = crc & 255;
    for (let tries = 0; tries < 2; tries++) {
      if ((this.head < 0 || this.end + total > this.pageSize) && !this.rotate()) return false;
      if (this.store.write(this.head, this.end, r)) {
        this.index(name, this.head * this.pageSize + this.end, total);
        this.end += total;
        return true;
      }
      this.end = this.pageSize; // a page that refuses a write takes no more
    }
    return false;
  }

  read(name: string): Uint8Array | null {
    const k = this.names.indexOf(name);
    if (k < 0) return this.fallback === null ? null : this.fallback.read(name);
    const len = this.size[k] - RECORD_OVERHEAD - name.length;
    const a = this.at[k];
    const size = this.pageSize;
    return len > 0
      ? this.store.read(Math.floor(a / size), (a % size) + 4 + name.length, len)
      : null;
  }

  write(name: string, data: Uint8Array): boolean {
    return data.length > 0 && this.put(name, data);
  }

  create(name: string, size: number, head: Uint8Array): boolean {
    if (head.length < 1 || head.length > size) return false;
    const b = new Uint8Array(size);
    fillBytes(b, 255, head.length, size);
    b.set(head, 0);
    return this.put(name, b);
  }

  /** As Storage: only into erased bytes (the log writes the whole record anew). */
  writeAt(name: string, offset: number, data: Uint8Array): boolean {
    const cur = this.read(name);
    if (cur === null || offset < 1 || offset + data.length > cur.length) return false;
    const b = copyBytes(cur);
    for (let i = 0; i < data.length; i++) {
      if (b[offset + i] !== 255) return false;
      b[offset + i] = data[i];
    }
    return this.put(name, b);
  }

  /** Erased here and in the fallback (decommissioning wipes the provisioned keys too). */
  erase(name: string): void {
    if (this.read(name) !== null) this.put(name, new Uint8Array(0));
    if (this.fallback !== null) this.fallback.erase(name);
  }

  free(): number {
    return this.pageSize - RECORD_PAGE_HEADER - this.live;
  }
}
