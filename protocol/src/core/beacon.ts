// Tag beacon (SPEC §4): 20 bytes of BLE manufacturer data after the company id.

import { equalBytes, readU32BE, writeU32BE } from "./bytes.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";
import { hmacSha256 } from "./hmac.js";
import type { Sha256 } from "./sha256.js";

export const BEACON_VERSION_TYPE = 0x11;
export const BEACON_LENGTH = 20;
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
}

export interface Beacon extends BeaconFields {
  mac: Uint8Array;
}

export function encodeBattery(mv: number | null): number {
  if (mv === null) return BATTERY_NOT_MEASURED;
  const v = Math.round((mv - 1800) / 10);
  return Math.max(0, Math.min(250, v));
}

/** What the beacon MAC covers: company id (little-endian, as on air) ‖ payload bytes 0…11. */
export function beaconMacInput(companyId: number, payload: Uint8Array): Uint8Array {
  const m = new Uint8Array(14);
  m[0] = companyId & 255;
  m[1] = (companyId >> 8) & 255;
  for (let i = 0; i < 12; i++) m[2 + i] = payload[i];
  return m;
}

/** The 20-byte payload with its MAC bytes still zero: the one place the layout is written. */
export function beaconBody(f: BeaconFields): Uint8Array {
  const b = new Uint8Array(BEACON_LENGTH);
  b[0] = BEACON_VERSION_TYPE;
  writeU32BE(b, 1, f.tagId);
  writeU32BE(b, 5, f.counter);
  b[9] = f.flags & 0x3f;
  b[10] = encodeBattery(f.batteryMv);
  b[11] = f.keyVersion & 255;
  return b;
}

export function encodeBeacon(
  sha: Sha256,
  key: Uint8Array,
  companyId: number,
  f: BeaconFields,
): Uint8Array {
  const b = beaconBody(f);
  b.set(hmacSha256(sha, key, beaconMacInput(companyId, b)).subarray(0, BEACON_MAC_LENGTH), 12);
  return b;
}

/** Structure only: no MAC check. Receivers use this to find which key to check with. */
export function parseBeacon(payload: Uint8Array): Result<Beacon> {
  if (payload.length < BEACON_LENGTH) return fail(ErrorCode.truncated, "beacon shorter than 20");
  if (payload.length > BEACON_LENGTH) return fail(ErrorCode.tooLong, "beacon longer than 20");
  if (payload[0] >> 4 !== 1)
    return fail(ErrorCode.badVersion, "beacon version " + (payload[0] >> 4));
  if ((payload[0] & 15) !== 1)
    return fail(ErrorCode.badType, "not a beacon: type " + (payload[0] & 15));
  const tagId = readU32BE(payload, 1);
  if (tagId === 0) return fail(ErrorCode.fieldOutOfRange, "tag id 0 is reserved");
  if (payload[9] & RESERVED_FLAGS) return fail(ErrorCode.fieldOutOfRange, "reserved flag bits set");
  const bat = payload[10];
  if (bat > 250 && bat !== BATTERY_NOT_MEASURED)
    return fail(ErrorCode.fieldOutOfRange, "battery code " + bat);
  return ok({
    tagId: tagId,
    counter: readU32BE(payload, 5),
    flags: payload[9],
    batteryMv: bat === BATTERY_NOT_MEASURED ? null : 1800 + 10 * bat,
    keyVersion: payload[11],
    mac: payload.subarray(12, 20),
  });
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
