// The host's fast uplink decoder must accept exactly what the core accepts, with the same value;
// when it declines (null), the core decides.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutate, rng } from "../fuzz/fuzz-decoders";
import { decodeUplinkPayload, encodeUplinkPayload, type Uplink } from "../src/core/uplink";
import { decodeUplinkPayloadFast } from "../src/host/uplink-fast";

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const value = fc.oneof(
  fc.integer({ min: -70000, max: 0xffffffff }),
  fc.string({ maxLength: 30 }),
  fc.boolean(),
  fc.constant(null),
);
const uplink: fc.Arbitrary<Uplink> = fc.record({
  unitId: fc.integer({ min: 1, max: 0xffffffff }),
  counter: u32,
  sentAt: u32,
  events: fc.array(
    fc.record({
      seq: u32,
      time: u32,
      code: fc.integer({ min: 1, max: 0xffff }),
      tagId: fc.option(fc.integer({ min: 1, max: 0xffffffff })),
      data: fc.option(fc.dictionary(fc.nat(40).map(String), value, { maxKeys: 12 })),
    }),
    { minLength: 1, maxLength: 32 },
  ),
}) as fc.Arbitrary<Uplink>;

function agree(bytes: Uint8Array): void {
  const fast = decodeUplinkPayloadFast(bytes);
  const core = decodeUplinkPayload(bytes);
  if (fast !== null) {
    expect(core.ok).toBe(true);
    if (core.ok) expect(fast).toEqual(core.value);
  }
}

describe("fast uplink decoder (host)", () => {
  it("decodes what the core decodes, to the same value", () => {
    let taken = 0;
    fc.assert(
      fc.property(uplink, (u) => {
        const bytes = encodeUplinkPayload(u);
        agree(bytes);
        if (decodeUplinkPayloadFast(bytes) !== null) taken++;
      }),
      { numRuns: 500 },
    );
    // The fast path must actually be taken for ordinary uplinks, or it measures nothing.
    expect(taken).toBeGreaterThan(100);
  });

  it("never accepts a mutation the core rejects (100,000 mutated payloads)", () => {
    const seeds: Uint8Array[] = [];
    for (const u of fc.sample(uplink, { numRuns: 50, seed: 7 })) seeds.push(encodeUplinkPayload(u));
    const next = rng(0xfa57);
    for (let i = 0; i < 100_000; i++) agree(mutate(next, seeds));
  });
});
