// Host-side envelopes: node:crypto for the MAC and a fast path for the exact COSE_Mac0 shape our
// devices send. Anything off that shape falls back to the core parser, so both faces classify
// every input with the same error code; payloads are decoded by the core decoder, which enforces
// deterministic CBOR.

import { readU32BE } from "../core/bytes.js";
import { encodeCbor } from "../core/cbor.js";
import { type KeyIdFields, type KeyLookup, type Mac0, parseMac0 } from "../core/cose.js";
import {
  type Downlink,
  decodeDownlinkPayload,
  encodeDownlinkPayload,
  type OpenedDownlink,
} from "../core/downlink.js";
import { ErrorCode, fail, ok, type Result } from "../core/errors.js";
import { KeyPurpose, keyId } from "../core/keys.js";
import {
  decodeUplinkPayload,
  encodeUplinkPayload,
  type OpenedUplink,
  type Uplink,
} from "../core/uplink.js";
import { nodeHmac } from "./node-crypto.js";
import { decodeUplinkPayloadFast } from "./uplink-fast.js";

// 84 (array of 4) 64 "MAC0"
const MAC_STRUCTURE_PREFIX = new Uint8Array([0x84, 0x64, 0x4d, 0x41, 0x43, 0x30]);
const EMPTY_BSTR = new Uint8Array([0x40]);
// d1 (tag 17) 84 (array 4) 4b (bstr 11) a2 01 05 04 46 (map {1: 5, 4: bstr 6 …})
const FAST_HEAD = [0xd1, 0x84, 0x4b, 0xa2, 0x01, 0x05, 0x04, 0x46];

interface FastMac0 extends Mac0 {
  /** The protected bstr with its head, and the payload bstr with its head, as received. */
  protectedItem: Uint8Array;
  payloadItem: Uint8Array;
}

