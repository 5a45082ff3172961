// Host-side beacon and tag-command MACs with node:crypto (the sniffer, simulator and centre).

import {
  BEACON_LENGTH,
  BEACON_MAC_LENGTH,
  type Beacon,
  type BeaconFields,
  type BeaconKeyLookup,
  encodeBattery,
  parseBeacon,
} from "../core/beacon";
import { equalBytes, writeU16BE, writeU32BE } from "../core/bytes";
import { ErrorCode, fail, type Result } from "../core/errors";
import {
  TAG_COMMAND_LENGTH,
  TAG_COMMAND_MAC_LENGTH,
  TAG_COMMAND_VERSION_TYPE,
  type TagCommandFields,
} from "../core/tag-command";
import { nodeHmac } from "./node-crypto";

function companyBytes(companyId: number): Uint8Array {
  return new Uint8Array([companyId & 255, (companyId >> 8) & 255]);
}

export function verifyBeaconHost(
  key: Uint8Array,
  companyId: number,
  payload: Uint8Array,
): Result<Beacon> {
  const r = parseBeacon(payload);
  if (!r.ok) return r;
  const mac = nodeHmac(key, [companyBytes(companyId), payload.subarray(0, 12)]).subarray(
    0,
    BEACON_MAC_LENGTH,
  );
  if (!equalBytes(mac, r.value.mac)) return fail(ErrorCode.badMac, "beacon MAC mismatch");
  return r;
}

export function encodeBeaconHost(key: Uint8Array, companyId: number, f: BeaconFields): Uint8Array {
  const b = new Uint8Array(BEACON_LENGTH);
  b[0] = 0x11;
  writeU32BE(b, 1, f.tagId);
  writeU32BE(b, 5, f.counter);
  b[9] = f.flags & 0x3f;
  b[10] = encodeBattery(f.batteryMv);
  b[11] = f.keyVersion & 255;
  b.set(
    nodeHmac(key, [companyBytes(companyId), b.subarray(0, 12)]).subarray(0, BEACON_MAC_LENGTH),
    12,
  );
  return b;
}

export function encodeTagCommandHost(key: Uint8Array, f: TagCommandFields): Uint8Array {
  const b = new Uint8Array(TAG_COMMAND_LENGTH);
  b[0] = TAG_COMMAND_VERSION_TYPE;
  writeU32BE(b, 1, f.tagId);
  writeU32BE(b, 5, f.counter);
  b[9] = f.keyVersion & 255;
  b[10] = f.code & 255;
  writeU16BE(b, 11, f.arg);
  b.set(nodeHmac(key, [b.subarray(0, 13)]).subarray(0, TAG_COMMAND_MAC_LENGTH), 13);
  return b;
}

export function openBeaconHost(
  companyId: number,
  payload: Uint8Array,
  keys: BeaconKeyLookup,
): Result<Beacon> {
  const r = parseBeacon(payload);
  if (!r.ok) return r;
  const key = keys(r.value.tagId, r.value.keyVersion);
  if (key === null)
    return fail(ErrorCode.unknownKeyVersion, "no key for version " + r.value.keyVersion);
  return verifyBeaconHost(key, companyId, payload);
}
