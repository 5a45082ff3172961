import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../firmware/testing/virtual-clock";
import { TimePump } from "./time-pump";

let pump: TimePump | null = null;
afterEach(() => pump?.stop());

describe("time pump", () => {
  it("moves virtual time with real time, and skips ahead running due timers in order", async () => {
    const clock = new VirtualClock(0);
    pump = new TimePump(clock, 10);
    const fired: number[] = [];
    clock.schedule(() => fired.push(clock.time), 50, 0);
    pump.start();
    await pump.until(() => fired.length === 1, 2000, "the 50 ms timer");
    expect(fired[0]).toBe(50);
    const ticks: number[] = [];
    const start = clock.time;
    clock.schedule(() => ticks.push(clock.time - start), 1000, 1000);
    pump.skip(6 * 3600 * 1000);
    expect(ticks.length).toBe(6 * 3600);
    expect(ticks[ticks.length - 1]).toBe(6 * 3600 * 1000);
  });
});
