// Tag beacon (SPEC §4): BLE manufacturer data after the company id — the 20-byte beacon (type
// 1) or the 24-byte extended beacon (type 3), which adds how long ago the strap latched and the
// echo of the home unit's last freshness challenge (challenge.ts).

import { equalBytes, readU16BE, readU32BE, writeU16BE, writeU32BE } from "./bytes.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";
import { hmacSha256 } from "./hmac.js";
import type { Sha256 } from "./sha256.js";

export const BEACON_VERSION_TYPE = 0x11;
export const BEACON_LENGTH = 20;
export const EXTENDED_BEACON_VERSION_TYPE = 0x13;
export const EXTENDED_BEACON_LENGTH = 24;
/** The extended beacon's latch age counts in 2-second steps; this code means "unknown". */
export const LATCH_AGE_UNKNOWN = 0xffff;
export const BEACON_MAC_LENGTH = 8;
/** Bluetooth SIG value for internal use/testing; a deployer substitutes its assigned id. */
export const DEFAULT_COMPANY_ID = 0xffff;
export const BATTERY_NOT_MEASURED = 255;

export const BeaconFlag = {
  strapOpen: 0x01,
  strapLatched: 0x02,
  caseOpen: 0x04,
  caseLatched: 0x08,
  batteryLow: 0x10,
  rebooted: 0x20,
} as const;
const RESERVED_FLAGS = 0xc0;

export interface BeaconFields {
  tagId: number;
  counter: number;
  flags: number;
  /** Millivolts, or null when not measured. Encoded in 10 mV steps from 1,800 mV. */
  batteryMv: number | null;
  keyVersion: number;
  /**
   * Extended beacon only (absent: a 20-byte beacon). Seconds since the strap latched, in 2 s
   * steps, at most 131,068 (36.4 h; older latches say that); null when the tag does not know
   * (it rebooted since). 0 while the strap is not latched.
   */
  strapLatchAgeS?: number | null;
  /** Extended beacon only: the nonce of the last challenge the tag took (SPEC §5) with, in its
   * low 3 bits, the frames sent since; 0 = not challenged since it booted. Absent when encoding:
   * 0. */
  echo?: number;
}

export interface Beacon extends BeaconFields {
  mac: Uint8Array;
}

export function encodeBattery(mv: number | null): number {
  if (mv === null) return BATTERY_NOT_MEASURED;
  const v = Math.round((mv - 1800) / 10);
  return Math.max(0, Math.min(250, v));
}

/** The latch age field: 0 when not latched, 2 s steps, saturating below the "unknown" code. */
export function encodeLatchAge(flags: number, ageS: number | null): number {
  if (!(flags & BeaconFlag.strapLatched)) return 0;
  return ageS === null ? LATCH_AGE_UNKNOWN : Math.min(LATCH_AGE_UNKNOWN - 1, Math.floor(ageS / 2));
}

/** What the MAC covers: company id (little-endian, as on air) ‖ the payload up to its MAC. */
export function beaconMacInput(companyId: number, payload: Uint8Array): Uint8Array {
  const n = payload.length - BEACON_MAC_LENGTH;
  const m = new Uint8Array(2 + n);
  m[0] = companyId & 255;
  m[1] = (companyId >> 8) & 255;
  for (let i = 0; i < n; i++) m[2 + i] = payload[i];
  return m;
}

/** The payload with its MAC bytes still zero: the one place the layout is written. */
export function beaconBody(f: BeaconFields): Uint8Array {
  const ext = f.strapLatchAgeS !== undefined;
  const b = new Uint8Array(ext ? EXTENDED_BEACON_LENGTH : BEACON_LENGTH);
  b[0] = ext ? EXTENDED_BEACON_VERSION_TYPE : BEACON_VERSION_TYPE;
  writeU32BE(b, 1, f.tagId);
  writeU32BE(b, 5, f.counter);
  b[9] = f.flags & 0x3f;
  b[10] = encodeBattery(f.batteryMv);
  b[11] = f.keyVersion & 255;
  if (ext) {
    writeU16BE(b, 12, encodeLatchAge(b[9], f.strapLatchAgeS as number | null));
    writeU16BE(b, 14, f.echo || 0);
  }
  return b;
}

