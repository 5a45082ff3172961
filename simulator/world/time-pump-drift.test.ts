// The pump keeps virtual time at real × speed over many ticks, fractions of a virtual ms per tick
// included (vitest's fake timers drive both setInterval and performance.now here: no sockets).

import { afterEach, expect, it, vi } from "vitest";
import { VirtualClock } from "../../firmware/testing/virtual-clock";
import { TimePump } from "./time-pump";

afterEach(() => {
  vi.useRealTimers();
});

it("does not drift behind real time × speed when a tick is worth a fraction of a ms", () => {
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
  const clock = new VirtualClock(0);
  // 2 ms ticks at 0.75× = 1.5 virtual ms per tick: flooring each tick alone would give 1.
  const pump = new TimePump(clock, 0.75, 2);
  pump.start();
  vi.advanceTimersByTime(1000);
  pump.stop();
  // Within the last tick's fraction (the old floor-per-tick pump gave 500).
  expect(clock.time).toBeGreaterThanOrEqual(749);
  expect(clock.time).toBeLessThanOrEqual(750);
});
