import { EventCode } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue";
import { RamSegmentStore } from "./ram-segment-store";

const T0 = 1795000000;
const TAG = 0xc0ffee;

function must<T>(r: { ok: true; value: T } | { ok: false; code: string; message: string }): T {
  if (!r.ok) throw new Error(r.code + ": " + r.message);
  return r.value;
}

function drainAll(q: EventQueue, batch = 32): number[] {
  const seqs: number[] = [];
  for (;;) {
    const b = q.peek(batch);
    if (b.length === 0) return seqs;
    for (const e of b) seqs.push(e.event.seq);
    q.ack(b);
  }
}

describe("flash-backed event queue", () => {
  it("holds 10,000+ alarms in 64 × 4,064 B (≤ 256 KB) and drains them in order", () => {
    const store = new RamSegmentStore(64, 4064);
    expect(store.data.length).toBeLessThanOrEqual(256 * 1024);
    const q = new EventQueue(store);
    let n = 0;
    for (;;) {
      const r = q.append(T0 + n, EventCode.strapTamper, TAG, null);
      if (!r.ok) break;
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(10_000);
    // The reboot recovery sees the same queue.
    const again = new EventQueue(store);
    expect(again.stats().pending).toBe(n);
    const seqs = drainAll(again);
    expect(seqs.length).toBe(n);
    for (let i = 0; i < n; i++) expect(seqs[i]).toBe(i);
    expect(again.stats().pending).toBe(0);
  });

  it("drains alarms before informational and technical events", () => {
    const q = new EventQueue(new RamSegmentStore(8, 1024));
    must(q.append(T0, EventCode.heartbeat, TAG, { 1: 1 }));
    must(q.append(T0 + 1, EventCode.mainsLost, null, { 1: 4000 }));
    must(q.append(T0 + 2, EventCode.strapTamper, TAG, null));
    must(q.append(T0 + 3, EventCode.leftHome, TAG, { 1: -80 }));
    must(q.append(T0 + 4, EventCode.curfewViolationStart, TAG, { 1: 1, 2: T0, 3: 1 }));
    expect(q.peek(10).map((e) => e.event.code)).toEqual([
      EventCode.strapTamper,
      EventCode.curfewViolationStart,
      EventCode.heartbeat,
      EventCode.mainsLost,
      EventCode.leftHome,
    ]);
  });

  it("events leave only when acknowledged, and survive reboots until then", () => {
    const store = new RamSegmentStore(8, 1024);
    const q = new EventQueue(store);
    for (let i = 0; i < 50; i++) must(q.append(T0 + i, EventCode.leftHome, TAG, { 1: -60 }));
    const first = q.peek(10);
    q.ack(first.slice(0, 5));
    const q2 = new EventQueue(store);
    expect(q2.stats().pending).toBe(45);
    expect(q2.peek(1)[0].event.seq).toBe(5);
    // Acknowledging twice changes nothing.
    q2.ack(first.slice(0, 5));
    expect(q2.stats().pending).toBe(45);
    // Sequence numbers continue after a reboot.
    expect(must(q2.append(T0 + 99, EventCode.returnedHome, TAG, null))).toBe(50);
  });

  it("a power cut at every byte offset of a write keeps every earlier event readable", () => {
    const probe = new RamSegmentStore(4, 512);
    const pq = new EventQueue(probe);
    for (let i = 0; i < 5; i++) must(pq.append(T0 + i, EventCode.strapTamper, TAG, null));
    const before = probe.bytesWritten;
    must(pq.append(T0 + 5, EventCode.heartbeat, TAG, { 1: 1, 2: 3000, 7: 5, 8: "0.1.0" }));
    const recordBytes = probe.bytesWritten - before;
    expect(recordBytes).toBeGreaterThan(20);

    for (let cut = 0; cut <= recordBytes; cut++) {
      const store = new RamSegmentStore(4, 512);
      const q = new EventQueue(store);
      for (let i = 0; i < 5; i++) must(q.append(T0 + i, EventCode.strapTamper, TAG, null));
      store.cutAfterBytes(cut);
      q.append(T0 + 5, EventCode.heartbeat, TAG, { 1: 1, 2: 3000, 7: 5, 8: "0.1.0" });
      store.restore();
      const rebooted = new EventQueue(store);
      const seqs = rebooted.peek(100).map((e) => e.event.seq);
      const complete = cut === recordBytes;
      expect(seqs, `cut after ${cut} bytes`).toEqual(
        complete ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 4],
      );
      // The queue goes on working after the torn record, and never reuses a sequence number.
      const next = must(rebooted.append(T0 + 6, EventCode.caseTamper, TAG, null));
      expect(next).toBeGreaterThanOrEqual(complete ? 6 : 5);
      expect(new EventQueue(store).peek(100).map((e) => e.event.seq)).toContain(next);
    }
  });

  it("a power cut while opening a segment loses nothing", () => {
    for (let cut = 0; cut <= 12; cut++) {
      const store = new RamSegmentStore(4, 128);
      const q = new EventQueue(store);
      let n = 0;
      // Fill the first segment exactly to force a segment open on the next append.
      while (store.erases.every((e) => e === 0) && n < 4) {
        must(q.append(T0 + n, EventCode.strapTamper, TAG, null));
        n++;
      }
      const pending = q.stats().pending;
      store.cutAfterBytes(cut);
      for (let i = 0; i < 10; i++) q.append(T0 + 100 + i, EventCode.strapTamper, TAG, null);
      store.restore();
      const rebooted = new EventQueue(store);
      expect(rebooted.stats().pending).toBeGreaterThanOrEqual(pending);
    }
  });

  it("when full, drops informational events first, says how many, and never drops an alarm", () => {
    const q = new EventQueue(new RamSegmentStore(6, 512));
    let alarms = 0;
    for (let i = 0; i < 400; i++) {
      const alarm = i % 10 === 0;
      const r = q.append(
        T0 + i,
        alarm ? EventCode.strapTamper : EventCode.heartbeat,
        TAG,
        alarm ? null : { 1: 1, 5: i },
      );
      if (alarm) {
        expect(r.ok, `alarm ${i}`).toBe(true);
        alarms++;
      }
    }
    const st = q.stats();
    expect(st.coalesced).toBeGreaterThan(0);
    const all = q.peek(10_000).map((e) => e.event);
    expect(all.filter((e) => e.code === EventCode.strapTamper).length).toBe(alarms);
    const overflow = all.filter((e) => e.code === EventCode.queueOverflow);
    expect(overflow.length).toBeGreaterThan(0);
    const said = overflow.reduce((s, e) => s + (e.data as Record<number, number>)[1], 0);
    expect(said).toBe(st.coalesced);
    // key 2: when the coalesced events began — the first compaction dropped the oldest heartbeat
    overflow.sort((a, b) => a.seq - b.seq);
    const from = overflow.map((e) => (e.data as Record<number, number>)[2]);
    expect(from[0]).toBe(T0 + 1);
    const kept = new Set(all.filter((e) => e.code === EventCode.heartbeat).map((e) => e.time));
    for (let k = 0; k < from.length; k++) {
      expect(kept.has(from[k])).toBe(false);
      expect(from[k]).toBeLessThanOrEqual(overflow[k].time);
      if (k > 0) expect(from[k]).toBeGreaterThan(from[k - 1]);
    }
  });

  it("a queue full of alarms refuses a new alarm with a typed error instead of dropping one", () => {
    const q = new EventQueue(new RamSegmentStore(3, 256));
    let stored = 0;
    let refused = "";
    for (let i = 0; i < 100; i++) {
      const r = q.append(T0 + i, EventCode.strapTamper, TAG, null);
      if (r.ok) stored++;
      else {
        refused = r.code;
        break;
      }
    }
    expect(refused).toBe("too_long");
    expect(q.stats().pending).toBe(stored);
  });

  it("spreads wear: erases rotate through every segment", () => {
    const store = new RamSegmentStore(16, 512);
    const q = new EventQueue(store);
    for (let i = 0; i < 20_000; i++) {
      must(q.append(T0 + i, EventCode.heartbeat, TAG, { 1: 1 }));
      if (i % 50 === 49) q.ack(q.peek(50));
    }
    const min = Math.min(...store.erases);
    const max = Math.max(...store.erases);
    expect(min).toBeGreaterThan(0);
    expect(max - min).toBeLessThanOrEqual(1);
  });
});
