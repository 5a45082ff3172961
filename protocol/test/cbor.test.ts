import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseJs } from "acorn";
import { Encoder as CborxEncoder, Tag as CborxTag, decode as cborxDecode } from "cbor-x";
import fc from "fast-check";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/core/bytes";
import {
  CborTagged,
  type CborValue,
  decodeCbor,
  decodeCborItem,
  encodeCbor,
  isCborMap,
} from "../src/core/cbor";
import { ErrorCode } from "../src/core/errors";
import { MAX_SAFE, rejections, rfc, TWO_32 } from "./cbor-cases";

const hex = (h: string): Uint8Array => {
  const b = fromHex(h);
  if (b === null) throw new Error("bad hex in test: " + h);
  return b;
};

/** "ok" or the error code decodeCbor gives for this hex. */
const code = (h: string): string => {
  const r = decodeCbor(hex(h));
  return r.ok ? "ok" : r.code;
};

/** xorshift32: tiny, seeded, so every failure reproduces. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

// ---- RFC 8949 Appendix A, restricted to the profile (cases in cbor-cases.ts) --------------

describe("deterministic CBOR: RFC 8949 examples", () => {
  it("encodes and decodes each example byte for byte", () => {
    for (const [value, h] of rfc) {
      expect(toHex(encodeCbor(value)), h).toBe(h);
      const d = decodeCbor(hex(h));
      expect(d.ok, h).toBe(true);
      if (d.ok) expect(d.value, h).toEqual(value);
    }
  });

  it("uses the shortest head at every size boundary for strings, arrays and maps", () => {
    expect(toHex(encodeCbor(new Uint8Array(23))).slice(0, 2)).toBe("57");
    expect(toHex(encodeCbor(new Uint8Array(24))).slice(0, 4)).toBe("5818");
    expect(toHex(encodeCbor(new Uint8Array(256))).slice(0, 6)).toBe("590100");
    expect(toHex(encodeCbor(new Uint8Array(65536))).slice(0, 10)).toBe("5a00010000");
    expect(toHex(encodeCbor("x".repeat(70000))).slice(0, 10)).toBe("7a00011170");
    expect(toHex(encodeCbor(new Array<CborValue>(256).fill(0))).slice(0, 6)).toBe("990100");
    const big: Record<number, CborValue> = {};
    for (let i = 0; i < 300; i++) big[i] = null;
    const enc = encodeCbor(big);
    expect(toHex(enc).slice(0, 6)).toBe("b9012c");
    const d = decodeCbor(enc);
    expect(d.ok && Object.keys(d.value as object).length).toBe(300);
  });
});

describe("deterministic CBOR: encoder", () => {
  it("sorts map keys numerically whatever order they were inserted in", () => {
    const m: Record<number, CborValue> = {};
    m[10] = 1;
    m[2] = 2;
    m[300] = 3;
    expect(toHex(encodeCbor(m))).toBe("a302020a0119012c03");
    // Keys across every head width, inserted in descending order.
    const w: Record<number, CborValue> = {};
    const keys = [MAX_SAFE, TWO_32, TWO_32 - 1, 65536, 65535, 256, 255, 24, 23, 0];
    for (const k of keys) w[k] = 0;
    expect(toHex(encodeCbor(w))).toBe(
      "aa" +
        "0000" +
        "1700" +
        "181800" +
        "18ff00" +
        "19010000" +
        "19ffff00" +
        "1a0001000000" +
        "1affffffff00" +
        "1b000000010000000000" +
        "1b001fffffffffffff00",
    );
  });

  it("encodes -0 as 0 and a lone surrogate as U+FFFD", () => {
    expect(toHex(encodeCbor(-0))).toBe("00");
    expect(toHex(encodeCbor("\ud800"))).toBe("63efbfbd");
    expect(toHex(encodeCbor("a\udc00b"))).toBe("6561efbfbd62");
  });

  it("encodes any unsigned tag number (the decoder accepts only 17)", () => {
    expect(toHex(encodeCbor(new CborTagged(18, 1)))).toBe("d201");
    expect(toHex(encodeCbor(new CborTagged(55799, [])))).toBe("d9d9f780");
  });

  it("encodes exactly 16 nested containers, which the decoder accepts", () => {
    let v: CborValue = 0;
    for (let i = 0; i < 16; i++)
      v = i % 3 === 0 ? [v] : i % 3 === 1 ? { 7: v } : new CborTagged(17, v);
    const enc = encodeCbor(v);
    const d = decodeCbor(enc);
    expect(d.ok).toBe(true);
    if (d.ok) expect(d.value).toEqual(v);
  });

  it("throws a plain Error for values outside the profile (programming errors)", () => {
    const bad: unknown[] = [
      1.5,
      -0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53,
      -(2 ** 53),
      1e300,
      undefined,
      () => 1,
      { x: 1 },
      { "01": 1 },
      { "-1": 1 },
      { "1.5": 1 },
      { "1e3": 1 },
      { "": 1 },
      { " 1": 1 },
      { 9007199254740992: 1 },
      [1, [2, 0.1]],
      { 1: Number.NaN },
      new CborTagged(-1, 0),
      new CborTagged(1.5, 0),
      new CborTagged(2 ** 53, 0),
    ];
    for (const v of bad) expect(() => encodeCbor(v as CborValue), String(v)).toThrow(Error);
    let deep: CborValue = 0;
    for (let i = 0; i < 17; i++) deep = [deep];
    expect(() => encodeCbor(deep)).toThrow(/nesting/);
    const cyclic: CborValue[] = [];
    cyclic.push(cyclic);
    expect(() => encodeCbor(cyclic)).toThrow(/nesting/);
  });

  it("tells maps from the other object values", () => {
    expect(isCborMap({})).toBe(true);
    expect(isCborMap({ 1: 2 })).toBe(true);
    expect(isCborMap([])).toBe(false);
    expect(isCborMap(new Uint8Array(1))).toBe(false);
    expect(isCborMap(new CborTagged(17, 1))).toBe(false);
    expect(isCborMap(null)).toBe(false);
    expect(isCborMap(1)).toBe(false);
    expect(isCborMap("a")).toBe(false);
    expect(isCborMap(true)).toBe(false);
  });
});

describe("deterministic CBOR: decoder", () => {
  it("returns byte strings as views into the input, not copies", () => {
    const buf = hex("83420102f64103");
    const d = decodeCbor(buf);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const arr = d.value as CborValue[];
    const b0 = arr[0] as Uint8Array;
    const b2 = arr[2] as Uint8Array;
    expect(b0.buffer).toBe(buf.buffer);
    expect(b0.byteOffset).toBe(2);
    expect(b2.byteOffset).toBe(6);
    buf[2] = 9;
    expect(b0[0]).toBe(9);
    // A view into a larger buffer also decodes in place.
    const outer = hex("ff" + "4401020304" + "ff");
    const d2 = decodeCbor(outer.subarray(1, 6));
    expect(d2.ok && (d2.value as Uint8Array).byteOffset).toBe(2);
  });

  it("decodeCborItem walks a sequence and reports where each item ends", () => {
    const b = hex("0102616182f4f5");
    const seen: unknown[] = [];
    let off = 0;
    while (off < b.length) {
      const r = decodeCborItem(b, off, 0);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      seen.push(r.value.value);
      off = r.value.end;
    }
    expect(seen).toEqual([1, 2, "a", [false, true]]);
    const past = decodeCborItem(b, b.length, 0);
    expect(past.ok || past.code).toBe("truncated");
    const far = decodeCborItem(b, 100, 0);
    expect(far.ok || far.code).toBe("truncated");
  });

  it("decodeCborItem counts the depth it is given", () => {
    const nest16 = hex("81".repeat(16) + "00");
    expect(decodeCborItem(nest16, 0, 0).ok).toBe(true);
    const r = decodeCborItem(nest16, 0, 1);
    expect(r.ok || r.code).toBe("bad_cbor");
    expect(decodeCborItem(hex("00"), 0, 16).ok).toBe(true);
    const c = decodeCborItem(hex("80"), 0, 16);
    expect(c.ok || c.code).toBe("bad_cbor");
  });

  it("decodeCborItem throws only for a nonsensical offset or depth (programming errors)", () => {
    const b = hex("00");
    expect(() => decodeCborItem(b, -1, 0)).toThrow(Error);
    expect(() => decodeCborItem(b, 0.5, 0)).toThrow(Error);
    expect(() => decodeCborItem(b, Number.NaN, 0)).toThrow(Error);
    expect(() => decodeCborItem(b, 0, -1)).toThrow(Error);
  });

  it("rejects every form the profile forbids, each with its code", () => {
    for (const [h, expected, why] of rejections) {
      const r = decodeCbor(hex(h));
      expect(r.ok ? "ok" : r.code, why + " (" + h + ")").toBe(expected);
      if (!r.ok) expect(typeof r.message).toBe("string");
    }
  });

  it("accepts the edges just inside each limit", () => {
    expect(code("1b001fffffffffffff")).toBe("ok"); // 2^53-1
    expect(code("3b001ffffffffffffe")).toBe("ok"); // -(2^53-1)
    expect(code("81".repeat(16) + "00")).toBe("ok");
    expect(code("a101".repeat(16) + "00")).toBe("ok");
    expect(code("d1".repeat(16) + "00")).toBe("ok");
    expect(code("a200000100")).toBe("ok"); // {0: 0, 1: 0}
    expect(code("a200001b001fffffffffffff00")).toBe("ok"); // {0: 0, 2^53-1: 0}
    expect(code("64f48fbfbf")).toBe("ok"); // U+10FFFF
    expect(code("63efbfbd")).toBe("ok"); // U+FFFD
  });

  it("fails fast on lying length headers without allocating for them", () => {
    const heads = ["9b001fffffffffffff", "bb001fffffffffffff", "5b001fffffffffffff"];
    const t0 = performance.now();
    for (let i = 0; i < 10000; i++) for (const h of heads) decodeCbor(hex(h));
    expect(performance.now() - t0).toBeLessThan(2000);
    // A big array header over a large (but too short) body is still rejected up front.
    const body = new Uint8Array(1 << 20);
    body.set(hex("9a00200000"));
    const r = decodeCbor(body);
    expect(r.ok || r.code).toBe("truncated");
  });
});

// ---- random values (seeded) -------------------------------------------------------------

const INT_EDGES = [
  0,
  1,
  23,
  24,
  255,
  256,
  65535,
  65536,
  TWO_32 - 1,
  TWO_32,
  MAX_SAFE - 1,
  MAX_SAFE,
];

/** Negation that never makes -0 (which encodes as 0 and so cannot round-trip). */
const neg = (x: number): number => (x === 0 ? 0 : -x);

