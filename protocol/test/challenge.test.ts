import { describe, expect, it } from "vitest";
import { toHex } from "../src/core/bytes";
import { CHALLENGE_LENGTH, encodeChallenge, parseChallenge } from "../src/core/challenge";

describe("freshness challenge (SPEC §5)", () => {
  it("is 0x14, the tag id and the nonce, big-endian", () => {
    const b = encodeChallenge({ tagId: 0x00c0ffee, nonce: 0xb7e0 });
    expect(toHex(b)).toBe("1400c0ffeeb7e0");
    const r = parseChallenge(b);
    expect(r.ok && r.value).toEqual({ tagId: 0x00c0ffee, nonce: 0xb7e0 });
  });

  it("names what is wrong with anything else", () => {
    const good = encodeChallenge({ tagId: 7, nonce: 8 });
    const code = (b: Uint8Array) => {
      const r = parseChallenge(b);
      return r.ok ? "ok" : r.code;
    };
    expect(code(good.subarray(0, CHALLENGE_LENGTH - 1))).toBe("truncated");
    expect(code(new Uint8Array([...good, 0]))).toBe("too_long");
    expect(code(Uint8Array.of(0x24, ...good.subarray(1)))).toBe("bad_version");
    expect(code(Uint8Array.of(0x12, ...good.subarray(1)))).toBe("bad_type");
    expect(code(encodeChallenge({ tagId: 0, nonce: 8 }))).toBe("field_out_of_range");
    expect(code(encodeChallenge({ tagId: 7, nonce: 0 }))).toBe("field_out_of_range");
    expect(code(encodeChallenge({ tagId: 7, nonce: 9 }))).toBe("field_out_of_range"); // count bits
  });
});
