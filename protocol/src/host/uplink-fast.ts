// A host-only fast path for decoding uplink payloads: one pass over the bytes for the exact shape
// SPEC §7 defines, with every deterministic-CBOR and range rule the core applies. It never
// reports an error itself: on anything unusual it returns null and the caller runs the core
// decoder, so both faces accept the same inputs and reject them with the same codes (a
// differential test holds them together).

import type { CborMap } from "../core/cbor.js";
import type { Uplink, UplinkEvent } from "../core/uplink.js";

let buf: Uint8Array = new Uint8Array(0);
let pos = 0;

/** The argument of a head of `major` in shortest form, up to 2^32−1; -1 if anything else. */
function arg(major: number): number {
  const ib = buf[pos];
  if (ib >> 5 !== major) return -1;
  const ai = ib & 0x1f;
  if (ai < 24) {
    pos++;
    return ai;
  }
  if (ai === 24) {
    if (pos + 2 > buf.length) return -1;
    const v = buf[pos + 1];
    if (v < 24) return -1;
    pos += 2;
    return v;
  }
  if (ai === 25) {
    if (pos + 3 > buf.length) return -1;
    const v = (buf[pos + 1] << 8) | buf[pos + 2];
    if (v < 256) return -1;
    pos += 3;
    return v;
  }
  if (ai === 26) {
    if (pos + 5 > buf.length) return -1;
    const v =
      buf[pos + 1] * 0x1000000 + ((buf[pos + 2] << 16) | (buf[pos + 3] << 8) | buf[pos + 4]);
    if (v < 65536) return -1;
    pos += 5;
    return v;
  }
  return -1;
}

function uint(): number {
  return arg(0);
}

/** A data-map value: small ints of either sign, ASCII text, booleans, null; undefined = bail. */
function value(): number | string | boolean | null | undefined {
  const ib = buf[pos];
  if (ib === undefined) return undefined;
  const major = ib >> 5;
  if (major === 0) {
    const v = uint();
    return v < 0 ? undefined : v;
  }
  if (major === 1) {
    const v = arg(1);
    return v < 0 ? undefined : -1 - v;
  }
  if (major === 3) {
    const n = ib & 0x1f;
    if (n >= 24 || pos + 1 + n > buf.length) return undefined;
    let s = "";
    for (let i = pos + 1; i < pos + 1 + n; i++) {
      const c = buf[i];
      if (c >= 0x80) return undefined;
      s += String.fromCharCode(c);
    }
    pos += 1 + n;
    return s;
  }
  if (ib === 0xf4 || ib === 0xf5 || ib === 0xf6) {
    pos++;
    return ib === 0xf6 ? null : ib === 0xf5;
  }
  return undefined;
}

function event(): UplinkEvent | null {
  if (buf[pos] !== 0x85) return null;
  pos++;
  const seq = uint();
  const time = uint();
  const code = uint();
  if (seq < 0 || time < 0 || code < 1 || code > 0xffff) return null;
  let tagId: number | null = null;
  if (buf[pos] === 0xf6) pos++;
  else {
    tagId = uint();
    if (tagId <= 0) return null;
  }
  let data: CborMap | null = null;
  const h = buf[pos];
  if (h === 0xf6) pos++;
  else if (h >= 0xa0 && h < 0xb8) {
    pos++;
    data = {};
    let last = -1;
    for (let i = 0; i < h - 0xa0; i++) {
      const k = uint();
      if (k <= last) return null;
      last = k;
      const v = value();
      if (v === undefined) return null;
      data[k] = v;
    }
  } else return null;
  return { seq, time, code, tagId, data };
}

export function decodeUplinkPayloadFast(b: Uint8Array): Uplink | null {
  buf = b;
  pos = 0;
  if (b.length < 8 || b[0] !== 0x85 || b[1] !== 0x01) return null;
  pos = 2;
  const unitId = uint();
  const counter = uint();
  const sentAt = uint();
  if (unitId <= 0 || counter < 0 || sentAt < 0) return null;
  const h = buf[pos];
  let n: number;
  if (h > 0x80 && h < 0x98) {
    n = h - 0x80;
    pos++;
  } else if (h === 0x98 && buf[pos + 1] >= 24 && buf[pos + 1] <= 32) {
    n = buf[pos + 1];
    pos += 2;
  } else return null;
  const events: UplinkEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = event();
    if (e === null) return null;
    events.push(e);
  }
  if (pos !== b.length) return null;
  return { unitId, counter, sentAt, events };
}
