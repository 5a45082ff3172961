// protocol/src/core/bytes.ts on the engine at hand: hex, UTF-8 without TextEncoder, and the
// unsigned 32-bit edge, where a `<< 24` or an inexact Math.pow would go wrong.

import {
  fromHex,
  readU32BE,
  toHex,
  utf8Decode,
  utf8Encode,
  writeU32BE,
} from "../../protocol/src/core/bytes";
import { check, expectEqual } from "./harness";

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
  check("UTF-8 of the euro sign is e2 82 ac", () => expectEqual(toHex(utf8Encode("€")), "e282ac"));
  check("UTF-8 round trip, 1 to 4 byte sequences", () => {
    const s = "a Rīga € \ud834\udd1e";
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
