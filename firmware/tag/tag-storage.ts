// What the tag keeps in flash, and how it survives power cuts. Record layouts are documented in
// README-tag.md ("Flash records"); all numbers big-endian.
//
// Two rules from hal.ts Storage shape everything here:
// - rewriting a file erases the old copy before writing the new one, so a value that must never
//   be lost is written as a new copy under a SECOND name; loading takes the newest valid copy;
// - appending into erased bytes is cheap and makes no garbage, so the frame counter grows by
//   one "tick" byte per reservation instead of rewriting a file every K frames;
// - Storage must never need compacting while the tag's code runs from it, so the record written
//   every ~8.5 min (the counter's tick log) lives on raw flash pages outside Storage, erased
//   page by page in a ring (SegmentStore, the seam the home unit's event queue uses too).

import {
  readU16BE,
  readU32BE,
  sliceBytes,
  writeU16BE,
  writeU32BE,
} from "@em-platform/protocol/core/bytes";
import type { CounterStore } from "@em-platform/protocol/core/counter-rules";
import type { SegmentStore } from "../base/queue/segment-store";
import type { Storage } from "../hal/hal";

/** What the tag uses of the HAL's Storage. */
export type TagStorage = Pick<Storage, "read" | "create" | "writeAt">;

// ---------------------------------------------------------------- identity (written by provisioning)

/** Written once by the lab's provisioning tool; read-only for the tag. */
export const IDENTITY_RECORD = "em.id";
export const IDENTITY_LENGTH = 72;
const IDENTITY_FORMAT = 1;

export interface TagIdentity {
  tagId: number;
  keyVersion: number;
  /** Bluetooth SIG company id the beacons are sent under (0xFFFF until a deployer has one). */
  companyId: number;
  beaconKey: Uint8Array;
  commandKey: Uint8Array;
}

/** null when the record is absent, of another format or length, or names tag id 0. */
export function parseIdentity(b: Uint8Array | null): TagIdentity | null {
  if (b === null || b.length !== IDENTITY_LENGTH || b[0] !== IDENTITY_FORMAT) return null;
  const tagId = readU32BE(b, 1);
  if (tagId === 0) return null;
  return {
    tagId: tagId,
    keyVersion: b[5],
    companyId: readU16BE(b, 6),
    // Copies: the record may be a view of flash.
    beaconKey: sliceBytes(b, 8, 40),
    commandKey: sliceBytes(b, 40, 72),
  };
}

export function encodeIdentity(id: TagIdentity): Uint8Array {
  const b = new Uint8Array(IDENTITY_LENGTH);
  b[0] = IDENTITY_FORMAT;
  writeU32BE(b, 1, id.tagId);
  b[5] = id.keyVersion;
  writeU16BE(b, 6, id.companyId);
  b.set(id.beaconKey, 8);
  b.set(id.commandKey, 40);
  return b;
}

/** The check byte of a record: the sum of its first n bytes mod 256, at offset n. */
function sum8(b: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += b[i];
  return s & 255;
}

function seal(b: Uint8Array, n: number): void {
  b[n] = sum8(b, n);
}

function sealed(b: Uint8Array, n: number): boolean {
  return b[n] === sum8(b, n);
}

// ---------------------------------------------------------------- frame counter (SPEC §3, K = 64)

/** The counter log's pages when the board has no free flash pages (Storage files; fallback). */
export const COUNTER_FILES = ["em.ctr0", "em.ctr1"];
/** 256 bytes: 247 reservations per file, ~35 h at 8 s per frame before the other file is used. */
export const COUNTER_FILE_SIZE = 256;
const CTR_MAGIC = 0xc7;
const CTR_HEAD = 9; // magic, base (5 bytes: 0/1 then uint32), step K (2), check
const COUNTERS = 0x100000000; // 2^32: every counter used

/** The pages the counter log lives on (a SegmentStore) and the size of one tick. */
export interface CounterPages extends SegmentStore {
  /** Bytes per tick: 1 on Storage files (Espruino widens such writes itself); 4 on raw nRF52
   * flash, so every 32-bit word is programmed once between erases (the NVMC's n_WRITE limit). */
  unit: number;
}

/**
 * Where the beacon counter (SPEC §3's sender rule: counterSender in
 * protocol/src/core/counter-rules.ts) keeps its reservation: a tick log over a ring of pages
 * (README-tag.md, "Counter and flash"). On the board the pages are raw flash pages outside
 * Storage (targets/espruino/tag-flash.ts); without free pages, two Storage files
 * (`storagePages`). `save` throws when flash refuses, so the counter it would have reserved is
 * never used.
 *
 * A page starts with a header holding a base value and its step K; every tick after it whose
 * first byte is not erased adds K (a half-programmed tick also counts: the safe way). Ticks are
 * appended in order, so the programmed ones are a prefix of the page. A
 * reservation that is the last one + K appends one tick; anything else (a full page, a refused
 * tick, another K, the first one) erases the next page of the ring and writes a header there.
 * `load` takes the largest value of any page, so a power cut while a page is started leaves the
 * previous page, still valid; the page erased is always the older one.
 */
