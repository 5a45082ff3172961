// COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/256, the envelope of uplinks, downlinks and SMS
// (SPEC §6). Verification always runs over the bytes received, never a re-encoding.

import { equalBytes, readU32BE } from "./bytes.js";
import { CborTagged, type CborValue, decodeCbor, encodeCbor, isCborMap } from "./cbor.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";
import { hmacSha256 } from "./hmac.js";
import { keyId } from "./keys.js";
import type { Sha256 } from "./sha256.js";

export const COSE_MAC0_TAG = 17;
export const ALG_HMAC_256_256 = 5;
const MAC_LENGTH = 32;
// "MAC0" as a CBOR text string: the fixed first element of MAC_structure.
const MAC0_CONTEXT = "MAC0";
const EMPTY = new Uint8Array(0);

export interface KeyIdFields {
  purpose: number;
  deviceId: number;
  keyVersion: number;
}

export interface Mac0 {
  kid: KeyIdFields;
  /** The exact protected-header bytes received (content of the bstr). */
  protectedBytes: Uint8Array;
  /** The exact payload bytes received (content of the bstr). */
  payload: Uint8Array;
  tag: Uint8Array;
}

function macStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor([MAC0_CONTEXT, protectedBytes, EMPTY, payload]);
}

export function encodeMac0(sha: Sha256, key: Uint8Array, kid: KeyIdFields, payload: Uint8Array) {
  const protectedBytes = encodeCbor({
    1: ALG_HMAC_256_256,
    4: keyId(kid.purpose, kid.deviceId, kid.keyVersion),
  });
  const tag = hmacSha256(sha, key, macStructure(protectedBytes, payload));
  return encodeCbor(new CborTagged(COSE_MAC0_TAG, [protectedBytes, {}, payload, tag]));
}

function isBytes(v: CborValue): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** Structure only: finds the key id so the caller can pick a key. */
export function parseMac0(bytes: Uint8Array): Result<Mac0> {
  const d = decodeCbor(bytes);
  if (!d.ok) return d;
  const top = d.value;
  if (!(top instanceof CborTagged) || top.tag !== COSE_MAC0_TAG)
    return fail(ErrorCode.badStructure, "not a tagged COSE_Mac0");
  const arr = top.value;
  if (!Array.isArray(arr) || arr.length !== 4)
    return fail(ErrorCode.badStructure, "COSE_Mac0 must be a 4-element array");
  const prot = arr[0];
  const unprot = arr[1];
  const payload = arr[2];
  const tag = arr[3];
  if (!isBytes(prot) || !isBytes(payload) || !isBytes(tag) || !isCborMap(unprot))
    return fail(ErrorCode.badStructure, "COSE_Mac0 element types");
  if (Object.keys(unprot).length !== 0)
    return fail(ErrorCode.badStructure, "unprotected header must be empty");
  if (tag.length !== MAC_LENGTH) return fail(ErrorCode.badStructure, "MAC must be 32 bytes");
  const h = decodeCbor(prot);
  if (!h.ok) return h;
  const hdr = h.value;
  if (!isCborMap(hdr) || Object.keys(hdr).length !== 2)
    return fail(ErrorCode.badAlgorithm, "protected header must be exactly {1: alg, 4: kid}");
  if (hdr[1] !== ALG_HMAC_256_256) return fail(ErrorCode.badAlgorithm, "alg must be 5");
  const kid = hdr[4];
  if (!isBytes(kid) || kid.length !== 6) return fail(ErrorCode.badAlgorithm, "kid must be 6 bytes");
  return ok({
    kid: { purpose: kid[0], deviceId: readU32BE(kid, 1), keyVersion: kid[5] },
    protectedBytes: prot,
    payload: payload,
    tag: tag,
  });
}

export function checkMac0(sha: Sha256, key: Uint8Array, m: Mac0): boolean {
  return equalBytes(hmacSha256(sha, key, macStructure(m.protectedBytes, m.payload)), m.tag);
}

/** Looks up a key for a kid; null means this receiver holds no such key version. */
export type KeyLookup = (kid: KeyIdFields) => Uint8Array | null;

/**
 * Parses, checks the purpose and (when `forDevice` is not 0) the key id's device, picks the key,
 * verifies the MAC — in SPEC §14's order, so a unit names a frame signed for another unit
 * `wrong_device` although it holds no key to check it with.
 */
export function openMac0(
  sha: Sha256,
  bytes: Uint8Array,
  purpose: number,
  keys: KeyLookup,
  forDevice: number,
): Result<Mac0> {
  const p = parseMac0(bytes);
  if (!p.ok) return p;
  if (p.value.kid.purpose !== purpose)
    return fail(ErrorCode.wrongDevice, "key purpose " + p.value.kid.purpose + " not " + purpose);
  if (forDevice !== 0 && p.value.kid.deviceId !== forDevice)
    return fail(ErrorCode.wrongDevice, "signed for another device");
  const key = keys(p.value.kid);
  if (key === null)
    return fail(ErrorCode.unknownKeyVersion, "no key for version " + p.value.kid.keyVersion);
  if (!checkMac0(sha, key, p.value)) return fail(ErrorCode.badMac, "COSE_Mac0 tag mismatch");
  return p;
}
