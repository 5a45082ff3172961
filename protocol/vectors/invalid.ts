// Inputs that must be rejected, each with the error code SPEC §14 assigns. The expected code is
// written here by hand, not recorded from the implementation.

import { encodeBeacon } from "../src/core/beacon";
import { concatBytes, toHex } from "../src/core/bytes";
import { CborTagged, encodeCbor } from "../src/core/cbor";
import { encodeMac0 } from "../src/core/cose";
import { encodeDownlink } from "../src/core/downlink";
import { hmacSha256 } from "../src/core/hmac";
import { deriveKey, KeyPurpose, keyId } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeTagCommand } from "../src/core/tag-command";
import { encodeUplink, encodeUplinkPayload } from "../src/core/uplink";
import {
  beaconCases,
  COMPANY_ID,
  downlinkCases,
  ROOT,
  tagCommandCases,
  UNIT_ID,
  uplinkCases,
} from "./cases";

export type InvalidKind = "beacon" | "tagCommand" | "uplink" | "downlink";

export interface InvalidCase {
  name: string;
  kind: InvalidKind;
  hex: string;
  error: string;
  /** For downlinks: the receiver's clock (expiry). */
  now?: number;
}

/** Receivers in these vectors hold key version 1 only. */
export const ACCEPTED_KEY_VERSIONS = [1];

function flip(b: Uint8Array, index: number, mask = 1): Uint8Array {
  const c = b.slice();
  c[index < 0 ? c.length + index : index] ^= mask;
  return c;
}

/** A MAC0 with a hand-made protected header, correctly MACed, to test header rules. */
function mac0WithHeader(key: Uint8Array, header: Uint8Array, payload: Uint8Array): Uint8Array {
  const tag = hmacSha256(sha256, key, encodeCbor(["MAC0", header, new Uint8Array(0), payload]));
  return encodeCbor(new CborTagged(17, [header, {}, payload, tag]));
}

