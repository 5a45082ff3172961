// Uplink: home unit → centre, a batch of events in a COSE_Mac0 envelope (SPEC §7).

import { isU32 } from "./bytes.js";
import { type CborMap, type CborValue, decodeCbor, encodeCbor, isCborMap } from "./cbor.js";
import { encodeMac0, type KeyIdFields, type KeyLookup, openMac0 } from "./cose.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";
import { KeyPurpose } from "./keys.js";
import type { Sha256 } from "./sha256.js";

export const UPLINK_VERSION = 1;
export const MAX_EVENTS_PER_UPLINK = 32;

export interface UplinkEvent {
  seq: number;
  time: number;
  code: number;
  tagId: number | null;
  data: CborMap | null;
}

export interface Uplink {
  unitId: number;
  counter: number;
  sentAt: number;
  events: UplinkEvent[];
}

export function encodeUplinkPayload(u: Uplink): Uint8Array {
  const evs: CborValue[] = [];
  for (let i = 0; i < u.events.length; i++) {
    const e = u.events[i];
    evs.push([e.seq, e.time, e.code, e.tagId, e.data]);
  }
  return encodeCbor([UPLINK_VERSION, u.unitId, u.counter, u.sentAt, evs]);
}

export function encodeUplink(sha: Sha256, key: Uint8Array, keyVersion: number, u: Uplink) {
  const kid: KeyIdFields = {
    purpose: KeyPurpose.unitUplink,
    deviceId: u.unitId,
    keyVersion: keyVersion,
  };
  return encodeMac0(sha, key, kid, encodeUplinkPayload(u));
}

function isTime(v: CborValue): v is number {
  return typeof v === "number" && v >= 0 && v <= 0xffffffff;
}

function decodeEvent(v: CborValue): Result<UplinkEvent> {
  if (!Array.isArray(v) || v.length !== 5)
    return fail(ErrorCode.badStructure, "event is a 5-array");
  const seq = v[0];
  const time = v[1];
  const code = v[2];
  const tagId = v[3];
  const data = v[4];
  if (!isU32(seq)) return fail(ErrorCode.fieldOutOfRange, "event seq");
  if (!isTime(time)) return fail(ErrorCode.fieldOutOfRange, "event time");
  if (typeof code !== "number" || code < 1 || code > 0xffff)
    return fail(ErrorCode.fieldOutOfRange, "event code");
  if (tagId !== null && !(isU32(tagId) && tagId !== 0))
    return fail(ErrorCode.fieldOutOfRange, "event tag id");
  if (data !== null && !isCborMap(data)) return fail(ErrorCode.badStructure, "event data is a map");
  return ok({ seq: seq, time: time, code: code, tagId: tagId, data: data });
}

export function decodeUplinkPayload(payload: Uint8Array): Result<Uplink> {
  const d = decodeCbor(payload);
  if (!d.ok) return d;
  const a = d.value;
  if (!Array.isArray(a) || a.length !== 5)
    return fail(ErrorCode.badStructure, "uplink is a 5-array");
  if (a[0] !== UPLINK_VERSION) return fail(ErrorCode.badVersion, "uplink payload version");
  const unitId = a[1];
  const counter = a[2];
  const sentAt = a[3];
  const list = a[4];
  if (!isU32(unitId) || unitId === 0) return fail(ErrorCode.fieldOutOfRange, "unit id");
  if (!isU32(counter)) return fail(ErrorCode.fieldOutOfRange, "uplink counter");
  if (!isTime(sentAt)) return fail(ErrorCode.fieldOutOfRange, "sent at");
  if (!Array.isArray(list)) return fail(ErrorCode.badStructure, "events is an array");
  if (list.length < 1 || list.length > MAX_EVENTS_PER_UPLINK)
    return fail(ErrorCode.fieldOutOfRange, "1..32 events per uplink");
  const events: UplinkEvent[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = decodeEvent(list[i]);
    if (!e.ok) return e;
    events.push(e.value);
  }
  return ok({ unitId: unitId, counter: counter, sentAt: sentAt, events: events });
}

export interface OpenedUplink {
  uplink: Uplink;
  keyVersion: number;
  /** MAC tag, for the receiver's duplicate check. */
  tag: Uint8Array;
}

/** Verifies and decodes. Counter freshness and seq dedupe are the receiver's. */
export function openUplink(sha: Sha256, bytes: Uint8Array, keys: KeyLookup): Result<OpenedUplink> {
  const m = openMac0(sha, bytes, KeyPurpose.unitUplink, keys, 0);
  if (!m.ok) return m;
  const u = decodeUplinkPayload(m.value.payload);
  if (!u.ok) return u;
  if (u.value.unitId !== m.value.kid.deviceId)
    return fail(ErrorCode.wrongDevice, "payload unit id differs from the key id");
  return ok({ uplink: u.value, keyVersion: m.value.kid.keyVersion, tag: m.value.tag });
}
