// Byte helpers written for the device subset: plain loops, no Array.prototype reach-throughs,
// no TextEncoder, no Buffer.

const HEX = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  }
  return s;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses hex (either case, no separators). Returns null on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let off = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], off);
    off += parts[i].length;
  }
  return out;
}

/** Compares in time independent of where the first difference is (MAC checks). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function readU32BE(b: Uint8Array, off: number): number {
  // Multiplication, not `<< 24`, keeps the result unsigned.
  return b[off] * 0x1000000 + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
}

export function writeU32BE(b: Uint8Array, off: number, v: number): void {
  b[off] = (v / 0x1000000) & 255;
  b[off + 1] = (v >> 16) & 255;
  b[off + 2] = (v >> 8) & 255;
  b[off + 3] = v & 255;
}

export function readU16BE(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

export function writeU16BE(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >> 8) & 255;
  b[off + 1] = v & 255;
}

export function isU32(v: unknown): v is number {
  return typeof v === "number" && v >= 0 && v <= 0xffffffff && Math.floor(v) === v;
}

/**
 * Where `needle` first occurs in `s` at or after `from`, or -1: indexOf made exact on Espruino
 * 2v29, whose indexOf also "finds" a needle that runs past the end of `s` when the tail of `s`
 * matches the needle's head ("abc".indexOf("cd") is 2). A real match always comes first, so a
 * hit is real only if it fits. Any string search whose needle may be 2+ characters uses this
 * (tools/build/device-gate.ts rejects literal ones).
 */
export function findText(s: string, needle: string, from: number): number {
  const at = s.indexOf(needle, from);
  return at >= 0 && at + needle.length <= s.length ? at : -1;
}

export function startsWith(s: string, prefix: string): boolean {
  return s.length >= prefix.length && s.substring(0, prefix.length) === prefix;
}

/** UTF-8 encode without TextEncoder (absent on Espruino). Lone surrogates become U+FFFD. */
export function utf8Encode(s: string): Uint8Array {
  const tmp: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) tmp.push(c);
    else if (c < 0x800) tmp.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) tmp.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      tmp.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  const out = new Uint8Array(tmp.length);
  for (let i = 0; i < tmp.length; i++) out[i] = tmp[i];
  return out;
}

/**
 * Strict UTF-8 decode: returns null on any ill-formed sequence (overlong, surrogate, truncated),
 * and on a character the engine's strings cannot hold: Espruino's (Puck.js, Jolt.js builds) are
 * 8-bit, and String.fromCharCode(0x20ac) there is "\xac". Such text is refused, never truncated;
 * engines with Unicode strings (JerryScript, Node) decode all of it.
 */
export function utf8Decode(b: Uint8Array): string | null {
  let s = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let cp: number;
    let n: number;
    let min: number;
    if (c < 0x80) {
      s += String.fromCharCode(c);
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      cp = c & 31;
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      cp = c & 15;
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      cp = c & 7;
      n = 3;
      min = 0x10000;
    } else return null;
    if (i + n >= b.length) return null;
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if ((cc & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (cc & 63);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    // The first UTF-16 unit, checked to have survived: an 8-bit engine keeps only its low byte.
    const unit = cp >= 0x10000 ? 0xd800 + ((cp - 0x10000) >> 10) : cp;
    const ch =
      cp >= 0x10000 ? String.fromCharCode(unit, 0xdc00 + (cp & 1023)) : String.fromCharCode(unit);
    if (ch.charCodeAt(0) !== unit) return null;
    s += ch;
    i += n + 1;
  }
  return s;
}

/** A copy of b[start, end). Typed-array slice/fill are ES2015: Espruino has them, Duktape not. */
export function sliceBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = b[i];
  return out;
}

export function copyBytes(b: Uint8Array): Uint8Array {
  return sliceBytes(b, 0, b.length);
}

export function fillBytes(b: Uint8Array, v: number, start: number, end: number): void {
  for (let i = start; i < end; i++) b[i] = v;
}
