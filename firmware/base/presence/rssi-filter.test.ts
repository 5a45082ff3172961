import { describe, expect, it } from "vitest";
import { MedianRssiFilter } from "./rssi-filter";

describe("median RSSI filter", () => {
  it("is the median of what it has, then of the last n", () => {
    const f = new MedianRssiFilter(5);
    expect(f.value()).toBeNull();
    expect(f.push(-70)).toBe(-70);
    expect(f.push(-80)).toBe(-75);
    expect(f.push(-60)).toBe(-70);
    expect(f.push(-90)).toBe(-75);
    expect(f.push(-65)).toBe(-70);
    expect(f.push(-100)).toBe(-80); // window now -80,-60,-90,-65,-100
    expect(f.samples()).toBe(5);
  });

  it("ignores up to two deep fades in five", () => {
    const f = new MedianRssiFilter(5);
    for (let i = 0; i < 5; i++) f.push(-75);
    expect(f.push(-105)).toBe(-75);
    expect(f.push(-110)).toBe(-75);
    expect(f.push(-75)).toBe(-75);
  });

  it("follows a real step within three samples", () => {
    const f = new MedianRssiFilter(5);
    for (let i = 0; i < 5; i++) f.push(-70);
    expect(f.push(-95)).toBe(-70);
    expect(f.push(-95)).toBe(-70);
    expect(f.push(-95)).toBe(-95);
  });

  it("reset forgets", () => {
    const f = new MedianRssiFilter(3);
    f.push(-50);
    f.push(-50);
    f.reset();
    expect(f.value()).toBeNull();
    expect(f.push(-90)).toBe(-90);
  });
});
