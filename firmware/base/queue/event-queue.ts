// The home unit's flash-backed event queue. Every event stays in flash until the transport
// confirms delivery; a power cut at any byte of a write loses nothing written before it;
// normal operation only appends into erased bytes (no garbage, no rewrite); alarms are never
// dropped. On-flash format and capacity: firmware/README.md, "Event queue".
//
// Segment: [0xEE 0x51 version=1 0xFF][generation u32][first seq u32] then records.
// Record:  [0xE7][body length L][class][ack: 0xFF pending, 0x00 delivered][body: L bytes][CRC-16]
// The body is the event exactly as it goes into an uplink: CBOR [seq, time, code, tag id, data].
// The CRC covers magic, length, class and body — not the ack byte, written later.

import { copyBytes, readU32BE, writeU32BE } from "@em-platform/protocol/core/bytes";
import {
  type CborMap,
  type CborValue,
  decodeCbor,
  encodeCbor,
} from "@em-platform/protocol/core/cbor";
import { ErrorCode, fail, ok, type Result } from "@em-platform/protocol/core/errors";
import {
  EventClass,
  EventCode,
  eventClass,
  type QueueOverflowData,
} from "@em-platform/protocol/core/events";
import type { UplinkEvent } from "@em-platform/protocol/core/uplink";
import { CRC16_INIT, crc16 } from "./crc16";
import type { SegmentStore } from "./segment-store";

const SEG_MAGIC0 = 0xee;
const SEG_MAGIC1 = 0x51;
const SEG_VERSION = 1;
export const SEGMENT_HEADER = 12;
const REC_MAGIC = 0xe7;
const REC_OVERHEAD = 6;
const MAX_BODY = 255;

/** Where a queued event sits, so the transport can acknowledge exactly it. */
export interface QueuedEvent {
  segment: number;
  offset: number;
  event: UplinkEvent;
}

export interface QueueStats {
  pending: number;
  pendingAlarms: number;
  freeSegments: number;
  coalesced: number;
  tornRecords: number;
}

/**
 * Each segment's state is one slot in six typed arrays rather than an object per segment:
 * measured on Espruino 2v29, 64 objects of six fields cost ~900 variables; these cost ~90.
 * Offsets and counts fit 16 bits: a segment is at most 64 KB (one flash page is 4 KB).
 */
export class EventQueue {
  private readonly store: SegmentStore;
  private readonly count: number;
  /** Per segment: 0 = erased (free). */
  private readonly gen: Uint32Array;
  /** Per segment: end of valid records; appends go here. */
  private readonly end: Uint16Array;
  /** Per segment: 1 when a torn record was found (nothing more is written to it). */
  private readonly sealed: Uint8Array;
  private readonly alarms: Uint16Array;
  private readonly others: Uint16Array;
  private current = -1;
  private generation = 0;
  private nextSeq = 0;
  private coalescedTotal = 0;
  /** Time of the oldest event the last compaction dropped; −1 when unreadable. */
  private oldestDropped = -1;
  private tornTotal = 0;
  private readonly header = new Uint8Array(SEGMENT_HEADER);

  constructor(store: SegmentStore) {
    if (store.segmentCount < 3) throw new Error("queue: need at least 3 segments");
    if (store.segmentSize > 0xffff) throw new Error("queue: a segment is at most 64 KB");
    this.store = store;
    const n = store.segmentCount;
    this.count = n;
    this.gen = new Uint32Array(n);
    this.end = new Uint16Array(n);
    this.sealed = new Uint8Array(n);
    this.alarms = new Uint16Array(n);
    this.others = new Uint16Array(n);
    let newest = -1;
    for (let i = 0; i < n; i++) {
      this.scan(i);
      if (this.gen[i] > this.generation) {
        this.generation = this.gen[i];
        newest = i;
      }
    }
    this.current = newest;
  }

  private pending(i: number): number {
    return this.alarms[i] + this.others[i];
  }

