// Deterministic CBOR (RFC 8949 §4.2.1) for the protocol's profile: unsigned and negative
// integers within ±(2^53−1), byte and text strings, arrays, maps with unsigned-integer keys,
// false/true/null and tag 17 (COSE_Mac0). The decoder rejects anything else, and anything not
// in deterministic form, because a receiver must MAC exactly the bytes it got and two encoders
// of the same value must agree to the byte. Byte strings decode as views into the input.

import { readU32BE, utf8Decode, utf8Encode } from "./bytes";
import { ErrorCode, fail, ok, type Result } from "./errors";

export class CborTagged {
  tag: number;
  value: CborValue;
  constructor(tag: number, value: CborValue) {
    this.tag = tag;
    this.value = value;
  }
}

export interface CborMap {
  [key: number]: CborValue;
}

export type CborValue =
  | number
  | boolean
  | null
  | string
  | Uint8Array
  | CborValue[]
  | CborMap
  | CborTagged;

const MAX_SAFE = 9007199254740991;
const MAX_DEPTH = 16;
const TAG_COSE_MAC0 = 17;

export function isCborMap(v: CborValue): v is CborMap {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof CborTagged)
  );
}

// ---- encoder ------------------------------------------------------------------------------

function headSize(n: number): number {
  return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 4294967296 ? 5 : 9;
}

function writeHead(out: Uint8Array, off: number, major: number, n: number): number {
  const m = major << 5;
  if (n < 24) {
    out[off] = m | n;
    return off + 1;
  }
  if (n < 256) {
    out[off] = m | 24;
    out[off + 1] = n;
    return off + 2;
  }
  if (n < 65536) {
    out[off] = m | 25;
    out[off + 1] = n >> 8;
    out[off + 2] = n & 255;
    return off + 3;
  }
  let hi = 0;
  let lo = n;
  let p = off;
  if (n < 4294967296) out[p++] = m | 26;
  else {
    out[p++] = m | 27;
    hi = Math.floor(n / 4294967296);
    lo = n - hi * 4294967296;
    out[p++] = (hi / 0x1000000) & 255;
    out[p++] = (hi >> 16) & 255;
    out[p++] = (hi >> 8) & 255;
    out[p++] = hi & 255;
  }
  out[p++] = (lo / 0x1000000) & 255;
  out[p++] = (lo >> 16) & 255;
  out[p++] = (lo >> 8) & 255;
  out[p++] = lo & 255;
  return p;
}

function checkInt(v: number): void {
  if (Math.floor(v) !== v || v > MAX_SAFE || v < -MAX_SAFE)
    throw new Error("cbor: only integers within +-(2^53-1) are encodable: " + v);
}

/** Map keys as numbers, ascending (= bytewise order of their encodings for unsigned keys). */
function sortedKeys(m: CborMap): number[] {
  const names = Object.keys(m);
  const keys: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const k = +names[i];
    if (!(k >= 0) || Math.floor(k) !== k || k > MAX_SAFE)
      throw new Error("cbor: map keys must be unsigned integers: " + names[i]);
    keys.push(k);
  }
  keys.sort((a, b) => a - b);
  return keys;
}

// Text is UTF-8 encoded once in the sizing pass and reused by the writing pass.
function sizeOf(v: CborValue, texts: Uint8Array[]): number {
  if (typeof v === "number") {
    checkInt(v);
    return headSize(v < 0 ? -1 - v : v);
  }
  if (typeof v === "boolean" || v === null) return 1;
  if (typeof v === "string") {
    const t = utf8Encode(v);
    texts.push(t);
    return headSize(t.length) + t.length;
  }
  if (v instanceof Uint8Array) return headSize(v.length) + v.length;
  if (Array.isArray(v)) {
    let n = headSize(v.length);
    for (let i = 0; i < v.length; i++) n += sizeOf(v[i], texts);
    return n;
  }
  if (v instanceof CborTagged) return headSize(v.tag) + sizeOf(v.value, texts);
  if (isCborMap(v)) {
    const keys = sortedKeys(v);
    let n = headSize(keys.length);
    for (let i = 0; i < keys.length; i++) n += headSize(keys[i]) + sizeOf(v[keys[i]], texts);
    return n;
  }
  throw new Error("cbor: value not encodable");
}

interface Writer {
  out: Uint8Array;
  off: number;
  texts: Uint8Array[];
  text: number;
}

function put(w: Writer, v: CborValue): void {
  if (typeof v === "number") {
    w.off = v < 0 ? writeHead(w.out, w.off, 1, -1 - v) : writeHead(w.out, w.off, 0, v);
  } else if (v === false) w.out[w.off++] = 0xf4;
  else if (v === true) w.out[w.off++] = 0xf5;
  else if (v === null) w.out[w.off++] = 0xf6;
  else if (typeof v === "string") {
    const t = w.texts[w.text++];
    w.off = writeHead(w.out, w.off, 3, t.length);
    w.out.set(t, w.off);
    w.off += t.length;
  } else if (v instanceof Uint8Array) {
    w.off = writeHead(w.out, w.off, 2, v.length);
    w.out.set(v, w.off);
    w.off += v.length;
  } else if (Array.isArray(v)) {
    w.off = writeHead(w.out, w.off, 4, v.length);
    for (let i = 0; i < v.length; i++) put(w, v[i]);
  } else if (v instanceof CborTagged) {
    w.off = writeHead(w.out, w.off, 6, v.tag);
    put(w, v.value);
  } else {
    const keys = sortedKeys(v);
    w.off = writeHead(w.out, w.off, 5, keys.length);
    for (let i = 0; i < keys.length; i++) {
      w.off = writeHead(w.out, w.off, 0, keys[i]);
      put(w, v[keys[i]]);
    }
  }
}

