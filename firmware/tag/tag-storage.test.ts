import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SenderCounter } from "../../protocol/src/core/counters";
import { VirtualFlash } from "../testing/virtual-flash";
import {
  COUNTER_FILE_SIZE,
  COUNTER_FILES,
  encodeIdentity,
  IDENTITY_LENGTH,
  parseIdentity,
  stateStore,
  type TagState,
  tickCounterStore,
} from "./tag-storage";

const K = 64;

function take(s: SenderCounter): number {
  const r = s.take();
  if (!r.ok) throw new Error(r.code);
  return r.value;
}

describe("identity record (em.id)", () => {
  it("round-trips and rejects wrong length, format and tag id 0", () => {
    const id = {
      tagId: 0x01020304,
      keyVersion: 7,
      companyId: 0xffff,
      beaconKey: new Uint8Array(32).fill(0xb1),
      commandKey: new Uint8Array(32).fill(0xc2),
    };
    const b = encodeIdentity(id);
    expect(b.length).toBe(IDENTITY_LENGTH);
    expect(parseIdentity(b)).toEqual(id);
    expect(parseIdentity(null)).toBeNull();
    expect(parseIdentity(b.subarray(0, 71))).toBeNull();
    const f = b.slice();
    f[0] = 2;
    expect(parseIdentity(f)).toBeNull();
    const z = encodeIdentity({ ...id, tagId: 0 });
    expect(parseIdentity(z)).toBeNull();
  });
});

describe("TickCounterStore", () => {
  it("a reservation costs one byte appended; a full file moves to the other name", () => {
    const flash = new VirtualFlash(40960);
    const st = tickCounterStore(flash, K, COUNTER_FILE_SIZE);
    expect(st.load()).toBeNull();
    st.save(64); // first save: a file
    for (let v = 128; v <= 64 * 248; v += 64) st.save(v); // 247 ticks fill the file
    expect(flash.writesByName[COUNTER_FILES[0]]).toBe(248);
    expect(flash.bytesWritten).toBe(9 + 247);
    st.save(64 * 249); // no room: the other file
    expect(flash.writesByName[COUNTER_FILES[1]]).toBe(1);
    expect(tickCounterStore(flash, K, COUNTER_FILE_SIZE).load()).toBe(64 * 249);
    expect(flash.violations).toBe(0);
  });

  it("holds values up to 2^32 (the exhausted reservation)", () => {
    const flash = new VirtualFlash(40960);
    const st = tickCounterStore(flash, K, COUNTER_FILE_SIZE);
    st.save(0x100000000);
    expect(tickCounterStore(flash, K, COUNTER_FILE_SIZE).load()).toBe(0x100000000);
  });

  it("a new K (firmware update) starts a new file with the right meaning", () => {
    const flash = new VirtualFlash(40960);
    const a = tickCounterStore(flash, 64, COUNTER_FILE_SIZE);
    a.save(64);
    a.save(128);
    const b = tickCounterStore(flash, 16, COUNTER_FILE_SIZE);
    expect(b.load()).toBe(128);
    b.save(144);
    b.save(160);
    expect(tickCounterStore(flash, 16, COUNTER_FILE_SIZE).load()).toBe(160);
  });

  it("a power cut at any flash operation never lets a counter repeat", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 12, maxLength: 12 }),
        (framesPerBoot, cuts) => {
          const flash = new VirtualFlash(40960);
          let highest = -1;
          for (let boot = 0; boot < framesPerBoot.length; boot++) {
            flash.cutPowerAfter(cuts[boot]); // the power fails somewhere in this boot
            let s: SenderCounter;
            try {
              s = new SenderCounter(tickCounterStore(flash, K, COUNTER_FILE_SIZE), K);
            } catch {
              flash.restorePower();
              continue; // died while booting
            }
            for (let i = 0; i < framesPerBoot[boot]; i++) {
              let c: number;
              try {
                c = take(s);
              } catch {
                break; // died: this frame was never sent
              }
              if (c <= highest) return false;
              highest = c;
            }
            flash.restorePower();
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("StateStore", () => {
  const a: TagState = { latches: 1, intervalS: 0, cmdHighest: -1 };
  const b: TagState = { latches: 3, intervalS: 30, cmdHighest: 0xfffffffe };

  it("starts with defaults and returns the last saved state across 'reboots'", () => {
    const flash = new VirtualFlash(40960);
    expect(stateStore(flash).load()).toEqual({ latches: 0, intervalS: 0, cmdHighest: -1 });
    const s = stateStore(flash);
    s.load();
    s.save(a);
    s.save(b);
    expect(stateStore(flash).load()).toEqual(b);
    const t = stateStore(flash);
    t.load();
    t.save(a);
    expect(stateStore(flash).load()).toEqual(a);
  });

  it("a power cut at every possible flash operation leaves the old or the new state, never neither", () => {
    for (let cut = 0; cut < 40; cut++) {
      const flash = new VirtualFlash(40960);
      const s = stateStore(flash);
      s.load();
      s.save(a);
      s.save(a); // both names written once
      flash.cutPowerAfter(cut);
      let saved = true;
      try {
        s.save(b);
      } catch {
        saved = false;
      }
      flash.restorePower();
      const got = stateStore(flash).load();
      if (saved) expect(got).toEqual(b);
      else expect([a, b]).toContainEqual(got);
    }
  });
});
