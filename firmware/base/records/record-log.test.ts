import { encodeCbor } from "@em-platform/protocol/core/cbor";
import { describe, expect, it } from "vitest";
import type { Storage } from "../../hal/hal";
import { VirtualFlash } from "../../testing/virtual-flash";
import { loadSchedule, RecordName, saveSchedule } from "../base-records";
import { RamSegmentStore } from "../queue/ram-segment-store";
import type { SegmentStore } from "../queue/segment-store";
import { decodeSchedule, MAX_WINDOWS, type ScheduleWindow } from "../schedule/schedule";
import { ScheduleStore } from "../schedule/schedule-store";
import { RECORD_MAX_DATA, RECORD_OVERHEAD, RECORD_PAGE_HEADER, recordLog } from "./record-log";

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const str = (b: Uint8Array | null) => (b === null ? null : String.fromCharCode(...b));

/**
 * Flash with a power cut after `budget` elementary operations, counted across calls: each byte
 * programmed is one, each page erase is one (erases are all or nothing). After the cut nothing
 * reaches flash and writes report failure, as on a board whose supply is gone.
 */
class CutStore implements SegmentStore {
  readonly segmentCount: number;
  readonly segmentSize: number;
  ops = 0;
  constructor(
    readonly inner: RamSegmentStore,
    private budget = -1,
  ) {
    this.segmentCount = inner.segmentCount;
    this.segmentSize = inner.segmentSize;
  }
  private dead(): boolean {
    return this.budget >= 0 && this.ops >= this.budget;
  }
  read(segment: number, offset: number, length: number): Uint8Array {
    return this.inner.read(segment, offset, length);
  }
  write(segment: number, offset: number, b: Uint8Array): boolean {
    if (this.dead()) return false;
    const n = this.budget < 0 ? b.length : Math.min(b.length, this.budget - this.ops);
    if (n < b.length) {
      // Bytes already equal to what is wanted are taken as programmed: check first.
      if (!this.inner.write(segment, offset, b.subarray(0, n))) return false;
      this.ops += n;
      return false;
    }
    const ok = this.inner.write(segment, offset, b);
    if (ok) this.ops += n;
    return ok;
  }
  erase(segment: number): void {
    if (this.dead()) return;
    this.ops++;
    this.inner.erase(segment);
  }
}

function erasedPages(s: RamSegmentStore): number {
  let n = 0;
  for (let p = 0; p < s.segmentCount; p++)
    if (s.read(p, 0, s.segmentSize).every((b) => b === 0xff)) n++;
  return n;
}