export function invalidCases(): InvalidCase[] {
  const out: InvalidCase[] = [];
  const add = (name: string, kind: InvalidKind, b: Uint8Array, error: string, now?: number) =>
    out.push(
      now === undefined
        ? { name, kind, hex: toHex(b), error }
        : { name, kind, hex: toHex(b), error, now },
    );

  const bf = beaconCases[0].fields;
  const bkey = deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, bf.tagId, bf.keyVersion);
  const beacon = encodeBeacon(sha256, bkey, COMPANY_ID, bf);
  add("beacon: one byte short", "beacon", beacon.subarray(0, 19), "truncated");
  add("beacon: one byte extra", "beacon", concatBytes([beacon, new Uint8Array([0])]), "too_long");
  add("beacon: version 2", "beacon", flip(beacon, 0, 0x30), "bad_version");
  add("beacon: MAC bit flipped", "beacon", flip(beacon, -1), "bad_mac");
  add("beacon: counter bit flipped", "beacon", flip(beacon, 8), "bad_mac");
  add("beacon: reserved flag bit set", "beacon", flip(beacon, 9, 0x80), "field_out_of_range");
  const otherKeyVersion = encodeBeacon(
    sha256,
    deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, bf.tagId, 2),
    COMPANY_ID,
    { ...bf, keyVersion: 2 },
  );
  add("beacon: key version 2 not held", "beacon", otherKeyVersion, "unknown_key_version");

  const tf = tagCommandCases[0].fields;
  const tkey = deriveKey(sha256, ROOT, KeyPurpose.tagCommand, tf.tagId, tf.keyVersion);
  const tcmd = encodeTagCommand(sha256, tkey, tf);
  add("tag command: MAC bit flipped", "tagCommand", flip(tcmd, 20), "bad_mac");
  add(
    "tag command: for another tag",
    "tagCommand",
    encodeTagCommand(sha256, tkey, { ...tf, tagId: tf.tagId + 1 }),
    "wrong_device",
  );
  add(
    "tag command: re-arm with empty mask",
    "tagCommand",
    encodeTagCommand(sha256, tkey, { ...tf, arg: 0 }),
    "field_out_of_range",
  );
  const beaconKeyCmd = encodeTagCommand(
    sha256,
    deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, tf.tagId, tf.keyVersion),
    tf,
  );
  add("tag command: signed with the beacon key", "tagCommand", beaconKeyCmd, "bad_mac");

  const uc = uplinkCases[0];
  const ukey = deriveKey(sha256, ROOT, KeyPurpose.unitUplink, UNIT_ID, 1);
  const up = encodeUplink(sha256, ukey, 1, uc.uplink);
  add("uplink: MAC bit flipped", "uplink", flip(up, -1), "bad_mac");
  add("uplink: payload bit flipped", "uplink", flip(up, 20), "bad_mac");
  add("uplink: truncated", "uplink", up.subarray(0, up.length - 1), "truncated");
  add("uplink: trailing byte", "uplink", concatBytes([up, new Uint8Array([0])]), "too_long");
  add("uplink: untagged array", "uplink", up.subarray(1), "bad_structure");
  const nonShortest = concatBytes([
    up.subarray(0, up.length - 34),
    new Uint8Array([0x59, 0x00, 0x20]),
    up.subarray(up.length - 32),
  ]);
  add("uplink: MAC length in a non-shortest head", "uplink", nonShortest, "bad_cbor");
  const indefinite = concatBytes([
    new Uint8Array([0xd1, 0x9f]),
    up.subarray(2),
    new Uint8Array([0xff]),
  ]);
  add("uplink: indefinite-length array", "uplink", indefinite, "bad_cbor");
  add(
    "uplink: key version 2 not held",
    "uplink",
    encodeUplink(sha256, deriveKey(sha256, ROOT, KeyPurpose.unitUplink, UNIT_ID, 2), 2, uc.uplink),
    "unknown_key_version",
  );
  add(
    "uplink: signed with the downlink key purpose",
    "uplink",
    encodeMac0(
      sha256,
      deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, UNIT_ID, 1),
      { purpose: KeyPurpose.unitDownlink, deviceId: UNIT_ID, keyVersion: 1 },
      encodeUplinkPayload(uc.uplink),
    ),
    "wrong_device",
  );
  const otherUnit = UNIT_ID + 1;
  add(
    "uplink: payload names another unit than the key id",
    "uplink",
    encodeMac0(
      sha256,
      ukey,
      { purpose: KeyPurpose.unitUplink, deviceId: UNIT_ID, keyVersion: 1 },
      encodeUplinkPayload({ ...uc.uplink, unitId: otherUnit }),
    ),
    "wrong_device",
  );
  add(
    "uplink: no events",
    "uplink",
    encodeUplink(sha256, ukey, 1, { ...uc.uplink, events: [] }),
    "field_out_of_range",
  );
  add(
    "uplink: algorithm 4 (HMAC 256/64) in the protected header",
    "uplink",
    mac0WithHeader(
      ukey,
      encodeCbor({ 1: 4, 4: keyId(KeyPurpose.unitUplink, UNIT_ID, 1) }),
      encodeUplinkPayload(uc.uplink),
    ),
    "bad_algorithm",
  );
  add(
    "uplink: payload version 2",
    "uplink",
    encodeMac0(
      sha256,
      ukey,
      { purpose: KeyPurpose.unitUplink, deviceId: UNIT_ID, keyVersion: 1 },
      encodeCbor([2, UNIT_ID, 1, 1, [[1, 1, 16, null, null]]]),
    ),
    "bad_version",
  );

  const dc = downlinkCases[0];
  const dkey = deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, UNIT_ID, 1);
  const down = encodeDownlink(sha256, dkey, 1, dc.downlink);
  add("downlink: MAC bit flipped", "downlink", flip(down, -3), "bad_mac", dc.downlink.issuedAt);
  add("downlink: expired", "downlink", down, "expired", dc.downlink.expiresAt + 1);
  add(
    "downlink: for another unit",
    "downlink",
    encodeDownlink(sha256, deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, otherUnit, 1), 1, {
      ...dc.downlink,
      unitId: otherUnit,
    }),
    "wrong_device",
    dc.downlink.issuedAt,
  );
  add(
    "downlink: expires before issued",
    "downlink",
    encodeDownlink(sha256, dkey, 1, { ...dc.downlink, expiresAt: dc.downlink.issuedAt }),
    "field_out_of_range",
    dc.downlink.issuedAt,
  );
  return out;
}
