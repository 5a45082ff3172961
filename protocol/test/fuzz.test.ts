import { describe, expect, it } from "vitest";
import { decoders, fuzzDecoder } from "../fuzz/fuzz-decoders";

// 100,000 inputs per decoder inside the normal run; `npm run fuzz` does 1,000,000+ with a new seed.
describe("fuzz: every decoder returns a frame or a typed error, never throws", () => {
  for (const d of decoders()) {
    it(d.name, () => {
      const s = fuzzDecoder(d.name, d.seeds, d.run, 100_000, 0xc0ffee);
      // Mutations must reach past the first check: a fuzz run that only ever produced one kind
      // of rejection would prove nothing.
      expect(Object.keys(s.rejected).length).toBeGreaterThan(2);
      expect(s.inputs).toBe(100_000);
    });
  }
});