function bstrHead(n: number): Uint8Array {
  if (n < 24) return new Uint8Array([0x40 + n]);
  if (n < 256) return new Uint8Array([0x58, n]);
  if (n < 65536) return new Uint8Array([0x59, n >> 8, n & 255]);
  return new Uint8Array([0x5a, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** Recognises exactly what a conforming sender emits; null means "let the core decide". */
function parseFast(b: Uint8Array): FastMac0 | null {
  if (b.length < 14 + 1 + 1 + 34) return null;
  for (let i = 0; i < FAST_HEAD.length; i++) if (b[i] !== FAST_HEAD[i]) return null;
  if (b[14] !== 0xa0) return null;
  let off = 15;
  let n: number;
  const h = b[off];
  if (h >= 0x40 && h < 0x58) {
    n = h - 0x40;
    off += 1;
  } else if (h === 0x58 && b[off + 1] >= 24) {
    n = b[off + 1];
    off += 2;
  } else if (h === 0x59 && b[off + 1] > 0) {
    n = (b[off + 1] << 8) | b[off + 2];
    off += 3;
  } else return null;
  const payloadEnd = off + n;
  if (payloadEnd + 34 !== b.length || b[payloadEnd] !== 0x58 || b[payloadEnd + 1] !== 0x20)
    return null;
  const kid: KeyIdFields = { purpose: b[8], deviceId: readU32BE(b, 9), keyVersion: b[13] };
  return {
    kid,
    protectedBytes: b.subarray(3, 14),
    payload: b.subarray(off, payloadEnd),
    tag: b.subarray(payloadEnd + 2),
    protectedItem: b.subarray(2, 14),
    payloadItem: b.subarray(15, payloadEnd),
  };
}

function macOf(key: Uint8Array, protectedItem: Uint8Array, payloadItem: Uint8Array): Uint8Array {
  return nodeHmac(key, [MAC_STRUCTURE_PREFIX, protectedItem, EMPTY_BSTR, payloadItem]);
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Host counterpart of the core's openMac0: same checks, same error codes. */
export function openMac0Host(
  bytes: Uint8Array,
  purpose: number,
  keys: KeyLookup,
  forDevice: number,
): Result<Mac0> {
  let m: FastMac0 | null = parseFast(bytes);
  let protectedItem: Uint8Array;
  let payloadItem: Uint8Array;
  if (m) {
    protectedItem = m.protectedItem;
    payloadItem = m.payloadItem;
  } else {
    const p = parseMac0(bytes);
    if (!p.ok) return p;
    protectedItem = Buffer.concat([
      bstrHead(p.value.protectedBytes.length),
      p.value.protectedBytes,
    ]);
    payloadItem = Buffer.concat([bstrHead(p.value.payload.length), p.value.payload]);
    m = { ...p.value, protectedItem, payloadItem };
  }
  if (m.kid.purpose !== purpose)
    return fail(ErrorCode.wrongDevice, "key purpose " + m.kid.purpose + " not " + purpose);
  if (forDevice !== 0 && m.kid.deviceId !== forDevice)
    return fail(ErrorCode.wrongDevice, "signed for another device");
  const key = keys(m.kid);
  if (key === null)
    return fail(ErrorCode.unknownKeyVersion, "no key for version " + m.kid.keyVersion);
  if (!timingSafeEqual(macOf(key, protectedItem, payloadItem), m.tag))
    return fail(ErrorCode.badMac, "COSE_Mac0 tag mismatch");
  return ok(m);
}

export function sealMac0Host(key: Uint8Array, kid: KeyIdFields, payload: Uint8Array): Uint8Array {
  const protectedBytes = encodeCbor({ 1: 5, 4: keyId(kid.purpose, kid.deviceId, kid.keyVersion) });
  const protectedItem = Buffer.concat([bstrHead(protectedBytes.length), protectedBytes]);
  const payloadItem = Buffer.concat([bstrHead(payload.length), payload]);
  const tag = macOf(key, protectedItem, payloadItem);
  return new Uint8Array(
    Buffer.concat([
      new Uint8Array([0xd1, 0x84]),
      protectedItem,
      new Uint8Array([0xa0]),
      payloadItem,
      new Uint8Array([0x58, 0x20]),
      tag,
    ]),
  );
}

export function openUplinkHost(bytes: Uint8Array, keys: KeyLookup): Result<OpenedUplink> {
  const m = openMac0Host(bytes, KeyPurpose.unitUplink, keys, 0);
  if (!m.ok) return m;
  let uplink = decodeUplinkPayloadFast(m.value.payload);
  if (uplink === null) {
    const u = decodeUplinkPayload(m.value.payload);
    if (!u.ok) return u;
    uplink = u.value;
  }
  if (uplink.unitId !== m.value.kid.deviceId)
    return fail(ErrorCode.wrongDevice, "payload unit id differs from the key id");
  return ok({ uplink, keyVersion: m.value.kid.keyVersion, tag: m.value.tag });
}

export function sealUplinkHost(key: Uint8Array, keyVersion: number, u: Uplink): Uint8Array {
  return sealMac0Host(
    key,
    { purpose: KeyPurpose.unitUplink, deviceId: u.unitId, keyVersion },
    encodeUplinkPayload(u),
  );
}

export function openDownlinkHost(
  bytes: Uint8Array,
  ownUnitId: number,
  keys: KeyLookup,
): Result<OpenedDownlink> {
  const m = openMac0Host(bytes, KeyPurpose.unitDownlink, keys, ownUnitId);
  if (!m.ok) return m;
  const d = decodeDownlinkPayload(m.value.payload);
  if (!d.ok) return d;
  if (d.value.unitId !== ownUnitId) return fail(ErrorCode.wrongDevice, "addressed to another unit");
  return ok({ downlink: d.value, keyVersion: m.value.kid.keyVersion, tag: m.value.tag });
}

export function sealDownlinkHost(key: Uint8Array, keyVersion: number, d: Downlink): Uint8Array {
  return sealMac0Host(
    key,
    { purpose: KeyPurpose.unitDownlink, deviceId: d.unitId, keyVersion },
    encodeDownlinkPayload(d),
  );
}
