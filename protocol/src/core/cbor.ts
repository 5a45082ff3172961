// Deterministic CBOR (RFC 8949 §4.2.1) for the protocol's profile (SPEC §6): unsigned and
// negative integers within ±(2^53−1), byte and text strings, arrays, maps with unsigned-integer
// keys, false/true/null, and tag 17 (COSE_Mac0). The decoder rejects anything else, and anything
// not in deterministic form, because a receiver must MAC exactly the bytes it got and two
// encoders of the same value must agree to the byte.
//
// Device code (firmware/README.md, "Rules for code in this folder"): ES5 subset, every function declared before its first use, no
// Map/Set, no destructuring/spread, no Array.prototype reach-throughs. Decoding never throws on
// any input and allocates only the values it returns: byte strings are `subarray` views into
// the input (the COSE layer MACs the exact received bytes), and a length header is checked
// against the bytes left before anything is built for it.

import { readU32BE, utf8Decode, utf8Encode, writeU32BE } from "./bytes.js";
import {
  ErrorCode,
  type ErrorCodeValue,
  fail,
  ok,
  type ProtocolError,
  type Result,
} from "./errors.js";

export class CborTagged {
  tag: number;
  value: CborValue;
  constructor(tag: number, value: CborValue) {
    this.tag = tag;
    this.value = value;
  }
}

/** Maps have unsigned-integer keys only in this profile. */
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

/** 2^53 − 1: the largest integer magnitude either side handles (no BigInt on devices). */
const MAX_SAFE = 9007199254740991;
/** Containers (arrays, maps, tags) nested inside each other: at most this many. */
const MAX_DEPTH = 16;
/** The only tag the decoder accepts: COSE_Mac0 (RFC 9052). */
const TAG_COSE_MAC0 = 17;
const TWO_32 = 4294967296;

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
// Two passes: the first checks the value, sizes it, UTF-8-encodes each text and sorts each map's
// keys (queued in `aux` in visiting order); the second writes into one exact-size buffer,
// taking the queued items back in the same order.

function isUint(n: number): boolean {
  return typeof n === "number" && n >= 0 && n <= MAX_SAFE && Math.floor(n) === n;
}

function headSize(n: number): number {
  if (n < 24) return 1;
  if (n < 256) return 2;
  if (n < 65536) return 3;
  if (n < TWO_32) return 5;
  return 9;
}

/** Writes the shortest head for (major, n) at `off`; returns the offset after it. */
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
  if (n < TWO_32) {
    out[off] = m | 26;
    writeU32BE(out, off + 1, n);
    return off + 5;
  }
  const hi = Math.floor(n / TWO_32);
  out[off] = m | 27;
  writeU32BE(out, off + 1, hi);
  writeU32BE(out, off + 5, n - hi * TWO_32);
  return off + 9;
}

/** Insertion sort, ascending: maps are small, and it behaves the same on every engine. */
function sortNumbers(a: number[]): void {
  for (let i = 1; i < a.length; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > x) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

/** The map's keys as numbers, ascending (= bytewise order of their encodings for uint keys). */
function sortedKeys(m: CborMap): number[] {
  const names = Object.keys(m);
  const keys: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const k = +name;
    // Canonical decimal only: "01", "1e3", " 1" or "" would alias another key.
    if (!isUint(k) || "" + k !== "" + name)
      throw new Error("cbor: map key is not an unsigned integer: " + name);
    keys.push(k);
  }
  sortNumbers(keys);
  return keys;
}

function sizeOf(v: CborValue, aux: (Uint8Array | number[])[], depth: number): number {
  if (typeof v === "number") {
    if (Math.floor(v) !== v || v > MAX_SAFE || v < -MAX_SAFE)
      throw new Error("cbor: only integers within +-(2^53-1) are encodable: " + v);
    return headSize(v < 0 ? -1 - v : v);
  }
  if (typeof v === "boolean" || v === null) return 1;
  if (typeof v === "string") {
    const t = utf8Encode(v);
    aux.push(t);
    return headSize(t.length) + t.length;
  }
  if (v instanceof Uint8Array) return headSize(v.length) + v.length;
  if (typeof v !== "object") throw new Error("cbor: value not encodable: " + typeof v);
  if (depth >= MAX_DEPTH) throw new Error("cbor: nesting deeper than " + MAX_DEPTH);
  if (Array.isArray(v)) {
    let n = headSize(v.length);
    for (let i = 0; i < v.length; i++) n += sizeOf(v[i], aux, depth + 1);
    return n;
  }
  if (v instanceof CborTagged) {
    if (!isUint(v.tag)) throw new Error("cbor: tag is not an unsigned integer: " + v.tag);
    return headSize(v.tag) + sizeOf(v.value, aux, depth + 1);
  }
  const keys = sortedKeys(v);
  aux.push(keys);
  let n = headSize(keys.length);
  for (let i = 0; i < keys.length; i++) n += headSize(keys[i]) + sizeOf(v[keys[i]], aux, depth + 1);
  return n;
}