describe("record log on raw flash pages", () => {
  it("round trip, the newest record wins, and a reboot reads the same", () => {
    const s = new RamSegmentStore(4, 512);
    const log = recordLog(s, null);
    expect(log.read("a")).toBeNull();
    expect(log.write("a", text("one"))).toBe(true);
    expect(log.write("b", bytes(1, 2, 3, 4))).toBe(true);
    expect(log.write("a", text("two!"))).toBe(true);
    expect(str(log.read("a"))).toBe("two!");
    const again = recordLog(s, null);
    expect(str(again.read("a"))).toBe("two!");
    expect([...again.read("b")!]).toEqual([1, 2, 3, 4]);
    again.erase("a");
    expect(again.read("a")).toBeNull();
    expect(recordLog(s, null).read("a")).toBeNull();
    expect([...recordLog(s, null).read("b")!]).toEqual([1, 2, 3, 4]);
    expect(s.erases.every((e) => e === 0)).toBe(true); // appends only
  });

  it("reads provisioned names from Storage until it holds them, and never writes Storage", () => {
    const storage = new VirtualFlash(64 * 1024);
    storage.write("em.unit", text("identity"));
    storage.write("em.pair", text("tag 1"));
    const writes = storage.writes;
    const log = recordLog(new RamSegmentStore(4, 512), storage);
    expect(str(log.read("em.unit"))).toBe("identity");
    expect(str(log.read("em.pair"))).toBe("tag 1");
    expect(log.write("em.pair", text("tag 2"))).toBe(true);
    expect(str(log.read("em.pair"))).toBe("tag 2");
    expect(str(storage.read("em.pair"))).toBe("tag 1");
    expect(storage.writes).toBe(writes);
    // Erasing (decommissioning) removes it in both places, and Storage's copy is shadowed.
    log.erase("em.unit");
    expect(log.read("em.unit")).toBeNull();
    expect(storage.read("em.unit")).toBeNull();
    log.erase("em.absent"); // nothing anywhere: nothing written
    expect(log.free()).toBe(512 - RECORD_PAGE_HEADER - (RECORD_OVERHEAD * 2 + 14 + 5));
  });

  it("refuses pre-sized files written in place (records are rewritten whole)", () => {
    const log = recordLog(new RamSegmentStore(4, 512), null);
    expect(log.create("f", 6, bytes(1, 2))).toBe(false);
    expect(log.write("f", bytes(1, 2))).toBe(true);
    expect(log.writeAt("f", 2, bytes(3, 4))).toBe(false);
    expect([...log.read("f")!]).toEqual([1, 2]);
    expect(log.write("f", bytes())).toBe(false); // Storage: data.length >= 1
  });

  it("moves to the next page when full, copies the oldest page's live records, keeps a reserve", () => {
    const s = new RamSegmentStore(4, 256);
    const log = recordLog(s, null);
    log.write("keep", text("written once"));
    for (let i = 0; i < 1000; i++) {
      expect(log.write("ctr", bytes(i >> 8, i & 255))).toBe(true);
      expect(erasedPages(s)).toBeGreaterThanOrEqual(1);
      if (i % 37 === 0) {
        const r = recordLog(s, null);
        expect(str(r.read("keep"))).toBe("written once");
        expect([...r.read("ctr")!]).toEqual([i >> 8, i & 255]);
      }
    }
    expect(str(log.read("keep"))).toBe("written once");
    // Ring order: wear spreads evenly.
    expect(Math.max(...s.erases) - Math.min(...s.erases)).toBeLessThanOrEqual(1);
    expect(Math.min(...s.erases)).toBeGreaterThan(8);
  });

  it("a full log refuses a record rather than lose one; the rest still works", () => {
    const s = new RamSegmentStore(3, 256);
    const log = recordLog(s, null);
    const fit: string[] = [];
    for (let i = 0; i < 20; i++) {
      const name = "r" + i;
      if (!log.write(name, new Uint8Array(30).fill(i))) break;
      fit.push(name);
    }
    expect(fit.length).toBeGreaterThan(3);
    expect(fit.length).toBeLessThan(20);
    for (let k = 0; k < 50; k++) expect(log.write("r0", new Uint8Array(30).fill(k))).toBe(true);
    // Neither a new name nor a bigger record that would leave too little room for a page move.
    expect(log.write("r" + fit.length, new Uint8Array(30))).toBe(false);
    expect(log.write("r1", new Uint8Array(100))).toBe(false);
    const again = recordLog(s, null);
    for (let i = 1; i < fit.length; i++)
      expect([...again.read(fit[i])!]).toEqual(Array(30).fill(i));
    expect(again.read("r0")![0]).toBe(49);
    const big = recordLog(new RamSegmentStore(3, 4096), null);
    expect(big.write("x", new Uint8Array(RECORD_MAX_DATA))).toBe(true);
    expect(big.write("y", new Uint8Array(RECORD_MAX_DATA + 1))).toBe(false);
    expect(big.write("n".repeat(29), bytes(1))).toBe(false);
    for (let i = 0; i < 16; i++) big.write("n" + i, bytes(i));
    expect(big.write("one-too-many", bytes(1))).toBe(false);
  });

  it("erases pages that are not its own at boot, and copes with stray bytes in an erased one", () => {
    const s = new RamSegmentStore(3, 256);
    s.write(1, 0, bytes(0xec, 0x52)); // a torn page header
    s.write(2, 100, bytes(1, 2, 3)); // stray bytes past an erased header
    const log = recordLog(s, null);
    expect(s.erases).toEqual([0, 1, 0]);
    for (let i = 0; i < 100; i++) expect(log.write("a" + (i % 3), bytes(i, i, i, i))).toBe(true);
    const again = recordLog(s, null);
    for (let k = 0; k < 3; k++)
      expect([...again.read("a" + k)!]).toEqual(Array(4).fill([99, 97, 98][k]));
    expect(s.erases[2]).toBeGreaterThan(0); // a page move erased it
  });

  /** A log of a few records mid-page, then `step` under a power cut after `cut` operations. */
  function cutRun(
    geometry: [number, number],
    setup: (log: Storage) => void,
    step: (log: Storage) => void,
    cut: number,
  ): { store: RamSegmentStore; total: number } {
    const inner = new RamSegmentStore(geometry[0], geometry[1]);
    const cs = new CutStore(inner);
    setup(recordLog(cs, null));
    const before = cs.ops;
    const measure = new CutStore(inner, cut < 0 ? -1 : before + cut);
    measure.ops = before;
    step(recordLog(measure, null));
    return { store: inner, total: measure.ops - before };
  }

  it("a power cut at every byte of a write keeps the old value or takes the new one whole", () => {
    const setup = (log: Storage) => {
      log.write("a", text("old a"));
      log.write("b", text("old b"));
    };
    const step = (log: Storage) => {
      log.write("a", text("the new value of a"));
    };
    const { total } = cutRun([3, 256], setup, step, -1);
    expect(total).toBe(RECORD_OVERHEAD + 1 + 18);
    for (let cut = 0; cut <= total; cut++) {
      const { store } = cutRun([3, 256], setup, step, cut);
      const log = recordLog(store, null);
      expect(str(log.read("a")), `cut ${cut}`).toBe(cut === total ? "the new value of a" : "old a");
      expect(str(log.read("b"))).toBe("old b");
      // It goes on working after the torn record, across a reboot.
      expect(log.write("a", text("after"))).toBe(true);
      expect(log.write("c", text("c"))).toBe(true);
      const again = recordLog(store, null);
      expect(str(again.read("a"))).toBe("after");
      expect(str(again.read("b"))).toBe("old b");
      expect(str(again.read("c"))).toBe("c");
      expect(erasedPages(store)).toBeGreaterThanOrEqual(1);
    }
  });

  it("a power cut at every byte of a page move (header, copies, erase, record) loses nothing", () => {
    // 3 pages of 128 B: fill until the next write opens the reserve and empties the oldest page.
    const values: { [name: string]: string } = {};
    let counts = 0;
    const setup = (log: Storage) => {
      const w = (n: string, v: string) => {
        expect(log.write(n, text(v))).toBe(true);
        values[n] = v;
      };
      w("keep1", "first page, live");
      w("ctr", "0000");
      w("keep2", "also live");
      for (let i = 1; i <= counts; i++) w("ctr", String(i).padStart(4, "0"));
    };
    const step = (log: Storage) => {
      log.write("ctr", text("next"));
    };
    // The first fill after which the step is a page move: it erases a page and copies records.
    let probe = cutRun([3, 128], setup, step, -1);
    while (probe.store.erases.reduce((a, b) => a + b, 0) === 0) {
      counts++;
      probe = cutRun([3, 128], setup, step, -1);
    }
    expect(probe.store.erases.reduce((a, b) => a + b, 0)).toBe(1);
    expect(probe.total).toBeGreaterThan(RECORD_PAGE_HEADER + 40);
    for (let cut = 0; cut <= probe.total; cut++) {
      const { store } = cutRun([3, 128], setup, step, cut);
      const log = recordLog(store, null);
      expect(str(log.read("keep1")), `cut ${cut}`).toBe(values.keep1);
      expect(str(log.read("keep2")), `cut ${cut}`).toBe(values.keep2);
      expect([values.ctr, "next"]).toContain(str(log.read("ctr")));
      if (cut === probe.total) expect(str(log.read("ctr"))).toBe("next");
      expect(erasedPages(store), `cut ${cut}`).toBeGreaterThanOrEqual(1);
      for (let k = 0; k < 30; k++) expect(log.write("ctr", text("k" + k))).toBe(true);
      const again = recordLog(store, null);
      expect(str(again.read("keep1"))).toBe(values.keep1);
      expect(str(again.read("keep2"))).toBe(values.keep2);
      expect(str(again.read("ctr"))).toBe("k29");
    }
  });

  it("holds the largest schedule the command path accepts next to every other record", () => {
    // The biggest encoding any accepted schedule can have: every uint at its widest, the zone a
    // POSIX rule of the longest length the unit takes (64 characters, SPEC §11).
    const widest = encodeCbor({
      1: 0xffffffff,
      2: 0xffffffff,
      3: 0xffffffff,
      4: "E".repeat(64),
      5: 3600,
      6: Array.from({ length: MAX_WINDOWS }, () => [6, 1439, 1440, 3]),
    });
    expect(widest.length).toBeLessThan(680);
    expect(widest.length).toBeLessThanOrEqual(RECORD_MAX_DATA);
    // A real one: 64 windows, all accepted.
    const windows: ScheduleWindow[] = [];
    for (let i = 0; i < MAX_WINDOWS; i++)
      windows.push({ weekday: i % 7, start: 300 + Math.floor(i / 7) * 120, length: 100, kind: 1 });
    const now = 1795000000;
    const v = {
      1: 7,
      2: now,
      3: now + 30 * 86400,
      4: 1,
      5: 600,
      6: windows.map((w) => [w.weekday, w.start, w.length, w.kind]),
    };
    const d = decodeSchedule(v);
    if (!d.ok) throw new Error("not decoded");
    expect(new ScheduleStore().offerSchedule(d.value, now).ok).toBe(true);
    const log = recordLog(new RamSegmentStore(8, 4096), null);
    expect(saveSchedule(log, RecordName.schedule, d.value)).toBe(true);
    for (let i = 0; i < 200; i++) {
      expect(log.write(RecordName.acceptor, new Uint8Array(82).fill(i))).toBe(true);
      expect(log.write(RecordName.downlinkCounter, new Uint8Array(36).fill(i))).toBe(true);
    }
    expect(loadSchedule(log, RecordName.schedule)).toEqual(d.value);
  });
});

