// The string helpers of protocol/src/core/bytes.ts that stand in for engine methods Espruino 2v29
// gets wrong (firmware/README.md, "Engine differences"), and UTF-8 decoding on an engine whose
// strings hold 8-bit characters only.

import { afterEach, describe, expect, it, vi } from "vitest";
import { findText, fromHex, startsWith, toHex, utf8Decode, utf8Encode } from "../src/core/bytes";
import { decodeCbor } from "../src/core/cbor";

describe("findText", () => {
  it("finds what indexOf finds when the needle fits", () => {
    expect(findText("abc", "bc", 0)).toBe(1);
    expect(findText("AT+CGDCONT={apn}", "{apn}", 0)).toBe(11);
    expect(findText("x{k}y{k}", "{k}", 2)).toBe(5);
    expect(findText("abc", "c", 0)).toBe(2);
  });

  it("is -1 for a needle that would run past the end (Espruino's indexOf says otherwise)", () => {
    expect(findText("abc", "cd", 0)).toBe(-1);
    expect(findText("hello", "lo!", 0)).toBe(-1);
    expect(findText(",timer,Flash,", ",crypto,", 0)).toBe(-1);
    expect(findText("ab", "bb", 0)).toBe(-1);
    expect(findText("ATE0", "{user}", 0)).toBe(-1);
  });

  it("returns the real match that comes before a false one", () => {
    expect(findText("cdabc", "cd", 0)).toBe(0);
    expect(findText("abc", "cd", 5)).toBe(-1);
  });
});

describe("startsWith", () => {
  it("is true only for a whole prefix", () => {
    expect(startsWith("+CMTI: 1", "+CMTI:")).toBe(true);
    expect(startsWith("+CM", "+CMTI:")).toBe(false);
    expect(startsWith("", "")).toBe(true);
  });
});

describe("UTF-8 on an engine with 8-bit strings", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** String.fromCharCode as Espruino's Puck.js/Jolt.js builds have it: each unit's low byte. */
  function eightBitStrings(): void {
    const real = String.fromCharCode;
    vi.spyOn(String, "fromCharCode").mockImplementation((...codes: number[]) =>
      real(...codes.map((c) => c & 255)),
    );
  }

  it("decodes ASCII and U+0080..U+00FF exactly", () => {
    eightBitStrings();
    expect(utf8Decode(utf8Encode("0.1.0"))).toBe("0.1.0");
    expect(utf8Decode(fromHex("c3bc") as Uint8Array)).toBe("\u00fc");
  });

  it("refuses a character above U+00FF rather than truncate it", () => {
    eightBitStrings();
    expect(utf8Decode(fromHex("e282ac") as Uint8Array)).toBeNull();
    expect(utf8Decode(fromHex("f09d849e") as Uint8Array)).toBeNull();
    const d = decodeCbor(fromHex("63e282ac") as Uint8Array);
    expect(d.ok ? "ok" : d.code).toBe("bad_cbor");
  });

  it("encodes the 8-bit characters such an engine has as their UTF-8", () => {
    expect(toHex(utf8Encode("\u00fc"))).toBe("c3bc");
  });

  it("decodes all of Unicode where strings hold it", () => {
    expect(utf8Decode(fromHex("e282ac") as Uint8Array)).toBe("\u20ac");
    expect(utf8Decode(fromHex("f09d849e") as Uint8Array)).toBe("\ud834\udd1e");
  });
});