  /** Rebuilds one segment's state from flash: the recovery after any reboot or power cut. */
  private scan(i: number): void {
    const h = this.store.read(i, 0, SEGMENT_HEADER);
    if (h[0] === 0xff && h[1] === 0xff) {
      // Free — unless a torn header left bytes further in; erase to be sure it is clean.
      if (h[4] !== 0xff || h[8] !== 0xff) this.store.erase(i);
      return;
    }
    if (h[0] !== SEG_MAGIC0 || h[1] !== SEG_MAGIC1 || h[2] !== SEG_VERSION) {
      // A header torn while being written holds no records yet: reclaim it.
      this.store.erase(i);
      return;
    }
    const generation = readU32BE(h, 4);
    const first = readU32BE(h, 8);
    if (generation === 0xffffffff || first === 0xffffffff) {
      this.store.erase(i);
      return;
    }
    this.gen[i] = generation;
    if (first > this.nextSeq) this.nextSeq = first;
    let p = SEGMENT_HEADER;
    const size = this.store.segmentSize;
    while (p + REC_OVERHEAD <= size) {
      const head = this.store.read(i, p, 4);
      if (head[0] === 0xff) break;
      const len = head[1];
      const total = len + REC_OVERHEAD;
      if (head[0] !== REC_MAGIC || len === 0 || p + total > size || !this.recordIntact(i, p, len)) {
        this.sealed[i] = 1;
        this.tornTotal++;
        break;
      }
      if (head[3] === 0xff) {
        if (head[2] === EventClass.alarm) this.alarms[i]++;
        else this.others[i]++;
      }
      const seq = this.seqAt(i, p, len);
      if (seq >= this.nextSeq) this.nextSeq = seq + 1;
      p += total;
    }
    this.end[i] = p;
  }

  private recordIntact(i: number, p: number, len: number): boolean {
    const r = this.store.read(i, p, len + REC_OVERHEAD);
    let crc = crc16(r, 0, 3, CRC16_INIT);
    crc = crc16(r, 4, 4 + len, crc);
    return r[4 + len] === crc >> 8 && r[5 + len] === (crc & 255);
  }

  private bodyAt(i: number, p: number, len: number): UplinkEvent | null {
    const d = decodeCbor(copyBytes(this.store.read(i, p + 4, len)));
    if (!d.ok || !Array.isArray(d.value) || d.value.length !== 5) return null;
    const a = d.value;
    return {
      seq: a[0] as number,
      time: a[1] as number,
      code: a[2] as number,
      tagId: a[3] as number | null,
      data: a[4] as CborMap | null,
    };
  }

  private seqAt(i: number, p: number, len: number): number {
    const e = this.bodyAt(i, p, len);
    return e ? e.seq : -1;
  }

  private openSegment(i: number): boolean {
    this.generation++;
    writeU32BE(this.header, 4, this.generation);
    writeU32BE(this.header, 8, this.nextSeq);
    this.header[0] = SEG_MAGIC0;
    this.header[1] = SEG_MAGIC1;
    this.header[2] = SEG_VERSION;
    this.header[3] = 0xff;
    if (!this.store.write(i, 0, this.header)) return false;
    this.gen[i] = this.generation;
    this.end[i] = SEGMENT_HEADER;
    this.sealed[i] = 0;
    this.alarms[i] = 0;
    this.others[i] = 0;
    this.current = i;
    return true;
  }

