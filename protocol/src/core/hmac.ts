// HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) over an injected SHA-256, because the
// boards have SHA-256 in firmware but no HMAC.

import { concatBytes } from "./bytes.js";
import type { Sha256 } from "./sha256.js";

export function hmacSha256(sha: Sha256, key: Uint8Array, data: Uint8Array): Uint8Array {
  let k = key;
  if (k.length > 64) k = sha(k);
  const ipad = new Uint8Array(64 + data.length);
  const opad = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    const b = i < k.length ? k[i] : 0;
    ipad[i] = b ^ 0x36;
    opad[i] = b ^ 0x5c;
  }
  ipad.set(data, 64);
  opad.set(sha(ipad), 64);
  return sha(opad);
}

export function hkdfSha256(
  sha: Sha256,
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  if (length > 255 * 32) throw new Error("hkdf: length too large");
  const prk = hmacSha256(sha, salt.length ? salt : new Uint8Array(32), ikm);
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  let off = 0;
  for (let i = 1; off < length; i++) {
    prev = hmacSha256(sha, prk, concatBytes([prev, info, new Uint8Array([i])]));
    const n = Math.min(length - off, 32);
    out.set(prev.subarray(0, n), off);
    off += n;
  }
  return out;
}
