// Per-device, per-purpose, per-version keys (SPEC §2): the centre keeps one root per fleet.

import { writeU32BE } from "./bytes.js";
import { hkdfSha256 } from "./hmac.js";
import type { Sha256 } from "./sha256.js";

export const KeyPurpose = {
  tagBeacon: 1,
  tagCommand: 2,
  unitUplink: 3,
  unitDownlink: 4,
  unitKeyWrap: 5,
  unitConsole: 6,
} as const;

// ASCII "em-fleet-v1"
const SALT = new Uint8Array([0x65, 0x6d, 0x2d, 0x66, 0x6c, 0x65, 0x65, 0x74, 0x2d, 0x76, 0x31]);

/** 6 bytes: purpose ‖ device id ‖ key version. Also the COSE kid (SPEC §6). */
export function keyId(purpose: number, deviceId: number, keyVersion: number): Uint8Array {
  const kid = new Uint8Array(6);
  kid[0] = purpose;
  writeU32BE(kid, 1, deviceId);
  kid[5] = keyVersion;
  return kid;
}

export function deriveKey(
  sha: Sha256,
  root: Uint8Array,
  purpose: number,
  deviceId: number,
  keyVersion: number,
): Uint8Array {
  return hkdfSha256(sha, root, SALT, keyId(purpose, deviceId, keyVersion), 32);
}
