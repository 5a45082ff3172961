import { describe, expect, it } from "vitest";
import { fromHex } from "../src/core/bytes";
import { ErrorCode } from "../src/core/errors";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import {
  encodeTagCommand,
  openTagCommand,
  parseTagCommand,
  RearmMask,
  TagCommandCode,
} from "../src/core/tag-command";

const root = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;
const key = deriveKey(sha256, root, KeyPurpose.tagCommand, 42, 0);
const keys = (kv: number) => (kv === 0 ? key : null);
const codes = new Set<string>(Object.values(ErrorCode));

describe("tag command", () => {
  const cmd = {
    tagId: 42,
    counter: 7,
    keyVersion: 0,
    code: TagCommandCode.rearm,
    arg: RearmMask.strap | RearmMask.case,
  };

  it("round-trips and verifies for its own tag only", () => {
    const b = encodeTagCommand(sha256, key, cmd);
    expect(b.length).toBe(29);
    const r = openTagCommand(sha256, b, 42, keys);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.arg).toBe(3);
    const other = openTagCommand(sha256, b, 43, keys);
    expect(!other.ok && other.code).toBe("wrong_device");
  });

  it("a key of another purpose does not verify", () => {
    const beaconKey = deriveKey(sha256, root, KeyPurpose.tagBeacon, 42, 0);
    const b = encodeTagCommand(sha256, beaconKey, cmd);
    const r = openTagCommand(sha256, b, 42, keys);
    expect(!r.ok && r.code).toBe("bad_mac");
  });

  it("every single-bit flip yields a typed error", () => {
    const b = encodeTagCommand(sha256, key, cmd);
    for (let bit = 0; bit < b.length * 8; bit++) {
      const m = b.slice();
      m[bit >> 3] ^= 1 << (bit & 7);
      const r = openTagCommand(sha256, m, 42, keys);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(codes.has(r.code)).toBe(true);
    }
  });

  it("checks argument ranges per command", () => {
    const bad = [
      { code: TagCommandCode.rearm, arg: 0 },
      { code: TagCommandCode.rearm, arg: 4 },
      { code: TagCommandCode.setBeaconInterval, arg: 1 },
      { code: TagCommandCode.setBeaconInterval, arg: 601 },
      { code: TagCommandCode.identify, arg: 61 },
      { code: 9, arg: 1 },
    ];
    for (const x of bad) {
      const r = parseTagCommand(encodeTagCommand(sha256, key, { ...cmd, ...x }));
      expect(!r.ok && r.code).toBe("field_out_of_range");
    }
  });
});
