// protocol/src/core/bytes.ts on the engine at hand: hex, UTF-8 without TextEncoder, and the
// unsigned 32-bit edge, where a `<< 24` or an inexact Math.pow would go wrong. UTF-8 is checked
// for what a device relies on: the text it sends is ASCII, and received text is decoded exactly
// or refused — on Espruino's 8-bit strings (Puck.js, Jolt.js) a character above U+00FF is
// refused, elsewhere decoded (SPEC §6).

import {
  fromHex,
  readU32BE,
  toHex,
  utf8Decode,
  utf8Encode,
  writeU32BE,
} from "@em-platform/protocol/core/bytes";
import { decodeCbor } from "@em-platform/protocol/core/cbor";
import { check, expectEqual } from "./harness";

/** Whether the engine's strings hold character `code` (Espruino's Puck.js/Jolt.js builds keep
 * only the low byte: String.fromCharCode(0x20ac) is "\xac"). A parameter, not a constant: the
 * minifier would fold the constant expression on the build host. */
function holds(code: number): boolean {
  return String.fromCharCode(code).charCodeAt(0) === code;
}

/** `hex` (the UTF-8 of one character, code `unit` as its first UTF-16 unit) decoded exactly on
 * an engine with wide strings, refused on one without; never a truncated character. */
function exactOrRefused(hex: string, unit: number, units: number): string | null {
  const d = utf8Decode(fromHex(hex) as Uint8Array);
  if (!holds(unit)) return d === null ? null : "decoded to " + toHex(utf8Encode(d));
  if (d === null) return "refused on an engine with wide strings";
  if (d.length !== units || d.charCodeAt(0) !== unit) return "decoded to " + toHex(utf8Encode(d));
  return expectEqual(toHex(utf8Encode(d)), hex);
}

export function bytesChecks(): void {
  check("hex round trip", () => {
    const b = fromHex("00ff10ab7f80");
    return b ? expectEqual(toHex(b), "00ff10ab7f80") : "fromHex returned null";
  });
  check("fromHex accepts upper case", () => {
    const b = fromHex("ABCDEF");
    return b ? expectEqual(toHex(b), "abcdef") : "fromHex returned null";
  });
  check("fromHex rejects odd length and non-hex digits", () =>
    fromHex("abc") === null && fromHex("zz") === null ? null : "accepted bad hex",
  );
  check("UTF-8 of ASCII text is its bytes (all the text a device sends)", () =>
    expectEqual(toHex(utf8Encode("em/v1 0.1.0")), "656d2f763120302e312e30"),
  );
  check("UTF-8 of U+00FC (held by every engine's strings) is c3 bc, and back", () => {
    const u = String.fromCharCode(0xfc);
    if (toHex(utf8Encode(u)) !== "c3bc") return "encoded " + toHex(utf8Encode(u));
    return expectEqual(utf8Decode(fromHex("c3bc") as Uint8Array), u);
  });
  check("UTF-8 e2 82 ac (the euro sign) is decoded exactly or refused, never truncated", () =>
    exactOrRefused("e282ac", 0x20ac, 1),
  );
  check("UTF-8 f0 9d 84 9e (4 bytes) is decoded exactly or refused, never truncated", () =>
    exactOrRefused("f09d849e", 0xd834, 2),
  );
  check("CBOR text 63 e2 82 ac: the euro sign, or bad_cbor where strings are 8-bit", () => {
    const d = decodeCbor(fromHex("63e282ac") as Uint8Array);
    if (holds(0x20ac)) return d.ok ? expectEqual(d.value, String.fromCharCode(0x20ac)) : d.code;
    return d.ok ? "accepted as " + String(d.value) : expectEqual(d.code, "bad_cbor");
  });
  check("UTF-8 round trip of whatever the engine's strings hold", () => {
    const s =
      "a R" + String.fromCharCode(0x12b) + "ga " + String.fromCharCode(0x20ac, 0xd834, 0xdd1e);
    return expectEqual(utf8Decode(utf8Encode(s)), s);
  });
  check("UTF-8 decode rejects an overlong sequence", () =>
    expectEqual(utf8Decode(fromHex("c0af") as Uint8Array), null),
  );
  check("writeU32BE/readU32BE of 0xffffffff", () => {
    const b = new Uint8Array(4);
    writeU32BE(b, 0, 0xffffffff);
    if (toHex(b) !== "ffffffff") return "wrote " + toHex(b);
    return expectEqual(readU32BE(b, 0), 4294967295);
  });
  check("readU32BE stays unsigned above 2^31", () =>
    expectEqual(readU32BE(fromHex("80000001") as Uint8Array, 0), 2147483649),
  );
}