export function encodeBeacon(
  sha: Sha256,
  key: Uint8Array,
  companyId: number,
  f: BeaconFields,
): Uint8Array {
  const b = beaconBody(f);
  const at = b.length - BEACON_MAC_LENGTH;
  b.set(hmacSha256(sha, key, beaconMacInput(companyId, b)).subarray(0, BEACON_MAC_LENGTH), at);
  return b;
}

/** Structure only: no MAC check. Receivers use this to find which key to check with. */
export function parseBeacon(payload: Uint8Array): Result<Beacon> {
  const n = payload.length;
  if (n < BEACON_LENGTH) return fail(ErrorCode.truncated, "beacon shorter than 20");
  if (n > EXTENDED_BEACON_LENGTH) return fail(ErrorCode.tooLong, "beacon longer than 24");
  if (payload[0] >> 4 !== 1)
    return fail(ErrorCode.badVersion, "beacon version " + (payload[0] >> 4));
  const type = payload[0] & 15;
  if (type !== 1 && type !== 3)
    return fail(ErrorCode.badType, "not a beacon: type " + (payload[0] & 15));
  const need = type === 3 ? EXTENDED_BEACON_LENGTH : BEACON_LENGTH;
  if (n < need) return fail(ErrorCode.truncated, "extended beacon shorter than 24");
  if (n > need) return fail(ErrorCode.tooLong, "beacon longer than 20");
  const tagId = readU32BE(payload, 1);
  if (tagId === 0) return fail(ErrorCode.fieldOutOfRange, "tag id 0 is reserved");
  const flags = payload[9];
  if (flags & RESERVED_FLAGS) return fail(ErrorCode.fieldOutOfRange, "reserved flag bits set");
  const bat = payload[10];
  if (bat > 250 && bat !== BATTERY_NOT_MEASURED)
    return fail(ErrorCode.fieldOutOfRange, "battery code " + bat);
  const b: Beacon = {
    tagId: tagId,
    counter: readU32BE(payload, 5),
    flags: flags,
    batteryMv: bat === BATTERY_NOT_MEASURED ? null : 1800 + 10 * bat,
    keyVersion: payload[11],
    mac: payload.subarray(n - BEACON_MAC_LENGTH, n),
  };
  if (type === 3) {
    const age = readU16BE(payload, 12);
    if (age !== 0 && !(flags & BeaconFlag.strapLatched))
      return fail(ErrorCode.fieldOutOfRange, "latch age without a latched strap");
    b.strapLatchAgeS = age === LATCH_AGE_UNKNOWN ? null : age * 2;
    b.echo = readU16BE(payload, 14);
  }
  return ok(b);
}

/** Parses and checks the MAC. Counter freshness is the caller's (ReceiverCounter). */
export function verifyBeacon(
  sha: Sha256,
  key: Uint8Array,
  companyId: number,
  payload: Uint8Array,
): Result<Beacon> {
  const r = parseBeacon(payload);
  if (!r.ok) return r;
  const mac = hmacSha256(sha, key, beaconMacInput(companyId, payload)).subarray(
    0,
    BEACON_MAC_LENGTH,
  );
  if (!equalBytes(mac, r.value.mac)) return fail(ErrorCode.badMac, "beacon MAC mismatch");
  return r;
}

/** Picks the tag-beacon key for (tag id, key version); null when not held. */
export type BeaconKeyLookup = (tagId: number, keyVersion: number) => Uint8Array | null;

/**
 * SPEC §14's order at a unit: structure, the paired tag (`forTag`; 0 = any tag), key version,
 * MAC. Counter freshness is the caller's.
 */
export function openBeacon(
  sha: Sha256,
  companyId: number,
  payload: Uint8Array,
  keys: BeaconKeyLookup,
  forTag: number,
): Result<Beacon> {
  const r = parseBeacon(payload);
  if (!r.ok) return r;
  if (forTag !== 0 && r.value.tagId !== forTag)
    return fail(ErrorCode.wrongDevice, "another tag's beacon");
  const key = keys(r.value.tagId, r.value.keyVersion);
  if (key === null)
    return fail(ErrorCode.unknownKeyVersion, "no key for version " + r.value.keyVersion);
  return verifyBeacon(sha, key, companyId, payload);
}
