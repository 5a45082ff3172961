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

  it("lays out the extended beacon's 24 bytes: latch age in 2 s steps, then the MAC", () => {
    const f = {
      tagId: 0x0a0b0c0d,
      counter: 0x01020304,
      flags: BeaconFlag.strapLatched,
      batteryMv: 3000,
      keyVersion: 1,
      strapLatchAgeS: 4 * 3600 + 1,
    };
    const b = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, f);
    expect(b.length).toBe(24);
    // 14,401 s → code 7,200 = 0x1c20; bytes 14–15 reserved
    expect(toHex(b.subarray(0, 16))).toBe("130a0b0c0d01020304027801" + "1c20" + "0000");
    const r = verifyBeacon(sha256, key, DEFAULT_COMPANY_ID, b);
    expect(r.ok && r.value.strapLatchAgeS).toBe(14400);
    // The MAC covers bytes 0…15: the age cannot be changed without the key.
    const moved = b.slice();
    moved[13] ^= 1;
    const m = verifyBeacon(sha256, key, DEFAULT_COMPANY_ID, moved);
    expect(!m.ok && m.code).toBe("bad_mac");
  });

  it("the latch age: 0 unless latched, saturates at 36.4 h, null when the tag does not know", () => {
    const at = (flags: number, age: number | null) => {
      const b = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, {
        tagId: 9,
        counter: 1,
        flags: flags,
        batteryMv: null,
        keyVersion: 1,
        strapLatchAgeS: age,
      });
      const r = parseBeacon(b);
      return { hex: toHex(b.subarray(12, 16)), age: r.ok ? r.value.strapLatchAgeS : r.code };
    };
    expect(at(0, 500)).toEqual({ hex: "00000000", age: 0 });
    expect(at(BeaconFlag.strapLatched, null)).toEqual({ hex: "ffff0000", age: null });
    expect(at(BeaconFlag.strapLatched, 10 * 86400)).toEqual({ hex: "fffe0000", age: 131068 });
    expect(at(BeaconFlag.strapLatched, 1.9)).toEqual({ hex: "00000000", age: 0 });
    expect(at(BeaconFlag.caseLatched, 500).age).toBe(0); // the case latch has no age
  });

  it("rejects an extended beacon that ages an unlatched strap", () => {
    const f = { tagId: 9, counter: 1, flags: 0, batteryMv: null, keyVersion: 1 };
    const unlatched = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, { ...f, strapLatchAgeS: 0 });
    const aged = unlatched.slice();
    aged[13] = 1;
    const r1 = parseBeacon(aged);
    expect(!r1.ok && r1.code).toBe("field_out_of_range");
  });

  it("carries the challenge echo in bytes 14–15, under the MAC; 0 when none is given", () => {
    const f = { tagId: 9, counter: 1, flags: 0, batteryMv: null, keyVersion: 1, strapLatchAgeS: 0 };
    const b = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, { ...f, echo: 0xb7e3 });
    expect([b[14], b[15]]).toEqual([0xb7, 0xe3]);
    const r = verifyBeacon(sha256, key, DEFAULT_COMPANY_ID, b);
    expect(r.ok && r.value.echo).toBe(0xb7e3);
    const moved = b.slice();
    moved[15] ^= 1; // an echo changed on the way is a forgery
    const m = verifyBeacon(sha256, key, DEFAULT_COMPANY_ID, moved);
    expect(!m.ok && m.code).toBe("bad_mac");
    const none = encodeBeacon(sha256, key, DEFAULT_COMPANY_ID, f);
    expect([none[14], none[15]]).toEqual([0, 0]);
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
    const long = new Uint8Array(21);
    long.set(good);
    expectCode(long, "too_long");
    expectCode(new Uint8Array(25), "too_long");
    const shortExtended = good.slice(); // 20 bytes that say "extended": it needs 24
    shortExtended[0] = 0x13;
    expectCode(shortExtended, "truncated");
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
