import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CounterStore,
  classifyCounter,
  counterSender,
  ReceiverCounter,
  SenderCounter,
} from "../src/core/counters";

class MemoryStore implements CounterStore {
  value: number | null = null;
  writes = 0;
  load(): number | null {
    return this.value;
  }
  save(v: number): void {
    this.value = v;
    this.writes++;
  }
}

function take(s: SenderCounter): number {
  const r = s.take();
  if (!r.ok) throw new Error(r.code);
  return r.value;
}

describe("SenderCounter", () => {
  it("starts at 0 and reserves K ahead before the first frame", () => {
    const st = new MemoryStore();
    const s = new SenderCounter(st, 16);
    expect(st.value).toBe(16);
    expect(take(s)).toBe(0);
    expect(take(s)).toBe(1);
    expect(st.writes).toBe(1);
  });

  it("never repeats a counter across reboots at any point, with writes <= frames/K + reboots", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 64 }),
        (framesPerBoot, k) => {
          const st = new MemoryStore();
          const seen = new Set<number>();
          let last = -1;
          let frames = 0;
          for (const n of framesPerBoot) {
            const s = new SenderCounter(st, k);
            for (let i = 0; i < n; i++) {
              const c = take(s);
              if (seen.has(c) || c <= last) return false;
              seen.add(c);
              last = c;
              frames++;
            }
          }
          return st.writes <= Math.floor(frames / k) + framesPerBoot.length;
        },
      ),
    );
  });

  it("refuses to wrap past 2^32-1", () => {
    const st = new MemoryStore();
    st.value = 0xfffffffe;
    const s = new SenderCounter(st, 64);
    expect(take(s)).toBe(0xfffffffe);
    expect(take(s)).toBe(0xffffffff);
    const r = s.take();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe("counter_exhausted");
    // Booting again: nothing left to reserve, so nothing is written.
    const writes = st.writes;
    expect(new SenderCounter(st, 64).take().ok).toBe(false);
    expect(st.writes).toBe(writes);
  });
});

describe("counterSender (the rule SenderCounter is built on; the tag uses it directly)", () => {
  it("gives -1 once all 2^32 counters are used", () => {
    const st = new MemoryStore();
    st.value = 0xffffffff;
    const next = counterSender(st, 64);
    expect(next()).toBe(0xffffffff);
    expect(next()).toBe(-1);
    expect(next()).toBe(-1);
    expect(st.value).toBe(2 ** 32);
  });

  it("a reservation the store refuses uses no counter; the next call tries again", () => {
    const st = new MemoryStore();
    let refuse = false;
    const store: CounterStore = {
      load: () => st.load(),
      save: (v) => {
        if (refuse) throw new Error("flash");
        st.save(v);
      },
    };
    const next = counterSender(store, 2);
    expect([next(), next()]).toEqual([0, 1]);
    refuse = true;
    expect(() => next()).toThrow("flash");
    refuse = false;
    expect(next()).toBe(2);
    expect(st.value).toBe(4);
  });
});

describe("ReceiverCounter", () => {
  const macA = new Uint8Array([1, 2, 3]);
  const macB = new Uint8Array([9, 9, 9]);

  it("classifies fresh, duplicate, replay and too far ahead", () => {
    const r = new ReceiverCounter(100);
    expect(r.check(10, macA).ok).toBe(true);
    const dup = r.check(10, macA);
    expect(!dup.ok && dup.code).toBe("duplicate");
    const sameCounterOtherBytes = r.check(10, macB);
    expect(!sameCounterOtherBytes.ok && sameCounterOtherBytes.code).toBe("replay");
    const old = r.check(9, macB);
    expect(!old.ok && old.code).toBe("replay");
    const ahead = r.check(111, macB);
    expect(!ahead.ok && ahead.code).toBe("too_far_ahead");
    expect(r.check(110, macB).ok).toBe(true);
    expect(r.state().highest).toBe(110);
  });

  it("accepts counter 0 as the first frame and resumes from saved state", () => {
    const r = new ReceiverCounter(5);
    expect(r.check(0, macA).ok).toBe(true);
    const again = new ReceiverCounter(5, r.state());
    const rep = again.check(0, macB);
    expect(!rep.ok && rep.code).toBe("replay");
  });

  it("without the MAC of the highest (after a reboot) a repeat of it is a replay", () => {
    expect(classifyCounter(10, null, 5, 10, macA)).toBe("replay");
    expect(classifyCounter(10, macA, 5, 10, macA)).toBe("duplicate");
    expect(classifyCounter(-1, null, 5, 0, macA)).toBe("fresh");
  });

  it("keeps its own copy of the MAC (the caller's buffer may be reused)", () => {
    const r = new ReceiverCounter(5);
    const buf = new Uint8Array([7, 7]);
    r.check(1, buf);
    buf[0] = 0;
    const dup = r.check(1, new Uint8Array([7, 7]));
    expect(!dup.ok && dup.code).toBe("duplicate");
  });
});