interface Writer {
  out: Uint8Array;
  off: number;
  aux: (Uint8Array | number[])[];
  next: number;
}

function writeBytes(w: Writer, major: number, t: Uint8Array): void {
  w.off = writeHead(w.out, w.off, major, t.length);
  w.out.set(t, w.off);
  w.off += t.length;
}

/** Writes a value `sizeOf` has already accepted. */
function put(w: Writer, v: CborValue): void {
  if (typeof v === "number") {
    w.off = v < 0 ? writeHead(w.out, w.off, 1, -1 - v) : writeHead(w.out, w.off, 0, v);
  } else if (v === false) w.out[w.off++] = 0xf4;
  else if (v === true) w.out[w.off++] = 0xf5;
  else if (v === null) w.out[w.off++] = 0xf6;
  else if (typeof v === "string") writeBytes(w, 3, w.aux[w.next++] as Uint8Array);
  else if (v instanceof Uint8Array) writeBytes(w, 2, v);
  else if (Array.isArray(v)) {
    w.off = writeHead(w.out, w.off, 4, v.length);
    for (let i = 0; i < v.length; i++) put(w, v[i]);
  } else if (v instanceof CborTagged) {
    w.off = writeHead(w.out, w.off, 6, v.tag);
    put(w, v.value);
  } else {
    const keys = w.aux[w.next++] as number[];
    w.off = writeHead(w.out, w.off, 5, keys.length);
    for (let i = 0; i < keys.length; i++) {
      w.off = writeHead(w.out, w.off, 0, keys[i]);
      put(w, v[keys[i]]);
    }
  }
}

/**
 * Deterministic encoding (RFC 8949 §4.2.1): shortest heads, definite lengths, map keys
 * ascending. Throws a plain Error only for a value outside the profile (a non-integer or
 * out-of-range number, a non-uint map key or tag, nesting deeper than 16, a cycle): that is a
 * programming error, not input.
 */
export function encodeCbor(v: CborValue): Uint8Array {
  const aux: (Uint8Array | number[])[] = [];
  const out = new Uint8Array(sizeOf(v, aux, 0));
  const w: Writer = { out: out, off: 0, aux: aux, next: 0 };
  put(w, v);
  return out;
}

// ---- decoder ------------------------------------------------------------------------------
// One state object per call; `readHead` and `readItem` advance `pos` and, on failure, set `err`
// and return false / undefined (undefined is not a CborValue, so it cannot be confused).

interface DecodeState {
  b: Uint8Array;
  pos: number;
  err: ProtocolError | null;
  /** the last head read: major type and argument (value, length, count or tag number) */
  major: number;
  arg: number;
}

function setErr(s: DecodeState, code: ErrorCodeValue, message: string): false {
  s.err = fail(code, message);
  return false;
}

/** Reads one head at `s.pos`, enforcing shortest form and the 2^53−1 limit. */
function readHead(s: DecodeState): boolean {
  const b = s.b;
  const off = s.pos;
  if (off >= b.length) return setErr(s, ErrorCode.truncated, "CBOR item missing at " + off);
  const ib = b[off];
  const major = ib >> 5;
  const ai = ib & 31;
  if (ai === 31) return setErr(s, ErrorCode.badCbor, "indefinite length at " + off);
  if (ai >= 28) return setErr(s, ErrorCode.badCbor, "reserved additional info at " + off);
  // 0xf8 simple(n) and 0xf9–0xfb floats; 0xe0–0xf7 (ai < 24) are sorted out by readItem.
  if (major === 7 && ai >= 24) return setErr(s, ErrorCode.badCbor, "float at " + off);
  s.major = major;
  if (ai < 24) {
    s.arg = ai;
    s.pos = off + 1;
    return true;
  }
  const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : 8;
  if (n > b.length - off - 1) return setErr(s, ErrorCode.truncated, "CBOR head cut at " + off);
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
    // hi ≤ 0x1fffff keeps hi·2^32 + lo ≤ 2^53−1, exact in a double.
    if (hi > 0x1fffff) return setErr(s, ErrorCode.badCbor, "integer beyond 2^53-1 at " + off);
    v = hi * TWO_32 + readU32BE(b, off + 5);
    min = TWO_32;
  }
  if (v < min) return setErr(s, ErrorCode.badCbor, "non-shortest head at " + off);
  s.arg = v;
  s.pos = off + 1 + n;
  return true;
}

