// The sparse queue flash behaves byte for byte as the firmware's RamSegmentStore under any
// sequence of reads, writes and erases (seeded random sequences), and holds memory only for
// segments with data in them.

import { expect, it } from "vitest";
import { RamSegmentStore } from "../../firmware/base/queue/ram-segment-store";
import { SparseSegmentStore } from "./sparse-segment-store";

function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

it("answers every read, write and erase as RamSegmentStore does", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = xorshift(seed);
    const ram = new RamSegmentStore(4, 64);
    const sparse = new SparseSegmentStore(4, 64);
    for (let step = 0; step < 400; step++) {
      const seg = Math.floor(rnd() * 4);
      const off = Math.floor(rnd() * 70) - 3; // sometimes out of range
      const op = rnd();
      if (op < 0.1) {
        ram.erase(seg);
        sparse.erase(seg);
      } else if (op < 0.7) {
        const n = 1 + Math.floor(rnd() * 8);
        // mostly 0xFF-compatible rewrites of what is there, sometimes a conflict
        const bytes = Uint8Array.from({ length: n }, () =>
          rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256),
        );
        expect(sparse.write(seg, off, bytes), `seed ${seed} step ${step}`).toBe(
          ram.write(seg, off, bytes),
        );
      }
      expect(sparse.read(seg, 0, 64)).toEqual(ram.read(seg, 0, 64));
    }
  }
});

it("takes memory on the first write to a segment and gives it back on erase", () => {
  const s = new SparseSegmentStore(64, 4064);
  expect(s.allocated()).toBe(0);
  expect(s.read(5, 0, 4)).toEqual(Uint8Array.of(255, 255, 255, 255));
  expect(s.write(5, 10, Uint8Array.of(1, 2))).toBe(true);
  expect(s.allocated()).toBe(1);
  expect(s.write(5, 10, Uint8Array.of(3))).toBe(false); // not erased: refused
  expect(s.read(5, 9, 4)).toEqual(Uint8Array.of(255, 1, 2, 255));
  s.erase(5);
  expect(s.allocated()).toBe(0);
  expect(s.write(5, 10, Uint8Array.of(3))).toBe(true);
});