export function tickLog(pages: CounterPages, k: number): CounterStore {
  const unit = pages.unit;
  const first = (CTR_HEAD + unit - 1) & -unit; // the first tick, word-aligned for unit 4
  const tick = new Uint8Array(unit);
  const size = pages.segmentSize; // a whole number of ticks after the header
  let slot = -1; // the page holding the reservation, and what it says:
  let reserved = 0;
  let step = 0; // K of that page
  let pos = 0; // next tick offset
  return {
    load: () => {
      slot = -1;
      for (let i = 0; i < pages.segmentCount; i++) {
        const b = pages.read(i, 0, CTR_HEAD);
        if (b[0] !== CTR_MAGIC || b[1] > 1 || !sealed(b, CTR_HEAD - 1)) continue;
        // The first erased tick (read one by one: a 4 KB page at once would cost 4 KB of RAM).
        let p = first;
        while (p < size && pages.read(i, p, 1)[0] !== 0xff) p += unit;
        const v = b[1] * COUNTERS + readU32BE(b, 2) + ((p - first) / unit) * readU16BE(b, 6);
        if (slot < 0 || v > reserved) {
          slot = i;
          reserved = v;
          step = readU16BE(b, 6);
          pos = p;
        }
      }
      return slot < 0 ? null : reserved;
    },
    save: (v) => {
      if (slot >= 0 && v === reserved + step && pos < size && pages.write(slot, pos, tick))
        pos += unit;
      else {
        const next = (slot + 1) % pages.segmentCount;
        const head = new Uint8Array(first);
        head[0] = CTR_MAGIC;
        head[1] = v >= COUNTERS ? 1 : 0;
        writeU32BE(head, 2, v % COUNTERS);
        writeU16BE(head, 6, k);
        seal(head, CTR_HEAD - 1);
        pages.erase(next);
        if (!pages.write(next, 0, head)) throw 0; // flash refused: no counter reserved
        slot = next;
        step = k;
        pos = first;
      }
      reserved = v;
    },
  };
}

/**
 * The counter log's pages as Storage files, each pre-sized (`size` bytes) when its header is
 * written: the fallback for a board without free flash pages. Starting a page rewrites the file,
 * so the old copy becomes garbage for Storage's compactor (README-tag.md, "Counter and flash").
 * An absent file reads as zeros (no header).
 */
export function storagePages(storage: TagStorage, names: string[], size: number): CounterPages {
  return {
    unit: 1,
    segmentCount: names.length,
    segmentSize: size,
    read: (p, offset, n) => {
      const b = storage.read(names[p]);
      return b === null ? new Uint8Array(n) : b.subarray(offset, offset + n);
    },
    write: (p, offset, d) =>
      offset > 0 ? storage.writeAt(names[p], offset, d) : storage.create(names[p], size, d),
    erase: () => {}, // create replaces the file
  };
}

// ---------------------------------------------------------------- latches, interval, command counter

export const STATE_RECORDS = ["em.st0", "em.st1"];
const STATE_LENGTH = 14;
const STATE_COMMIT = 0x5a;

/** Latch bits as in the re-arm mask (SPEC §5). */
export const Latch = { strap: 0x01, case: 0x02 } as const;

export interface TagState {
  /** Latch bits (Latch.strap, Latch.case). */
  latches: number;
  /** Beacon interval set by command, seconds; 0 = the configured default. */
  intervalS: number;
  /** Highest accepted tag-command counter, -1 before the first. */
  cmdHighest: number;
}

export interface StateStore {
  /** The newest valid copy, or defaults when there is none. Call once before save. */
  load(): TagState;
  /** Throws when flash refuses the write: the caller must not act as if it were saved. */
  save(s: TagState): void;
}

/**
 * The tag's small durable state, written on change only (a latch, a re-arm, a command), as a
 * 14-byte record alternating between two names; each copy carries a sequence number, a sum and
 * a commit byte written last, and `load` takes the valid copy with the highest sequence number.
 */
export function stateStore(storage: TagStorage): StateStore {
  let seq = 0;
  let slot = -1;
  return {
    load: () => {
      const s: TagState = { latches: 0, intervalS: 0, cmdHighest: -1 };
      slot = -1;
      for (let i = 0; i < 2; i++) {
        const b = storage.read(STATE_RECORDS[i]);
        if (b === null || b.length !== STATE_LENGTH || b[STATE_LENGTH - 1] !== STATE_COMMIT)
          continue;
        const n = readU32BE(b, 0);
        if (!sealed(b, STATE_LENGTH - 2) || (slot >= 0 && n <= seq)) continue;
        slot = i;
        seq = n;
        s.latches = b[4];
        s.intervalS = readU16BE(b, 5);
        s.cmdHighest = b[7] ? readU32BE(b, 8) : -1;
      }
      return s;
    },
    save: (s) => {
      const b = new Uint8Array(STATE_LENGTH);
      const target = slot === 0 ? 1 : 0;
      writeU32BE(b, 0, seq + 1);
      b[4] = s.latches;
      writeU16BE(b, 5, s.intervalS);
      if (s.cmdHighest >= 0) {
        b[7] = 1;
        writeU32BE(b, 8, s.cmdHighest);
      }
      seal(b, STATE_LENGTH - 2);
      b[STATE_LENGTH - 1] = STATE_COMMIT;
      if (!storage.create(STATE_RECORDS[target], STATE_LENGTH, b)) throw 0; // flash refused
      slot = target;
      seq++;
    },
  };
}