function readItem(s: DecodeState, depth: number): CborValue | undefined {
  const start = s.pos;
  if (!readHead(s)) return undefined;
  const major = s.major;
  const arg = s.arg;
  const remaining = s.b.length - s.pos;
  if (major === 0) return arg;
  if (major === 1) {
    if (arg >= MAX_SAFE) {
      setErr(s, ErrorCode.badCbor, "negative integer beyond -(2^53-1) at " + start);
      return undefined;
    }
    return -1 - arg;
  }
  if (major === 2 || major === 3) {
    if (arg > remaining) {
      setErr(s, ErrorCode.truncated, "string at " + start + " runs past the end");
      return undefined;
    }
    const bytes = s.b.subarray(s.pos, s.pos + arg);
    s.pos += arg;
    if (major === 2) return bytes;
    const text = utf8Decode(bytes);
    if (text === null) {
      setErr(s, ErrorCode.badCbor, "text at " + start + " not UTF-8 or not held by the engine");
      return undefined;
    }
    return text;
  }
  if (major === 7) {
    if (arg === 20) return false;
    if (arg === 21) return true;
    if (arg === 22) return null;
    setErr(s, ErrorCode.badCbor, "simple value " + arg + " not allowed at " + start);
    return undefined;
  }
  // Containers: arrays (4), maps (5), tags (6).
  if (depth >= MAX_DEPTH) {
    setErr(s, ErrorCode.badCbor, "nesting deeper than " + MAX_DEPTH + " at " + start);
    return undefined;
  }
  if (major === 4) {
    // Every item takes at least one byte: a count beyond the bytes left cannot be honest, and
    // checking first means a hostile header never makes us build anything.
    if (arg > remaining) {
      setErr(s, ErrorCode.truncated, "array at " + start + " longer than the input");
      return undefined;
    }
    const arr: CborValue[] = [];
    for (let i = 0; i < arg; i++) {
      const x = readItem(s, depth + 1);
      if (x === undefined) return undefined;
      arr.push(x);
    }
    return arr;
  }
  if (major === 5) {
    if (arg * 2 > remaining) {
      setErr(s, ErrorCode.truncated, "map at " + start + " longer than the input");
      return undefined;
    }
    const m: CborMap = {};
    let last = -1;
    for (let i = 0; i < arg; i++) {
      const keyAt = s.pos;
      if (!readHead(s)) return undefined;
      if (s.major !== 0) {
        setErr(s, ErrorCode.badCbor, "map key at " + keyAt + " is not an unsigned integer");
        return undefined;
      }
      const k = s.arg;
      // Strictly ascending numbers = strictly ascending encodings: no duplicates either.
      if (k <= last) {
        setErr(s, ErrorCode.badCbor, "map key at " + keyAt + " not in ascending order");
        return undefined;
      }
      last = k;
      const x = readItem(s, depth + 1);
      if (x === undefined) return undefined;
      m[k] = x;
    }
    return m;
  }
  // major === 6
  if (arg !== TAG_COSE_MAC0) {
    setErr(s, ErrorCode.badCbor, "tag " + arg + " not allowed at " + start);
    return undefined;
  }
  const inner = readItem(s, depth + 1);
  if (inner === undefined) return undefined;
  return new CborTagged(arg, inner);
}

function newState(bytes: Uint8Array, offset: number): DecodeState {
  return { b: bytes, pos: offset, err: null, major: 0, arg: 0 };
}

function stateError(s: DecodeState): ProtocolError {
  return s.err !== null ? s.err : fail(ErrorCode.badCbor, "CBOR decoder failed");
}

/**
 * Decodes one item starting at `offset` (lower level, for envelope parsers): `end` is the
 * offset just after it. `depth` is how many containers already enclose the item (0 at top
 * level); at most 16 may enclose any item. Throws only for a negative or non-integer offset or
 * depth (a programming error); any byte input gives a value or an error code.
 */
export function decodeCborItem(
  bytes: Uint8Array,
  offset: number,
  depth: number,
): Result<{ value: CborValue; end: number }> {
  if (!isUint(offset) || !isUint(depth)) throw new Error("cbor: bad offset or depth");
  const s = newState(bytes, offset);
  const v = readItem(s, depth);
  if (v === undefined) return stateError(s);
  return ok({ value: v, end: s.pos });
}

/** Decodes exactly one item filling the whole input; trailing bytes give `too_long`. */
export function decodeCbor(bytes: Uint8Array): Result<CborValue> {
  const s = newState(bytes, 0);
  const v = readItem(s, 0);
  if (v === undefined) return stateError(s);
  if (s.pos !== bytes.length)
    return fail(ErrorCode.tooLong, "trailing bytes after the CBOR item at " + s.pos);
  return ok(v);
}
