import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WindowReceiverCounter } from "../src/core/window-counter";

const code = (r: { ok: boolean; code?: string }) => (r.ok ? "fresh" : r.code);

describe("uplink window receiver (SPEC §3)", () => {
  it("accepts a late counter inside the window once, and rejects what is below it", () => {
    const w = new WindowReceiverCounter(1_000_000, 4);
    expect(code(w.check(10))).toBe("fresh");
    expect(code(w.check(12))).toBe("fresh"); // the SMS went ahead
    expect(code(w.check(11))).toBe("fresh"); // the MQTT envelope arrives late: still fresh
    expect(code(w.check(11))).toBe("duplicate");
    expect(code(w.check(12))).toBe("duplicate");
    expect(code(w.check(9))).toBe("fresh"); // 12 − 9 < 4
    expect(code(w.check(8))).toBe("replay"); // 12 − 8 = 4: outside
    expect(code(w.check(17))).toBe("fresh");
    expect(code(w.check(13))).toBe("replay");
    expect(code(w.check(14))).toBe("fresh");
    expect(code(w.check(17 + 1_000_001))).toBe("too_far_ahead");
    expect(w.highestSeen()).toBe(17);
  });

  it("matches a reference model on random arrival orders", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (arrivals) => {
        const W = 16;
        const w = new WindowReceiverCounter(1_000_000, W);
        const seen = new Set<number>();
        let h = -1;
        for (const c of arrivals) {
          let expected: string;
          if (h >= 0 && c <= h && h - c >= W) expected = "replay";
          else if (seen.has(c)) expected = "duplicate";
          else expected = "fresh";
          expect(code(w.check(c))).toBe(expected);
          if (expected === "fresh") {
            seen.add(c);
            h = Math.max(h, c);
          }
        }
      }),
    );
  });
});
