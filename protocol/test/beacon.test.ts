import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BeaconFlag,
  DEFAULT_COMPANY_ID,
  encodeBeacon,
  parseBeacon,
  verifyBeacon,
} from "../src/core/beacon";
import { fromHex, toHex } from "../src/core/bytes";
import { ErrorCode } from "../src/core/errors";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";

const root = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;
const key = deriveKey(sha256, root, KeyPurpose.tagBeacon, 0x0a0b0c0d, 1);
const codes = new Set<string>(Object.values(ErrorCode));

describe("tag beacon", () => {
  it("lays out 20 bytes as SPEC §4 says", () => {
    const b = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, {
      tagId: 0x0a0b0c0d,
      counter: 0x01020304,
      flags: BeaconFlag.strapOpen | BeaconFlag.strapLatched,
      batteryMv: 3000,
      keyVersion: 1,
    });
    expect(b.length).toBe(20);
    expect(toHex(b.subarray(0, 12))).toBe("110a0b0c0d01020304037801");
  });

  it("round-trips and verifies; the MAC covers the company id", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0x3f }),
        fc.option(fc.integer({ min: 1800, max: 4300 }).map((v) => v - (v % 10))),
        fc.integer({ min: 0, max: 255 }),
        (tagId, counter, flags, batteryMv, keyVersion) => {
          const f = { tagId, counter, flags, batteryMv, keyVersion };
          const b = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, f);
          const r = verifyBeacon(sha256, key, DEFAULT_COMPANY_ID, b);
          if (!r.ok) return false;
          const { mac: _mac, ...fields } = r.value;
          expect(fields).toEqual(f);
          const other = verifyBeacon(sha256, key, 0x0059, b);
          return !other.ok && other.code === "bad_mac";
        },
      ),
      { numRuns: 300 },
    );
  });

  it("every single-bit flip yields a typed error", () => {
    const b = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, {
      tagId: 77,
      counter: 5,
      flags: BeaconFlag.rebooted,
      batteryMv: null,
      keyVersion: 0,
    });
    for (let bit = 0; bit < b.length * 8; bit++) {
      const m = b.slice();
      m[bit >> 3] ^= 1 << (bit & 7);
      const r = verifyBeacon(sha256, key, DEFAULT_COMPANY_ID, m);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(codes.has(r.code)).toBe(true);
    }
  });

  it("rejects structural faults with stable codes", () => {
    const good = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, {
      tagId: 1,
      counter: 1,
      flags: 0,
      batteryMv: 3000,
      keyVersion: 0,
    });
    const expectCode = (b: Uint8Array, code: string) => {
      const r = parseBeacon(b);
      expect(!r.ok && r.code).toBe(code);
    };
    expectCode(good.subarray(0, 19), "truncated");
    expectCode(new Uint8Array(21), "too_long");
    const v2 = good.slice();
    v2[0] = 0x21;
    expectCode(v2, "bad_version");
    const t2 = good.slice();
    t2[0] = 0x12;
    expectCode(t2, "bad_type");
    const reserved = good.slice();
    reserved[9] = 0x40;
    expectCode(reserved, "field_out_of_range");
    const bat = good.slice();
    bat[10] = 251;
    expectCode(bat, "field_out_of_range");
    const zeroId = good.slice();
    zeroId.fill(0, 1, 5);
    expectCode(zeroId, "field_out_of_range");
  });
});