function randInt(r: () => number): number {
  const k = r() % 5;
  if (k === 0) return r() % 30;
  if (k === 1) {
    const e = INT_EDGES[r() % INT_EDGES.length];
    return r() & 1 ? e : neg(e);
  }
  if (k === 2) return (r() % 70000) - 35000;
  if (k === 3) return r() & 1 ? r() : neg(r());
  const v = (r() % 0x200000) * TWO_32 + r();
  return r() & 1 ? v : neg(v);
}

function randString(r: () => number): string {
  const n = r() % 4 === 0 ? r() % 300 : r() % 12;
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = r() % 4;
    if (k === 0) s += String.fromCharCode(0x20 + (r() % 95));
    else if (k === 1) s += String.fromCharCode(0x80 + (r() % 0x780));
    else if (k === 2) {
      const c = 0x800 + (r() % 0xf800);
      s += String.fromCharCode(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
    } else s += String.fromCodePoint(0x10000 + (r() % 0x100000));
  }
  return s;
}

function randBytes(r: () => number): Uint8Array {
  const n = r() % 4 === 0 ? r() % 300 : r() % 10;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 255;
  return b;
}

function randValue(r: () => number, depth: number): CborValue {
  const k = r() % (depth >= 5 ? 6 : 9);
  if (k === 0 || k === 1) return randInt(r);
  if (k === 2) return r() % 3 === 0 ? null : (r() & 1) === 1;
  if (k === 3) return randString(r);
  if (k === 4) return randBytes(r);
  if (k === 5) return r() % 3 === 0 ? "" : randInt(r);
  if (k === 6) {
    const n = r() % 6;
    const a: CborValue[] = [];
    for (let i = 0; i < n; i++) a.push(randValue(r, depth + 1));
    return a;
  }
  if (k === 7) {
    const n = r() % 6;
    const m: Record<number, CborValue> = {};
    for (let i = 0; i < n; i++) m[Math.abs(randInt(r))] = randValue(r, depth + 1);
    return m;
  }
  return new CborTagged(17, randValue(r, depth + 1));
}

