import { describe, expect, it } from "vitest";
import { batteryMonitor } from "./battery-monitor";
import { BATTERY_CONFIRM, defaultTagConfig } from "./tag-config";

describe("BatteryMonitor", () => {
  const c = defaultTagConfig();
  const mon = () => batteryMonitor(c.batteryLowMv, c.batteryClearMv, BATTERY_CONFIRM);

  it("sets after two readings below 2,600 mV and clears after two at or above 2,700 mV", () => {
    const m = mon();
    const seq = [3000, 2590, 2650, 2590, 2590, 2650, 2699, 2700, 2600, 2700, 2700];
    const low = seq.map((mv) => {
      m.sample(mv);
      return m.low;
    });
    expect(low).toEqual([false, false, false, false, true, true, true, true, true, true, false]);
    expect(m.mv).toBe(2700);
  });

  it("a cell resting between the thresholds cannot make the flag flap", () => {
    const m = mon();
    let changes = 0;
    for (let i = 0; i < 1000; i++) if (m.sample(i % 2 ? 2595 : 2695)) changes++;
    expect(changes).toBe(0);
    for (let i = 0; i < 1000; i++) if (m.sample(i % 3 ? 2599 : 2700)) changes++;
    expect(changes).toBe(1); // set once (two lows in a row), never cleared by single highs
    expect(m.low).toBe(true);
  });

  it("returns true exactly on changes", () => {
    const m = mon();
    expect(m.sample(2500)).toBe(false);
    expect(m.sample(2500)).toBe(true);
    expect(m.sample(2500)).toBe(false);
  });
});
