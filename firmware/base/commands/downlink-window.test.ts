import { ErrorCode } from "@em-platform/protocol/core/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DOWNLINK_WINDOW, DownlinkWindow } from "./downlink-window";

const mac = (c: number) => new Uint8Array(32).fill(c & 255);
const GAP = 1000;

describe("downlink window", () => {
  it("agrees with the rule: fresh once inside the window or above it, within the gap", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 120 }), (cs) => {
        const w = new DownlinkWindow(GAP, null);
        const taken = new Set<number>();
        let max = -1;
        for (const c of cs) {
          const expectFresh =
            !taken.has(c) &&
            (max < 0 || c > max || max - c < DOWNLINK_WINDOW) &&
            !(max >= 0 && c - max > GAP);
          const r = w.check(c, mac(c));
          expect(r.ok).toBe(expectFresh);
          if (!r.ok)
            expect(r.code).toBe(
              taken.has(c) && max - c < DOWNLINK_WINDOW ? ErrorCode.duplicate : ErrorCode.replay,
            );
          if (r.ok) {
            taken.add(c);
            if (c > max) max = c;
          }
        }
      }),
    );
  });

  it("survives a persist and restore; a record without a mask (the strict rule's) reopens nothing", () => {
    const w = new DownlinkWindow(GAP, null);
    w.check(10, mac(10));
    w.check(12, mac(12));
    const back = new DownlinkWindow(GAP, JSON.parse(JSON.stringify({ ...w.state(), mac: null })));
    expect(back.check(12, mac(12)).ok).toBe(false);
    expect(back.check(10, mac(10)).ok).toBe(false);
    expect(back.check(11, mac(11)).ok).toBe(true);
    const strict = new DownlinkWindow(GAP, { highest: 12, mac: mac(12), seen: 0xffff });
    expect(strict.check(11, mac(11)).ok).toBe(false);
    expect(strict.check(13, mac(13)).ok).toBe(true);
  });
});