  private freeCount(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.gen[i] === 0) n++;
    return n;
  }

  /** The next free segment after the current one in ring order: wear spreads evenly. */
  private nextFree(): number {
    const n = this.count;
    for (let k = 1; k <= n; k++) {
      const i = (this.current + k + n) % n;
      if (this.gen[i] === 0) return i;
    }
    return -1;
  }

  private eraseSegment(i: number): void {
    this.store.erase(i);
    this.gen[i] = 0;
    this.end[i] = 0;
    this.sealed[i] = 0;
    this.alarms[i] = 0;
    this.others[i] = 0;
  }

  /** Erases every non-current segment whose events have all been delivered. */
  private reclaim(): void {
    for (let i = 0; i < this.count; i++)
      if (i !== this.current && this.gen[i] !== 0 && this.pending(i) === 0) this.eraseSegment(i);
  }

  /**
   * Makes room when only the reserve segment is left: the oldest segment holding undelivered
   * informational events is rewritten into the reserve without them (alarms and technical events
   * are copied), then erased to become the new reserve. Appends continue in the copy. Returns
   * the number of events dropped, or -1 if no segment holds an informational event.
   */
  private compact(): number {
    const order = this.segmentsByAge();
    let victim = -1;
    for (let k = 0; k < order.length && victim < 0; k++) {
      const i = order[k];
      if (i !== this.current && this.others[i] > 0 && this.hasInformational(i)) victim = i;
    }
    if (victim < 0) return -1;
    const spare = this.nextFree();
    if (spare < 0 || !this.openSegment(spare)) return -1;
    let dropped = 0;
    let p = SEGMENT_HEADER;
    while (p < this.end[victim]) {
      const head = this.store.read(victim, p, 4);
      const len = head[1];
      if (head[3] === 0xff) {
        if (head[2] === EventClass.informational) {
          if (dropped === 0) {
            const e = this.bodyAt(victim, p, len);
            this.oldestDropped = e === null ? -1 : e.time;
          }
          dropped++;
        } else {
          const rec = copyBytes(this.store.read(victim, p, len + REC_OVERHEAD));
          if (!this.store.write(spare, this.end[spare], rec)) return -1;
          this.end[spare] += rec.length;
          if (head[2] === EventClass.alarm) this.alarms[spare]++;
          else this.others[spare]++;
        }
      }
      p += len + REC_OVERHEAD;
    }
    this.eraseSegment(victim);
    this.coalescedTotal += dropped;
    return dropped;
  }

  private hasInformational(i: number): boolean {
    let p = SEGMENT_HEADER;
    while (p < this.end[i]) {
      const head = this.store.read(i, p, 4);
      if (head[3] === 0xff && head[2] === EventClass.informational) return true;
      p += head[1] + REC_OVERHEAD;
    }
    return false;
  }

  private writeRecord(body: Uint8Array, cls: number): boolean {
    const need = body.length + REC_OVERHEAD;
    const c = this.current;
    if (c < 0 || this.sealed[c] || this.end[c] + need > this.store.segmentSize) {
      this.reclaim();
      // Keep one erased segment in reserve for compaction.
      if (this.freeCount() <= 1) return false;
      if (!this.openSegment(this.nextFree())) return false;
    }
    const i = this.current;
    const rec = new Uint8Array(need);
    rec[0] = REC_MAGIC;
    rec[1] = body.length;
    rec[2] = cls;
    rec[3] = 0xff;
    rec.set(body, 4);
    let crc = crc16(rec, 0, 3, CRC16_INIT);
    crc = crc16(rec, 4, 4 + body.length, crc);
    rec[4 + body.length] = crc >> 8;
    rec[5 + body.length] = crc & 255;
    if (!this.store.write(i, this.end[i], rec)) {
      // Bytes that should be erased are not (a torn write we did not see): seal and move on.
      this.sealed[i] = 1;
      return false;
    }
    this.end[i] += need;
    if (cls === EventClass.alarm) this.alarms[i]++;
    else this.others[i]++;
    return true;
  }

  private tryAppend(body: Uint8Array, cls: number): boolean {
    if (this.writeRecord(body, cls)) return true;
    // A sealed or full segment: one retry after opening the next one.
    return this.writeRecord(body, cls);
  }

  /**
   * Queues an event and returns its sequence number. When flash is full, informational events
   * are dropped from the oldest segment first (and a queue_overflow event records how many);
   * if only alarms and technical events remain, a new informational event is refused and an
   * alarm or technical event fails with `too_long` (queue full) — never silently: the app keeps
   * refused alarms until an ack makes room and reports queue_refused (base-app.ts).
   */
  append(time: number, code: number, tagId: number | null, data: CborMap | null): Result<number> {
    const seq = this.nextSeq;
    const body = encodeCbor([seq, time, code, tagId, data] as CborValue);
    if (body.length > MAX_BODY) return fail(ErrorCode.tooLong, "event body over 255 bytes");
    const cls = eventClass(code);
    if (!this.tryAppend(body, cls)) {
      const dropped = this.compact();
      if (dropped < 0) {
        if (cls === EventClass.informational) {
          this.coalescedTotal++;
          return fail(ErrorCode.tooLong, "queue full of alarms: informational event dropped");
        }
        return fail(ErrorCode.tooLong, "queue full of alarms and technical events");
      }
      if (!this.tryAppend(body, cls)) return fail(ErrorCode.tooLong, "queue full");
      this.nextSeq = seq + 1;
      if (dropped > 0) this.appendOverflow(time, dropped);
      return ok(seq);
    }
    this.nextSeq = seq + 1;
    return ok(seq);
  }

  private appendOverflow(time: number, dropped: number): void {
    const seq = this.nextSeq;
    const data: QueueOverflowData = { 1: dropped };
    if (this.oldestDropped >= 0) data[2] = this.oldestDropped;
    const body = encodeCbor([seq, time, EventCode.queueOverflow, null, data as CborMap]);
    if (this.tryAppend(body, EventClass.technical)) this.nextSeq = seq + 1;
  }

  /** Up to `max` undelivered events: alarms first, then the rest, each in storage order. */
  peek(max: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    const order = this.segmentsByAge();
    for (let pass = 0; pass < 2 && out.length < max; pass++) {
      const wantAlarm = pass === 0;
      for (let k = 0; k < order.length && out.length < max; k++) {
        const i = order[k];
        if ((wantAlarm ? this.alarms[i] : this.others[i]) === 0) continue;
        let p = SEGMENT_HEADER;
        while (p < this.end[i] && out.length < max) {
          const head = this.store.read(i, p, 4);
          const len = head[1];
          if (head[3] === 0xff && (head[2] === EventClass.alarm) === wantAlarm) {
            const e = this.bodyAt(i, p, len);
            if (e) out.push({ segment: i, offset: p, event: e });
          }
          p += len + REC_OVERHEAD;
        }
      }
    }
    return out;
  }

  private segmentsByAge(): number[] {
    const order: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.gen[i] !== 0) order.push(i);
    const gen = this.gen;
    order.sort((a, b) => gen[a] - gen[b]);
    return order;
  }

  /** Marks events delivered (after the broker's PUBACK). Unknown or repeated handles are ignored. */
  ack(events: QueuedEvent[]): void {
    const done = new Uint8Array([0]);
    for (let k = 0; k < events.length; k++) {
      const q = events[k];
      const i = q.segment;
      if (!(i >= 0 && i < this.count) || this.gen[i] === 0 || q.offset >= this.end[i]) continue;
      const head = this.store.read(q.segment, q.offset, 4);
      if (head[0] !== REC_MAGIC || head[3] !== 0xff) continue;
      const cls = head[2];
      if (!this.store.write(q.segment, q.offset + 3, done)) continue;
      if (cls === EventClass.alarm) this.alarms[i]--;
      else this.others[i]--;
    }
    this.reclaim();
  }

  stats(): QueueStats {
    let pending = 0;
    let alarms = 0;
    for (let i = 0; i < this.count; i++) {
      pending += this.pending(i);
      alarms += this.alarms[i];
    }
    return {
      pending: pending,
      pendingAlarms: alarms,
      freeSegments: this.freeCount(),
      coalesced: this.coalescedTotal,
      tornRecords: this.tornTotal,
    };
  }

  /** The sequence number the next event will get. */
  peekSeq(): number {
    return this.nextSeq;
  }
}
