// Inputs that must be rejected, each with the error code SPEC §14 assigns. The expected code is
// written here by hand, not recorded from the implementation.

import { beaconBody, beaconMacInput, encodeBeacon } from "../src/core/beacon";
import { concatBytes, toHex } from "../src/core/bytes";
import { CborTagged, encodeCbor } from "../src/core/cbor";
import { encodeMac0 } from "../src/core/cose";
import { encodeDownlink, encodeDownlinkPayload } from "../src/core/downlink";
import { hmacSha256 } from "../src/core/hmac";
import { deriveKey, KeyPurpose, keyId } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeSmsText, SMS_PREFIX } from "../src/core/sms-text";
import { encodeTagCommand, TagCommandCode } from "../src/core/tag-command";
import { encodeUplink, encodeUplinkPayload } from "../src/core/uplink";
import {
  ASYMMETRIC_COMPANY_ID,
  beaconCases,
  COMPANY_ID,
  downlinkCases,
  RECEIVERS,
  ROOT,
  tagCommandCases,
  UNIT_ID,
  uplinkCases,
} from "./cases";
import type { FrameKind, VectorReceiver } from "./receiver";

export interface InvalidCase {
  name: string;
  kind: FrameKind;
  /** The SPEC section whose rule the case pins. */
  clause: string;
  /** The frame's bytes (hex), or for kind "sms" the text. */
  hex?: string;
  text?: string;
  error: string;
  receiver: VectorReceiver;
}

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
  const at = (kind: FrameKind, now?: number): VectorReceiver =>
    now === undefined ? RECEIVERS[kind] : { ...RECEIVERS[kind], now };
  const add = (
    name: string,
    kind: FrameKind,
    b: Uint8Array,
    error: string,
    clause: string,
    now?: number,
  ) => out.push({ name, kind, clause, hex: toHex(b), error, receiver: at(kind, now) });
  const addSms = (name: string, text: string, error: string) =>
    out.push({ name, kind: "sms", clause: "§12", text, error, receiver: RECEIVERS.sms });

  const bf = beaconCases[0].fields;
  const bkey = deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, bf.tagId, bf.keyVersion);
  const beacon = encodeBeacon(sha256, bkey, COMPANY_ID, bf);
  /** A beacon body with its MAC computed over whatever the body holds, valid or not. */
  const macBeacon = (body: Uint8Array) => {
    const at = body.length - 8;
    body.set(hmacSha256(sha256, bkey, beaconMacInput(COMPANY_ID, body)).subarray(0, 8), at);
    return body;
  };
  add("beacon: one byte short", "beacon", beacon.subarray(0, 19), "truncated", "§4");
  add(
    "beacon: one byte extra",
    "beacon",
    concatBytes([beacon, new Uint8Array([0])]),
    "too_long",
    "§4",
  );
  add("beacon: version 2", "beacon", flip(beacon, 0, 0x30), "bad_version", "§4");
  add("beacon: type 2 (a tag command's header)", "beacon", flip(beacon, 0, 0x03), "bad_type", "§4");
  add("beacon: MAC bit flipped", "beacon", flip(beacon, -1), "bad_mac", "§4");
  add("beacon: counter bit flipped", "beacon", flip(beacon, 8), "bad_mac", "§4");
  add(
    "beacon: reserved flag bit set (MAC not valid: fields are checked first)",
    "beacon",
    flip(beacon, 9, 0x80),
    "field_out_of_range",
    "§14 order",
  );
  const reserved = beaconBody(bf);
  reserved[9] = 0x80;
  add(
    "beacon: reserved flag bit set, MAC valid",
    "beacon",
    macBeacon(reserved),
    "field_out_of_range",
    "§4",
  );
  const battery = beaconBody(bf);
  battery[10] = 252;
  add("beacon: battery code 252", "beacon", macBeacon(battery), "field_out_of_range", "§4");
  add(
    "beacon: tag id 0",
    "beacon",
    macBeacon(beaconBody({ ...bf, tagId: 0 })),
    "field_out_of_range",
    "§4",
  );
  const xf = beaconCases[5].fields; // extended, strap latched 4 h ago
  const extended = encodeBeacon(sha256, bkey, COMPANY_ID, xf);
  add(
    "extended beacon: 20 bytes (a type 3 needs 24)",
    "beacon",
    extended.subarray(0, 20),
    "truncated",
    "§14 order",
  );
  add(
    "extended beacon: one byte extra",
    "beacon",
    concatBytes([extended, new Uint8Array([0])]),
    "too_long",
    "§4",
  );
  add("extended beacon: latch age changed", "beacon", flip(extended, 13), "bad_mac", "§4");
  const ageUnlatched = beaconBody({ ...xf, flags: 0, strapLatchAgeS: 0 });
  ageUnlatched[13] = 5;
  add(
    "extended beacon: a latch age with the strap not latched, MAC valid",
    "beacon",
    macBeacon(ageUnlatched),
    "field_out_of_range",
    "§4",
  );
  const otherKeyVersion = encodeBeacon(
    sha256,
    deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, bf.tagId, 2),
    COMPANY_ID,
    { ...bf, keyVersion: 2 },
  );
  add(
    "beacon: key version 2 not held",
    "beacon",
    otherKeyVersion,
    "unknown_key_version",
    "§2 rotation",
  );
  add(
    "beacon: another tag's (a neighbour's), MAC valid under its own key",
    "beacon",
    encodeBeacon(
      sha256,
      deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, bf.tagId + 1, 1),
      COMPANY_ID,
      { ...bf, tagId: bf.tagId + 1 },
    ),
    "wrong_device",
    "§4",
  );
  add(
    "beacon: company id 0x0A5B's MAC heard under 0xFFFF",
    "beacon",
    encodeBeacon(sha256, bkey, ASYMMETRIC_COMPANY_ID, bf),
    "bad_mac",
    "§4",
  );

  const tf = tagCommandCases[0].fields;
  const tkey = deriveKey(sha256, ROOT, KeyPurpose.tagCommand, tf.tagId, tf.keyVersion);
  const tkey2 = deriveKey(sha256, ROOT, KeyPurpose.tagCommand, tf.tagId, 2);
  const tcmd = encodeTagCommand(sha256, tkey, tf);
  add("tag command: MAC bit flipped", "tagCommand", flip(tcmd, 20), "bad_mac", "§5");
  add(
    "tag command: type 1 (a beacon's header)",
    "tagCommand",
    flip(tcmd, 0, 0x03),
    "bad_type",
    "§5",
  );
  add(
    "tag command: for another tag",
    "tagCommand",
    encodeTagCommand(sha256, tkey, { ...tf, tagId: tf.tagId + 1 }),
    "wrong_device",
    "§5",
  );
  add(
    "tag command: re-arm with empty mask",
    "tagCommand",
    encodeTagCommand(sha256, tkey, { ...tf, arg: 0 }),
    "field_out_of_range",
    "§5",
  );
  add(
    "tag command: unknown command 0x04",
    "tagCommand",
    encodeTagCommand(sha256, tkey, { ...tf, code: 4, arg: 1 }),
    "field_out_of_range",
    "§5",
  );
  add(
    "tag command: identify for 61 s",
    "tagCommand",
    encodeTagCommand(sha256, tkey, { ...tf, code: TagCommandCode.identify, arg: 61 }),
    "field_out_of_range",
    "§5",
  );
  add(
    "tag command: key version 2 not held",
    "tagCommand",
    encodeTagCommand(sha256, tkey2, { ...tf, keyVersion: 2 }),
    "unknown_key_version",
    "§2 rotation",
  );
  add(
    "tag command: for another tag at key version 2 (addressee before key version)",
    "tagCommand",
    encodeTagCommand(sha256, tkey2, { ...tf, tagId: tf.tagId + 1, keyVersion: 2 }),
    "wrong_device",
    "§14 order",
  );
  const beaconKeyCmd = encodeTagCommand(
    sha256,
    deriveKey(sha256, ROOT, KeyPurpose.tagBeacon, tf.tagId, tf.keyVersion),
    tf,
  );
  add("tag command: signed with the beacon key", "tagCommand", beaconKeyCmd, "bad_mac", "§5");

  const uc = uplinkCases[0];
  const ukey = deriveKey(sha256, ROOT, KeyPurpose.unitUplink, UNIT_ID, 1);
  const ukid = { purpose: KeyPurpose.unitUplink, deviceId: UNIT_ID, keyVersion: 1 };
  const up = encodeUplink(sha256, ukey, 1, uc.uplink);
  const upPayload = encodeUplinkPayload(uc.uplink);
  /** An uplink envelope, correctly MACed, around any payload bytes. */
  const sealed = (payload: Uint8Array) => encodeMac0(sha256, ukey, ukid, payload);
  /** The first vector's payload with its one event's data (the last item, null) replaced. */
  const withData = (data: number[]) =>
    concatBytes([upPayload.subarray(0, upPayload.length - 1), new Uint8Array(data)]);
  const protectedBytes = encodeCbor({ 1: 5, 4: keyId(KeyPurpose.unitUplink, UNIT_ID, 1) });
  const macOver = (payload: Uint8Array) =>
    hmacSha256(sha256, ukey, encodeCbor(["MAC0", protectedBytes, new Uint8Array(0), payload]));
  add("uplink: MAC bit flipped", "uplink", flip(up, -1), "bad_mac", "§6");
  add("uplink: payload bit flipped", "uplink", flip(up, 20), "bad_mac", "§14 order");
  add("uplink: truncated", "uplink", up.subarray(0, up.length - 1), "truncated", "§6");
  add("uplink: trailing byte", "uplink", concatBytes([up, new Uint8Array([0])]), "too_long", "§6");
  add("uplink: untagged array", "uplink", up.subarray(1), "bad_structure", "§6");
  add(
    "uplink: top-level tag 18",
    "uplink",
    concatBytes([new Uint8Array([0xd2]), up.subarray(1)]),
    "bad_cbor",
    "§6",
  );
  const nonShortest = concatBytes([
    up.subarray(0, up.length - 34),
    new Uint8Array([0x59, 0x00, 0x20]),
    up.subarray(up.length - 32),
  ]);
  add("uplink: MAC length in a non-shortest head", "uplink", nonShortest, "bad_cbor", "§6");
  const indefinite = concatBytes([
    new Uint8Array([0xd1, 0x9f]),
    up.subarray(2),
    new Uint8Array([0xff]),
  ]);
  add("uplink: indefinite-length array", "uplink", indefinite, "bad_cbor", "§6");
  add(
    "uplink: unprotected header not empty",
    "uplink",
    encodeCbor(new CborTagged(17, [protectedBytes, { 1: 5 }, upPayload, macOver(upPayload)])),
    "bad_structure",
    "§6",
  );
  add(
    "uplink: MAC of 31 bytes",
    "uplink",
    encodeCbor(
      new CborTagged(17, [protectedBytes, {}, upPayload, macOver(upPayload).subarray(0, 31)]),
    ),
    "bad_structure",
    "§6",
  );
  add(
    "uplink: empty protected header",
    "uplink",
    mac0WithHeader(ukey, encodeCbor({}), upPayload),
    "bad_algorithm",
    "§6",
  );
  add(
    "uplink: key id of 5 bytes",
    "uplink",
    mac0WithHeader(ukey, encodeCbor({ 1: 5, 4: keyId(3, UNIT_ID, 1).subarray(0, 5) }), upPayload),
    "bad_algorithm",
    "§6",
  );
  add(
    "uplink: protected header keys out of order ({4: kid, 1: 5})",
    "uplink",
    mac0WithHeader(
      ukey,
      concatBytes([
        new Uint8Array([0xa2, 0x04, 0x46]),
        keyId(KeyPurpose.unitUplink, UNIT_ID, 1),
        new Uint8Array([0x01, 0x05]),
      ]),
      upPayload,
    ),
    "bad_cbor",
    "§6",
  );
  add(
    "uplink: algorithm 4 (HMAC 256/64) in the protected header",
    "uplink",
    mac0WithHeader(
      ukey,
      encodeCbor({ 1: 4, 4: keyId(KeyPurpose.unitUplink, UNIT_ID, 1) }),
      upPayload,
    ),
    "bad_algorithm",
    "§6",
  );
  add(
    "uplink: key version 2 not held",
    "uplink",
    encodeUplink(sha256, deriveKey(sha256, ROOT, KeyPurpose.unitUplink, UNIT_ID, 2), 2, uc.uplink),
    "unknown_key_version",
    "§2 rotation",
  );
  add(
    "uplink: signed with the downlink key purpose",
    "uplink",
    encodeMac0(
      sha256,
      deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, UNIT_ID, 1),
      { purpose: KeyPurpose.unitDownlink, deviceId: UNIT_ID, keyVersion: 1 },
      upPayload,
    ),
    "wrong_device",
    "§6",
  );
  const otherUnit = UNIT_ID + 1;
  add(
    "uplink: payload names another unit than the key id",
    "uplink",
    sealed(encodeUplinkPayload({ ...uc.uplink, unitId: otherUnit })),
    "wrong_device",
    "§7",
  );
  add(
    "uplink: payload version 2",
    "uplink",
    sealed(encodeCbor([2, UNIT_ID, 1, 1, [[1, 1, 16, null, null]]])),
    "bad_version",
    "§7",
  );
  add(
    "uplink: no events",
    "uplink",
    encodeUplink(sha256, ukey, 1, { ...uc.uplink, events: [] }),
    "field_out_of_range",
    "§7",
  );
  const event = uc.uplink.events[0];
  add(
    "uplink: 33 events",
    "uplink",
    encodeUplink(sha256, ukey, 1, {
      ...uc.uplink,
      events: Array.from({ length: 33 }, (_, i) => ({ ...event, seq: event.seq + i })),
    }),
    "field_out_of_range",
    "§7",
  );
  add(
    "uplink: negative unit id",
    "uplink",
    sealed(encodeCbor([1, -1, 17, 1795000000, [[41, 1794999999, 16, null, null]]])),
    "field_out_of_range",
    "§7",
  );
  add(
    "uplink: event code 0",
    "uplink",
    sealed(encodeUplinkPayload({ ...uc.uplink, events: [{ ...event, code: 0 }] })),
    "field_out_of_range",
    "§7",
  );
  add(
    "uplink: event tag id 0",
    "uplink",
    sealed(encodeUplinkPayload({ ...uc.uplink, events: [{ ...event, tagId: 0 }] })),
    "field_out_of_range",
    "§7",
  );
  add("uplink: event data is a number", "uplink", sealed(withData([0x05])), "bad_structure", "§7");
  add(
    "uplink: payload cut short inside the envelope",
    "uplink",
    sealed(upPayload.subarray(0, upPayload.length - 1)),
    "truncated",
    "§6",
  );
  add(
    "uplink: undefined (simple 23) as event data",
    "uplink",
    sealed(withData([0xf7])),
    "bad_cbor",
    "§6",
  );
  add(
    "uplink: a half-precision float as event data",
    "uplink",
    sealed(withData([0xf9, 0x3c, 0x00])),
    "bad_cbor",
    "§6",
  );
  add(
    "uplink: text in event data that is not UTF-8",
    "uplink",
    sealed(withData([0xa1, 0x01, 0x61, 0xff])),
    "bad_cbor",
    "§6",
  );
  add(
    "uplink: event data map keys out of order",
    "uplink",
    sealed(withData([0xa2, 0x02, 0x00, 0x01, 0x00])),
    "bad_cbor",
    "§6",
  );
  add(
    "uplink: event data nested 17 deep",
    "uplink",
    sealed(
      withData(
        [0xa1, 0x01].concat(
          Array.from({ length: 13 }, () => 0x81),
          [0x80],
        ),
      ),
    ),
    "bad_cbor",
    "§6",
  );

  const dc = downlinkCases[0];
  const dkey = deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, UNIT_ID, 1);
  const dkid = { purpose: KeyPurpose.unitDownlink, deviceId: UNIT_ID, keyVersion: 1 };
  const down = encodeDownlink(sha256, dkey, 1, dc.downlink);
  const issued = dc.downlink.issuedAt;
  add("downlink: MAC bit flipped", "downlink", flip(down, -3), "bad_mac", "§6", issued);
  add(
    "downlink: MAC bit flipped and expired (the MAC first)",
    "downlink",
    flip(down, -3),
    "bad_mac",
    "§14 order",
    dc.downlink.expiresAt + 1,
  );
  add("downlink: expired", "downlink", down, "expired", "§8", dc.downlink.expiresAt + 1);
  add(
    "downlink: for another unit",
    "downlink",
    encodeDownlink(sha256, deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, otherUnit, 1), 1, {
      ...dc.downlink,
      unitId: otherUnit,
    }),
    "wrong_device",
    "§8",
    issued,
  );
  add(
    "downlink: key id of another unit, payload this one (checked before any key)",
    "downlink",
    encodeMac0(
      sha256,
      deriveKey(sha256, ROOT, KeyPurpose.unitDownlink, otherUnit, 1),
      { ...dkid, deviceId: otherUnit },
      encodeDownlinkPayload(dc.downlink),
    ),
    "wrong_device",
    "§14 order",
    issued,
  );
  add(
    "downlink: payload for another unit under this unit's key",
    "downlink",
    encodeMac0(sha256, dkey, dkid, encodeDownlinkPayload({ ...dc.downlink, unitId: otherUnit })),
    "wrong_device",
    "§8",
    issued,
  );
  add(
    "downlink: expires before issued",
    "downlink",
    encodeDownlink(sha256, dkey, 1, { ...dc.downlink, expiresAt: dc.downlink.issuedAt }),
    "field_out_of_range",
    "§8",
    issued,
  );
  add(
    "downlink: args not a map",
    "downlink",
    encodeMac0(
      sha256,
      dkey,
      dkid,
      encodeCbor([1, UNIT_ID, 5, issued, dc.downlink.expiresAt, 5, [900, 8]]),
    ),
    "bad_structure",
    "§8",
    issued,
  );
  add(
    "downlink: payload version 2",
    "downlink",
    encodeMac0(
      sha256,
      dkey,
      dkid,
      encodeCbor([2, UNIT_ID, 5, issued, dc.downlink.expiresAt, 5, null]),
    ),
    "bad_version",
    "§8",
    issued,
  );

  const sms = encodeSmsText(up);
  addSms("sms: no EM1: prefix", "EM2:" + sms.slice(4), "bad_version");
  addSms("sms: 161 characters", sms + "A".repeat(161 - sms.length), "too_long");
  addSms("sms: '+' is not base64url", sms.slice(0, 10) + "+" + sms.slice(11), "bad_structure");
  const n = sms.length - SMS_PREFIX.length;
  addSms("sms: a base64url length of 4n+1", sms + "A".repeat((5 - (n % 4)) % 4), "truncated");
  // An envelope whose length is not a multiple of 3 leaves unused bits in the last character.
  const odd = encodeSmsText(concatBytes([up, new Uint8Array([0])]));
  const lastIndex = BASE64URL.indexOf(odd.charAt(odd.length - 1));
  addSms(
    "sms: non-zero trailing bits",
    odd.slice(0, -1) + BASE64URL.charAt(lastIndex + 1),
    "bad_structure",
  );
  addSms("sms: envelope MAC bit flipped", encodeSmsText(flip(up, -1)), "bad_mac");
  addSms("sms: a downlink envelope sent to the centre", encodeSmsText(down), "wrong_device");
  return out;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
