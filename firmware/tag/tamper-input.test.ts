import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type TamperInput, tamperInput } from "./tamper-input";

const D = 500;

/** Feeds alternating open/closed durations from t = 0; returns the machine after all of it. */
function feed(t: TamperInput, durations: number[], start: number): number {
  let now = start;
  let closed = false;
  for (const d of durations) {
    t.level(closed, now);
    now += d;
    t.tick(now); // a timer may fire at any moment in between; here at the end of each phase
    closed = !closed;
  }
  return now;
}

describe("TamperInput", () => {
  it("latches an open that lasts the debounce, and reports it at exactly that time", () => {
    const t = tamperInput(D, true, false, 0);
    expect(t.level(false, 1000)).toBe(false);
    expect(t.deadline).toBe(1500);
    expect(t.tick(1499)).toBe(false);
    expect(t.openNow).toBe(false);
    expect(t.tick(1500)).toBe(true);
    expect(t.openNow).toBe(true);
    expect(t.latched).toBe(true);
    expect(t.latchedAt).toBe(1000); // when the strap opened, not when the debounce ended
  });

  it("knows when it latched only for a latch of this boot; a re-latch after a re-arm is new", () => {
    const restored = tamperInput(D, false, true, 0); // booted with the strap still open
    restored.tick(D);
    expect([restored.openNow, restored.latched, restored.latchedAt]).toEqual([true, true, -1]);
    restored.level(true, 3000);
    restored.tick(3500);
    expect(restored.rearm()).toBe(true);
    restored.level(false, 9000);
    restored.tick(9500);
    expect([restored.latched, restored.latchedAt]).toEqual([true, 9000]);
  });

  it("chatter shorter than the debounce never latches, whatever its pattern", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: D - 1 }), fc.integer({ min: 1, max: 5000 })), {
          minLength: 1,
          maxLength: 200,
        }),
        (pairs) => {
          const t = tamperInput(D, true, false, 0);
          const durations: number[] = [];
          for (const p of pairs) durations.push(p[0], p[1]);
          const end = feed(t, durations, 0);
          t.tick(end + 10 * D);
          return !t.latched && !t.openNow && t.glitches === pairs.length;
        },
      ),
    );
  });

  it("an open of exactly the debounce latches, one ms less does not (the boundary)", () => {
    const a = tamperInput(D, true, false, 0);
    a.level(false, 0);
    a.level(true, D - 1);
    expect(a.latched).toBe(false);
    const b = tamperInput(D, true, false, 0);
    b.level(false, 0);
    b.level(true, D); // the due transition is applied before the edge
    expect(b.latched).toBe(true);
  });

  it("closing again clears open-now after the debounce but never the latch", () => {
    const t = tamperInput(D, true, false, 0);
    t.level(false, 0);
    t.tick(D);
    t.level(true, 2000);
    expect(t.openNow).toBe(true); // not yet: closing must be stable too
    t.level(false, 2100); // flapping ends of a cut wire
    t.level(true, 2200);
    t.tick(2200 + D);
    expect(t.deadline).toBe(-1);
    expect(t.openNow).toBe(false);
    expect(t.latched).toBe(true);
  });

  it("re-arm clears the latch only while closed", () => {
    const t = tamperInput(D, true, false, 0);
    t.level(false, 0);
    t.tick(D);
    expect(t.rearm()).toBe(false);
    expect(t.latched).toBe(true);
    t.level(true, 1000);
    t.tick(1000 + D);
    expect(t.rearm()).toBe(true);
    expect(t.latched).toBe(false);
  });

  it("an input open at boot latches after the debounce; a stored latch is kept", () => {
    const t = tamperInput(D, false, false, 0);
    expect(t.openNow).toBe(false);
    expect(t.tick(D)).toBe(true);
    expect(t.latched).toBe(true);
    const u = tamperInput(D, true, true, 0);
    expect(u.latched).toBe(true);
    expect(u.deadline).toBe(-1);
  });
});
