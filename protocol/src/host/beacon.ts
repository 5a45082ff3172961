// Host-side beacon and tag-command MACs with node:crypto (the sniffer, simulator and centre).

import {
  BEACON_MAC_LENGTH,
  type Beacon,
  type BeaconFields,
  type BeaconKeyLookup,
  beaconBody,
  beaconMacInput,
  parseBeacon,
} from "../core/beacon.js";
import { equalBytes } from "../core/bytes.js";
import { ErrorCode, fail, type Result } from "../core/errors.js";
import {
  TAG_COMMAND_MAC_LENGTH,
  type TagCommandFields,
  tagCommandBody,
} from "../core/tag-command.js";
import { nodeHmac } from "./node-crypto.js";

export function verifyBeaconHost(
  key: Uint8Array,
  companyId: number,
  payload: Uint8Array,
): Result<Beacon> {
  const r = parseBeacon(payload);
  if (!r.ok) return r;
  const mac = nodeHmac(key, [beaconMacInput(companyId, payload)]).subarray(0, BEACON_MAC_LENGTH);
  if (!equalBytes(mac, r.value.mac)) return fail(ErrorCode.badMac, "beacon MAC mismatch");
  return r;
}

export function encodeBeaconHost(key: Uint8Array, companyId: number, f: BeaconFields): Uint8Array {
  const b = beaconBody(f);
  const at = b.length - BEACON_MAC_LENGTH;
  b.set(nodeHmac(key, [beaconMacInput(companyId, b)]).subarray(0, BEACON_MAC_LENGTH), at);
  return b;
}

export function encodeTagCommandHost(key: Uint8Array, f: TagCommandFields): Uint8Array {
  const b = tagCommandBody(f);
  b.set(nodeHmac(key, [b.subarray(0, 13)]).subarray(0, TAG_COMMAND_MAC_LENGTH), 13);
  return b;
}

/** Host counterpart of the core's openBeacon: same checks, same order, same codes. */
export function openBeaconHost(
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
  return verifyBeaconHost(key, companyId, payload);
}
