import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeSmsText, encodeSmsText } from "../src/core/sms-text";

describe("SMS text form", () => {
  it("equals Node's base64url and round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 117 }), (b) => {
        const s = encodeSmsText(b);
        expect(s).toBe("EM1:" + Buffer.from(b).toString("base64url"));
        const d = decodeSmsText(s);
        return d.ok && Buffer.from(d.value).equals(Buffer.from(b));
      }),
    );
  });

  it("a 117-byte envelope is the most that fits one 160-character SMS", () => {
    expect(encodeSmsText(new Uint8Array(117)).length).toBe(160);
    expect(encodeSmsText(new Uint8Array(118)).length).toBeGreaterThan(160);
  });

  it("rejects bad text with typed errors", () => {
    const code = (s: string) => {
      const r = decodeSmsText(s);
      return r.ok ? "ok" : r.code;
    };
    expect(code("EM2:AAAA")).toBe("bad_version");
    expect(code("EM1:AAAAA")).toBe("truncated");
    expect(code("EM1:AA=A")).toBe("bad_structure");
    expect(code("EM1:AB")).toBe("bad_structure"); // non-zero trailing bits
    expect(code("EM1:" + "A".repeat(157))).toBe("too_long");
    expect(code("EM1:")).toBe("ok");
  });
});