/** A shape both decoders can be compared on. */
function normalise(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Uint8Array) return { bytes: toHex(v) };
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof CborTagged || v instanceof CborxTag)
    return { tag: (v as CborTagged).tag, value: normalise((v as CborTagged).value) };
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = normalise(x);
    return o;
  }
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = normalise((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/** The same value in the form cbor-x encodes deterministically. */
function toCborx(v: CborValue): unknown {
  if (typeof v === "number") return v >= TWO_32 || v < -TWO_32 ? BigInt(v) : v;
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toCborx);
  if (v instanceof CborTagged) return new CborxTag(toCborx(v.value), v.tag);
  const keys = Object.keys(v)
    .map(Number)
    .sort((a, b) => a - b);
  return new Map(keys.map((k) => [toCborx(k), toCborx(v[k])]));
}

const cborx = new CborxEncoder({
  mapsAsObjects: false,
  useRecords: false,
  tagUint8Array: false,
  variableMapSize: true,
});

describe("deterministic CBOR: cross-check with cbor-x", () => {
  it("cbor-x decodes our encodings of random values to the same value", () => {
    const r = xorshift(0x5eed0001);
    for (let i = 0; i < 3000; i++) {
      const v = randValue(r, 0);
      const bytes = encodeCbor(v);
      expect(normalise(cborxDecode(bytes)), toHex(bytes)).toEqual(normalise(v));
    }
  });

  it("cbor-x's deterministic output equals ours byte for byte, and we decode it", () => {
    const r = xorshift(0x5eed0002);
    for (let i = 0; i < 3000; i++) {
      const v = randValue(r, 0);
      const theirs = cborx.encode(toCborx(v));
      expect(toHex(theirs)).toBe(toHex(encodeCbor(v)));
      const d = decodeCbor(new Uint8Array(theirs));
      expect(d.ok).toBe(true);
      if (d.ok) expect(d.value).toEqual(v);
    }
  });
});

// ---- property: round trip (fast-check) --------------------------------------------------

const arbValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", maxDepth: 6 },
    fc.integer({ min: -MAX_SAFE, max: MAX_SAFE }),
    fc.integer({ min: -70000, max: 70000 }),
    fc.constantFrom(...INT_EDGES, ...INT_EDGES.map((e) => -e - 1).filter((e) => e >= -MAX_SAFE)),
    fc.boolean(),
    fc.constant(null),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.string({ unit: "binary-ascii", maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("v"), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(fc.nat(5000), fc.integer({ min: 0, max: MAX_SAFE })).map(String),
      tie("v"),
      { maxKeys: 5 },
    ),
    tie("v").map((x) => new CborTagged(17, x)),
  ),
})).v;