describe("record log on nRF52 words", () => {
  it("programs no 32-bit word more than twice between erases (nRF52 nWRITE = 2)", () => {
    const inner = new RamSegmentStore(4, 512);
    const programs = new Uint8Array((4 * 512) / 4);
    let worst = 0;
    const counting: SegmentStore = {
      segmentCount: 4,
      segmentSize: 512,
      read: (s, o, n) => inner.read(s, o, n),
      write: (s, o, b) => {
        // FlashSegmentStore widens every write to whole words: each word it touches is programmed.
        for (let w = (s * 512 + o) >> 2; w <= (s * 512 + o + b.length - 1) >> 2; w++)
          worst = Math.max(worst, ++programs[w]);
        return inner.write(s, o, b);
      },
      erase: (s) => {
        programs.fill(0, s * 128, s * 128 + 128);
        inner.erase(s);
      },
    };
    const log = recordLog(counting, null);
    let seed = 7;
    for (let i = 0; i < 3000; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const name = "n" + (seed % 5);
      if (seed % 11 === 0) log.erase(name);
      else expect(log.write(name, new Uint8Array(1 + (seed % 23)))).toBe(true);
    }
    expect(Math.min(...inner.erases)).toBeGreaterThan(10);
    expect(worst).toBe(2);
  });
});
