import { createHash, createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/core/bytes";
import { hkdfSha256, hmacSha256 } from "../src/core/hmac";
import { deriveKey, KeyPurpose, keyId } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe("sha256", () => {
  it("matches FIPS 180-4 examples", () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(toHex(sha256(new TextEncoder().encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("matches node:crypto for every length 0..300 (covers the one- and two-block tails)", () => {
    for (let n = 0; n <= 300; n++) {
      const d = bytes(n, n);
      expect(toHex(sha256(d))).toBe(createHash("sha256").update(d).digest("hex"));
    }
  });
});

describe("hmac and hkdf", () => {
  it("HMAC-SHA256 matches RFC 4231 test case 2", () => {
    const mac = hmacSha256(
      sha256,
      new TextEncoder().encode("Jefe"),
      new TextEncoder().encode("what do ya want for nothing?"),
    );
    expect(toHex(mac)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  it("HMAC-SHA256 matches node:crypto for short, block-sized and long keys", () => {
    for (const kl of [0, 1, 32, 63, 64, 65, 200]) {
      for (const dl of [0, 14, 64, 250]) {
        const k = bytes(kl, kl + 7);
        const d = bytes(dl, dl + 3);
        expect(toHex(hmacSha256(sha256, k, d))).toBe(
          createHmac("sha256", k).update(d).digest("hex"),
        );
      }
    }
  });

  it("HKDF-SHA256 matches RFC 5869 test case 1 and node:crypto", () => {
    const okm = hkdfSha256(
      sha256,
      fromHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")!,
      fromHex("000102030405060708090a0b0c")!,
      fromHex("f0f1f2f3f4f5f6f7f8f9")!,
      42,
    );
    expect(toHex(okm)).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
    const ikm = bytes(32, 1);
    const salt = bytes(11, 2);
    const info = bytes(6, 3);
    expect(toHex(hkdfSha256(sha256, ikm, salt, info, 32))).toBe(
      Buffer.from(hkdfSync("sha256", ikm, salt, info, 32)).toString("hex"),
    );
  });
});

describe("keys", () => {
  it("kid is purpose, device id, key version", () => {
    expect(toHex(keyId(KeyPurpose.unitUplink, 1, 0))).toBe("030000000100");
    expect(toHex(keyId(KeyPurpose.tagBeacon, 0xdeadbeef, 7))).toBe("01deadbeef07");
  });

  it("derives distinct keys per purpose, device and version, equal to node:crypto HKDF", () => {
    const root = bytes(32, 99);
    const seen = new Set<string>();
    for (const p of [1, 2, 3, 4, 5]) {
      for (const dev of [1, 2, 0xffffffff]) {
        for (const v of [0, 1]) {
          const k = toHex(deriveKey(sha256, root, p, dev, v));
          const ref = Buffer.from(
            hkdfSync("sha256", root, Buffer.from("em-fleet-v1"), keyId(p, dev, v), 32),
          ).toString("hex");
          expect(k).toBe(ref);
          seen.add(k);
        }
      }
    }
    expect(seen.size).toBe(5 * 3 * 2);
  });
});
