import { describe, expect, it } from "vitest";
import { FakeCrypto } from "../testing/fake-board";
import { beaconScheduler } from "./beacon-scheduler";
import { defaultTagConfig } from "./tag-config";

function scheduler(jitterPct: number) {
  const cfg = defaultTagConfig();
  cfg.jitterPct = jitterPct;
  return beaconScheduler(cfg, cfg.beaconIntervalMs);
}

function rand(c: FakeCrypto): number {
  return c.next32() & 0xffff;
}

describe("BeaconScheduler", () => {
  it("spaces frames 8 s ± 10 %, uniformly, mean 8 s", () => {
    const s = scheduler(10);
    const c = new FakeCrypto(7);
    let sum = 0;
    let min = Infinity;
    let max = 0;
    const n = 100000;
    for (let i = 0; i < n; i++) {
      const g = s.next(rand(c));
      sum += g;
      min = Math.min(min, g);
      max = Math.max(max, g);
    }
    expect(min).toBeGreaterThanOrEqual(7200);
    expect(max).toBeLessThanOrEqual(8800);
    expect(min).toBeLessThan(7210);
    expect(max).toBeGreaterThan(8790);
    expect(Math.abs(sum / n - 8000)).toBeLessThan(10);
    expect(s.next(0)).toBe(7200);
    expect(s.next(65535)).toBe(8800);
  });

  it("a burst is 5 frames 400 ms apart, then the normal interval", () => {
    const s = scheduler(10);
    s.startBurst();
    const gaps = [];
    for (let i = 0; i < 6; i++) gaps.push(s.next(32768));
    expect(gaps).toEqual([400, 400, 400, 400, 8000, 8000]);
  });

  it("repeats each frame 4 times on air, within BLE limits", () => {
    const s = scheduler(10);
    expect(s.airIntervalMs(8000)).toBe(2000);
    expect(s.airIntervalMs(400)).toBe(100);
    expect(s.airIntervalMs(200)).toBe(100);
    expect(s.airIntervalMs(600000)).toBe(10000);
  });

  it("two tags started together stop colliding: few frames land within 20 ms of the other's", () => {
    const times = (jitterPct: number, seed: number): number[] => {
      const s = scheduler(jitterPct);
      const c = new FakeCrypto(seed);
      const out: number[] = [];
      let t = 0;
      for (let i = 0; i < 10000; i++) out.push((t += s.next(rand(c))));
      return out;
    };
    const close = (a: number[], b: number[]): number => {
      let n = 0;
      let j = 0;
      for (const t of a) {
        while (j + 1 < b.length && b[j + 1] <= t) j++;
        const d = Math.min(
          Math.abs(t - b[j]),
          j + 1 < b.length ? Math.abs(b[j + 1] - t) : Infinity,
        );
        if (d < 20) n++;
      }
      return n;
    };
    expect(close(times(0, 1), times(0, 2))).toBe(10000); // without jitter: every frame, forever
    // With it: the chance level, 40 ms in 8 s = 0.5 %.
    expect(close(times(10, 1), times(10, 2))).toBeLessThan(100);
  });
});