/** Deterministic encoding. Throws only on values outside the profile (a programming error). */
export function encodeCbor(v: CborValue): Uint8Array {
  const texts: Uint8Array[] = [];
  const out = new Uint8Array(sizeOf(v, texts));
  const w: Writer = { out: out, off: 0, texts: texts, text: 0 };
  put(w, v);
  return out;
}

// ---- decoder ------------------------------------------------------------------------------

export interface CborItem {
  value: CborValue;
  end: number;
}

interface Head {
  major: number;
  /** argument (length, value or tag number) */
  arg: number;
  end: number;
}

function readHead(b: Uint8Array, off: number): Result<Head> {
  if (off >= b.length) return fail(ErrorCode.truncated, "CBOR item missing at " + off);
  const ib = b[off];
  const major = ib >> 5;
  const ai = ib & 31;
  if (ai < 24) return ok({ major: major, arg: ai, end: off + 1 });
  if (ai > 27) {
    return fail(
      ErrorCode.badCbor,
      ai === 31 ? "indefinite length at " + off : "reserved additional info at " + off,
    );
  }
  const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 8;
  if (off + 1 + n > b.length) return fail(ErrorCode.truncated, "CBOR head cut at " + off);
  if (major === 7) return ok({ major: 7, arg: 24 + ai, end: off + 1 + n });
  let v: number;
  let min: number;
  if (n === 1) {
    v = b[off + 1];
    min = 24;
  } else if (n === 2) {
    v = (b[off + 1] << 8) | b[off + 2];
    min = 256;
  } else if (n === 4) {
    v = readU32BE(b, off + 1);
    min = 65536;
  } else {
    const hi = readU32BE(b, off + 1);
    if (hi > 0x1fffff) return fail(ErrorCode.badCbor, "integer beyond 2^53-1 at " + off);
    v = hi * 4294967296 + readU32BE(b, off + 5);
    min = 4294967296;
  }
  if (v < min) return fail(ErrorCode.badCbor, "non-shortest head at " + off);
  return ok({ major: major, arg: v, end: off + 1 + n });
}

/** Decodes one item at `offset`. Depth counts nesting; callers start at 0. */
export function decodeCborItem(b: Uint8Array, offset: number, depth: number): Result<CborItem> {
  if (depth > MAX_DEPTH) return fail(ErrorCode.badCbor, "nesting deeper than " + MAX_DEPTH);
  const hr = readHead(b, offset);
  if (!hr.ok) return hr;
  const h = hr.value;
  const remaining = b.length - h.end;
  switch (h.major) {
    case 0:
      return ok({ value: h.arg, end: h.end });
    case 1:
      if (h.arg >= MAX_SAFE) return fail(ErrorCode.badCbor, "negative integer beyond -(2^53-1)");
      return ok({ value: -1 - h.arg, end: h.end });
    case 2:
    case 3: {
      if (h.arg > remaining) return fail(ErrorCode.truncated, "string runs past the end");
      const bytes = b.subarray(h.end, h.end + h.arg);
      if (h.major === 2) return ok({ value: bytes, end: h.end + h.arg });
      const s = utf8Decode(bytes);
      if (s === null) return fail(ErrorCode.badCbor, "invalid UTF-8 at " + offset);
      return ok({ value: s, end: h.end + h.arg });
    }
    case 4: {
      // Every item takes at least one byte: a count beyond the bytes left cannot be honest,
      // and checking first means a hostile header never makes us allocate.
      if (h.arg > remaining) return fail(ErrorCode.truncated, "array longer than the input");
      const arr: CborValue[] = [];
      let p = h.end;
      for (let i = 0; i < h.arg; i++) {
        const r = decodeCborItem(b, p, depth + 1);
        if (!r.ok) return r;
        arr.push(r.value.value);
        p = r.value.end;
      }
      return ok({ value: arr, end: p });
    }
    case 5: {
      if (h.arg * 2 > remaining) return fail(ErrorCode.truncated, "map longer than the input");
      const m: CborMap = {};
      let p = h.end;
      let last = -1;
      for (let i = 0; i < h.arg; i++) {
        const kr = readHead(b, p);
        if (!kr.ok) return kr;
        if (kr.value.major !== 0)
          return fail(ErrorCode.badCbor, "map key is not an unsigned integer");
        const k = kr.value.arg;
        if (k <= last) return fail(ErrorCode.badCbor, "map keys not in ascending order");
        last = k;
        const vr = decodeCborItem(b, kr.value.end, depth + 1);
        if (!vr.ok) return vr;
        m[k] = vr.value.value;
        p = vr.value.end;
      }
      return ok({ value: m, end: p });
    }
    case 6: {
      if (h.arg !== TAG_COSE_MAC0) return fail(ErrorCode.badCbor, "tag " + h.arg + " not allowed");
      const r = decodeCborItem(b, h.end, depth + 1);
      if (!r.ok) return r;
      return ok({ value: new CborTagged(h.arg, r.value.value), end: r.value.end });
    }
    default:
      if (h.arg === 20) return ok({ value: false, end: h.end });
      if (h.arg === 21) return ok({ value: true, end: h.end });
      if (h.arg === 22) return ok({ value: null, end: h.end });
      return fail(ErrorCode.badCbor, "simple value or float not allowed at " + offset);
  }
}

/** Decodes exactly one item filling the whole input. */
export function decodeCbor(b: Uint8Array): Result<CborValue> {
  const r = decodeCborItem(b, 0, 0);
  if (!r.ok) return r;
  if (r.value.end !== b.length) return fail(ErrorCode.tooLong, "trailing bytes after CBOR item");
  return ok(r.value.value);
}