describe("deterministic CBOR: properties", () => {
  it("decode(encode(v)) = v, re-encoding is byte-identical, and cbor-x agrees", () => {
    fc.assert(
      fc.property(arbValue, (v) => {
        const bytes = encodeCbor(v);
        const d = decodeCbor(bytes);
        expect(d.ok).toBe(true);
        if (!d.ok) return;
        expect(d.value).toEqual(v);
        expect(toHex(encodeCbor(d.value))).toBe(toHex(bytes));
        expect(normalise(cborxDecode(bytes))).toEqual(normalise(v));
      }),
      { numRuns: 1000, seed: 20261123 },
    );
  });

  it("any prefix of an encoding is truncated, any extension is too_long", () => {
    fc.assert(
      fc.property(arbValue, fc.uint8Array({ minLength: 1, maxLength: 4 }), (v, extra) => {
        const bytes = encodeCbor(v);
        for (let n = 0; n < bytes.length; n++) {
          const r = decodeCbor(bytes.subarray(0, n));
          expect(r.ok || r.code).toBe("truncated");
        }
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        const r = decodeCbor(longer);
        expect(r.ok || r.code).toBe("too_long");
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

// ---- fuzz: random and mutated inputs ----------------------------------------------------

const INTERESTING = [
  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x58, 0x5b, 0x5f, 0x60, 0x7b, 0x7f,
  0x80, 0x98, 0x9a, 0x9b, 0x9f, 0xa0, 0xb8, 0xbb, 0xbf, 0xc0, 0xd1, 0xd2, 0xd8, 0xf4, 0xf5, 0xf6,
  0xf7, 0xf8, 0xf9, 0xfb, 0xff, 0x00, 0x7f, 0xc3, 0xed, 0xf0, 0xf4,
];

function mutate(r: () => number, seeds: Uint8Array[]): Uint8Array {
  const base = seeds[r() % seeds.length];
  const op = r() % 9;
  if (op === 0) {
    const n = r() % 48;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = r() % 3 === 0 ? INTERESTING[r() % INTERESTING.length] : r();
    return b;
  }
  if (base.length === 0) return new Uint8Array([r() & 255]);
  const b = base.slice();
  if (op === 1) {
    const flips = 1 + (r() % 3);
    for (let i = 0; i < flips; i++) b[r() % b.length] ^= 1 << (r() % 8);
    return b;
  }
  if (op === 2) {
    b[r() % b.length] = r() & 1 ? INTERESTING[r() % INTERESTING.length] : r() & 255;
    return b;
  }
  if (op === 3) return b.subarray(0, r() % b.length);
  if (op === 4 || op === 5) {
    const at = r() % (b.length + 1);
    const out = new Uint8Array(b.length + 1);
    out.set(b.subarray(0, at));
    out[at] = op === 4 ? r() & 255 : INTERESTING[r() % INTERESTING.length];
    out.set(b.subarray(at), at + 1);
    return out;
  }
  if (op === 6) {
    const at = r() % b.length;
    const out = new Uint8Array(b.length - 1);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + 1), at);
    return out;
  }
  if (op === 7) {
    // Splice: the head of this seed, the tail of another.
    const other = seeds[r() % seeds.length];
    const a = r() % (b.length + 1);
    const c = r() % (other.length + 1);
    const out = new Uint8Array(a + other.length - c);
    out.set(b.subarray(0, a));
    out.set(other.subarray(c), a);
    return out;
  }
  // Duplicate a slice in place (repeats items, keys, heads).
  const from = r() % b.length;
  const len = 1 + (r() % Math.min(8, b.length - from));
  const out = new Uint8Array(b.length + len);
  out.set(b.subarray(0, from + len));
  out.set(b.subarray(from, from + len), from + len);
  out.set(b.subarray(from + len), from + 2 * len);
  return out;
}

describe("deterministic CBOR: fuzz", () => {
  it("decodes 120,000 random and mutated inputs without throwing; accepted ones are canonical", () => {
    const r = xorshift(0xc0ffee);
    const seeds: Uint8Array[] = rfc.map((x) => hex(x[1]));
    for (let i = 0; i < 300; i++) seeds.push(encodeCbor(randValue(r, 0)));
    const allowed = new Set<string>([ErrorCode.truncated, ErrorCode.tooLong, ErrorCode.badCbor]);
    const counts: Record<string, number> = {};
    const t0 = performance.now();
    const N = 120_000;
    for (let i = 0; i < N; i++) {
      const input = mutate(r, seeds);
      let res: ReturnType<typeof decodeCbor>;
      let item: ReturnType<typeof decodeCborItem>;
      try {
        res = decodeCbor(input);
        item = decodeCborItem(input, 0, 0);
      } catch (e) {
        throw new Error("decoder threw on " + toHex(input) + " (case " + i + "): " + e);
      }
      const key = res.ok ? "ok" : res.code;
      counts[key] = (counts[key] || 0) + 1;
      if (!res.ok) {
        if (!allowed.has(res.code)) throw new Error("unexpected code " + res.code);
        if (typeof res.message !== "string") throw new Error("no message");
        // The item decoder agrees, except that it does not mind trailing bytes.
        if (res.code === ErrorCode.tooLong) {
          if (!item.ok || item.value.end >= input.length) throw new Error("item/too_long mismatch");
        } else if (item.ok || item.code !== res.code) {
          throw new Error("item decoder disagrees on " + toHex(input));
        }
        continue;
      }
      // Deterministic CBOR has exactly one encoding per value: whatever we accept must
      // re-encode to the very bytes we were given.
      const again = encodeCbor(res.value);
      if (toHex(again) !== toHex(input)) throw new Error("accepted non-canonical " + toHex(input));
      if (!item.ok || item.value.end !== input.length) throw new Error("item end mismatch");
    }
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(5000);
    // The mutations must reach every outcome, or the run proves little.
    expect(counts.ok).toBeGreaterThan(1000);
    expect(counts.truncated).toBeGreaterThan(1000);
    expect(counts.too_long).toBeGreaterThan(1000);
    expect(counts.bad_cbor).toBeGreaterThan(1000);
  });
});

// ---- device subset: what Espruino and JerryScript run (firmware/README.md, "Rules for code in this folder") ---------------------

const CORE = fileURLToPath(new URL("../src/core/", import.meta.url));
const SOURCE = readFileSync(CORE + "cbor.ts", "utf8");

const FORBIDDEN_GLOBALS = new Set([
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Symbol",
  "BigInt",
  "TextEncoder",
  "TextDecoder",
  "Proxy",
  "Reflect",
  "Buffer",
  "require",
]);
const FORBIDDEN_MEMBERS = new Set([
  "Array.from",
  "Array.of",
  "Uint8Array.from",
  "Uint8Array.of",
  "Number.isInteger",
  "Number.isFinite",
  "Number.isSafeInteger",
  "Number.MAX_SAFE_INTEGER",
  "Math.trunc",
  "Math.imul",
  "Math.clz32",
  "Math.pow",
  "Object.freeze",
  "Object.assign",
]);

function subsetViolations(src: string): string[] {
  const sf = ts.createSourceFile("cbor.ts", src, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const at = (n: ts.Node, what: string) =>
    out.push(what + " at line " + (sf.getLineAndCharacterOfPosition(n.getStart()).line + 1));
  // Top-level runtime declarations, to check each is declared before any use.
  const declared = new Map<string, number>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) declared.set(st.name.text, st.getStart());
    if (ts.isClassDeclaration(st) && st.name) declared.set(st.name.text, st.getStart());
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name)) declared.set(d.name.text, d.getStart());
  }
  const visit = (n: ts.Node): void => {
    if (ts.isTypeNode(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return;
    if (ts.isImportDeclaration(n)) {
      const spec = (n.moduleSpecifier as ts.StringLiteral).text;
      if (!spec.startsWith("./") || spec.includes("/", 2)) at(n, "import of " + spec);
      return;
    }
    if (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) at(n, "destructuring");
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      (ts.isArrayLiteralExpression(n.left) || ts.isObjectLiteralExpression(n.left))
    )
      at(n, "destructuring assignment");
    if (ts.isParameter(n) && n.initializer) at(n, "default parameter");
    if (ts.isParameter(n) && n.dotDotDotToken) at(n, "rest parameter");
    if (ts.isSpreadElement(n) || ts.isSpreadAssignment(n)) at(n, "spread");
    if ((n as { questionDotToken?: unknown }).questionDotToken) at(n, "optional chaining");
    if (
      ts.isBinaryExpression(n) &&
      (n.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken ||
        n.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskEqualsToken)
    )
      at(n, "**");
    if (ts.isLabeledStatement(n)) at(n, "label");
    if (ts.isForOfStatement(n) || ts.isForInStatement(n)) at(n, "for-of/for-in");
    if ((n as { asteriskToken?: unknown }).asteriskToken) at(n, "generator");
    if (ts.isAwaitExpression(n) || ts.isYieldExpression(n)) at(n, "await/yield");
    if (
      ts.canHaveModifiers(n) &&
      ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)
    )
      at(n, "async");
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) at(n, "regex");
    if (ts.isHeritageClause(n)) at(n, "extends");
    if (ts.isTaggedTemplateExpression(n)) at(n, "tagged template");
    if (ts.isComputedPropertyName(n)) at(n, "computed key");
    // No closures at all: nothing can capture a loop variable.
    if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) at(n, "closure");
    if (ts.isPropertyAccessExpression(n)) {
      const name = n.name.text;
      if (name === "call" || name === "apply" || name === "prototype") at(n, "." + name);
      if (ts.isIdentifier(n.expression) && FORBIDDEN_MEMBERS.has(n.expression.text + "." + name))
        at(n, n.expression.text + "." + name);
    }
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === n) ||
        (ts.isPropertyAssignment(p) && p.name === n) ||
        (ts.isPropertyDeclaration(p) && p.name === n) ||
        ((ts.isFunctionDeclaration(p) ||
          ts.isClassDeclaration(p) ||
          ts.isVariableDeclaration(p) ||
          ts.isParameter(p)) &&
          p.name === n) ||
        ts.isImportSpecifier(p);
      if (!isName) {
        if (FORBIDDEN_GLOBALS.has(n.text)) at(n, n.text);
        const d = declared.get(n.text);
        if (d !== undefined && n.getStart() < d) at(n, n.text + " used before its declaration");
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function toEs5(file: string): string {
  return ts.transpileModule(readFileSync(CORE + file, "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.CommonJS },
  }).outputText;
}

// Run on a device-like engine in tools/build/core-realm.test.ts (protocol/ may not import tools/).
describe("deterministic CBOR: device subset", () => {
  it("cbor.ts stays inside the Espruino/JerryScript subset", () => {
    expect(subsetViolations(SOURCE)).toEqual([]);
  });

  it("the checker itself catches what it is meant to", () => {
    const bad =
      "const a = f();\nfunction f() { return 1; }\n" +
      "function g(x = 1, ...r: number[]) { const [p] = r; return new Map(); }\n" +
      "const h = (o: any) => o?.x ** 2;\nlbl: for (const q of [1]) break lbl;\n" +
      "Array.prototype.slice.call(1); Number.isInteger(1); /x/;\n";
    const v = subsetViolations(bad).join("\n");
    for (const w of [
      "f used before its declaration",
      "default parameter",
      "rest parameter",
      "destructuring",
      "Map",
      "closure",
      "optional chaining",
      "**",
      "label",
      "for-of",
      ".call",
      ".prototype",
      "Number.isInteger",
      "regex",
    ])
      expect(v).toContain(w);
  });

  it("compiles to ES5 that an ES5-only parser accepts", () => {
    for (const f of ["bytes.ts", "errors.ts", "cbor.ts"])
      expect(() => parseJs(toEs5(f), { ecmaVersion: 5, sourceType: "script" }), f).not.toThrow();
  });
});
