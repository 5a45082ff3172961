// Downlink: centre → home unit, one signed command (SPEC §8).

import { isU32 } from "./bytes.js";
import { type CborMap, decodeCbor, encodeCbor, isCborMap } from "./cbor.js";
import { encodeMac0, type KeyLookup, openMac0 } from "./cose.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";
import { KeyPurpose } from "./keys.js";
import type { Sha256 } from "./sha256.js";

export const DOWNLINK_VERSION = 1;

export interface Downlink {
  unitId: number;
  counter: number;
  issuedAt: number;
  expiresAt: number;
  code: number;
  args: CborMap | null;
}

export function encodeDownlinkPayload(d: Downlink): Uint8Array {
  return encodeCbor([
    DOWNLINK_VERSION,
    d.unitId,
    d.counter,
    d.issuedAt,
    d.expiresAt,
    d.code,
    d.args,
  ]);
}

export function encodeDownlink(sha: Sha256, key: Uint8Array, keyVersion: number, d: Downlink) {
  return encodeMac0(
    sha,
    key,
    { purpose: KeyPurpose.unitDownlink, deviceId: d.unitId, keyVersion: keyVersion },
    encodeDownlinkPayload(d),
  );
}

export function decodeDownlinkPayload(payload: Uint8Array): Result<Downlink> {
  const r = decodeCbor(payload);
  if (!r.ok) return r;
  const a = r.value;
  if (!Array.isArray(a) || a.length !== 7)
    return fail(ErrorCode.badStructure, "downlink is a 7-array");
  if (a[0] !== DOWNLINK_VERSION) return fail(ErrorCode.badVersion, "downlink payload version");
  const unitId = a[1];
  const counter = a[2];
  const issuedAt = a[3];
  const expiresAt = a[4];
  const code = a[5];
  const args = a[6];
  if (!isU32(unitId) || unitId === 0) return fail(ErrorCode.fieldOutOfRange, "unit id");
  if (!isU32(counter)) return fail(ErrorCode.fieldOutOfRange, "downlink counter");
  if (!isU32(issuedAt) || !isU32(expiresAt) || expiresAt <= issuedAt)
    return fail(ErrorCode.fieldOutOfRange, "issued/expires");
  if (typeof code !== "number" || code < 1 || code > 0xffff)
    return fail(ErrorCode.fieldOutOfRange, "command code");
  if (args !== null && !isCborMap(args)) return fail(ErrorCode.badStructure, "args is a map");
  return ok({
    unitId: unitId,
    counter: counter,
    issuedAt: issuedAt,
    expiresAt: expiresAt,
    code: code,
    args: args,
  });
}

export interface OpenedDownlink {
  downlink: Downlink;
  keyVersion: number;
  tag: Uint8Array;
}

/**
 * Verifies a downlink for this unit: MAC and addressee. Counter freshness (ReceiverCounter) and
 * expiry (checkExpiry) are separate steps because an expired but authentic, fresh command is
 * still acknowledged, with result `expired`, so the centre learns it did not take effect.
 */
export function openDownlink(
  sha: Sha256,
  bytes: Uint8Array,
  ownUnitId: number,
  keys: KeyLookup,
): Result<OpenedDownlink> {
  const m = openMac0(sha, bytes, KeyPurpose.unitDownlink, keys, ownUnitId);
  if (!m.ok) return m;
  const d = decodeDownlinkPayload(m.value.payload);
  if (!d.ok) return d;
  if (d.value.unitId !== ownUnitId) return fail(ErrorCode.wrongDevice, "addressed to another unit");
  return ok({ downlink: d.value, keyVersion: m.value.kid.keyVersion, tag: m.value.tag });
}

export function checkExpiry(d: Downlink, now: number): Result<Downlink> {
  if (now > d.expiresAt) return fail(ErrorCode.expired, "expired at " + d.expiresAt);
  return ok(d);
}
