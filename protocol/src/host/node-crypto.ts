// node:crypto behind the core's injected-crypto seams.

import { createHash, createHmac, hkdfSync } from "node:crypto";
import { keyId } from "../core/keys.js";
import type { Sha256 } from "../core/sha256.js";

export const nodeSha256: Sha256 = (data) =>
  new Uint8Array(createHash("sha256").update(data).digest());

/** HMAC-SHA256 over several parts without concatenating them first. */
export function nodeHmac(key: Uint8Array, parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const SALT = Buffer.from("em-fleet-v1", "ascii");

export function nodeDeriveKey(
  root: Uint8Array,
  purpose: number,
  deviceId: number,
  keyVersion: number,
): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", root, SALT, keyId(purpose, deviceId, keyVersion), 32));
}
