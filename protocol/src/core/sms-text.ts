// SMS text form of an envelope (SPEC §12): "EM1:" + base64url without padding (RFC 4648 §5).
// Hand-written: Espruino's btoa is standard base64 and JerryScript may have none.

import { ErrorCode, fail, ok, type Result } from "./errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
export const SMS_PREFIX = "EM1:";
/** One GSM-7 SMS holds 160 characters. */
export const SMS_MAX_CHARS = 160;

export function encodeSmsText(envelope: Uint8Array): string {
  let s = SMS_PREFIX;
  let i = 0;
  for (; i + 2 < envelope.length; i += 3) {
    const v = (envelope[i] << 16) | (envelope[i + 1] << 8) | envelope[i + 2];
    s +=
      ALPHABET.charAt(v >> 18) +
      ALPHABET.charAt((v >> 12) & 63) +
      ALPHABET.charAt((v >> 6) & 63) +
      ALPHABET.charAt(v & 63);
  }
  const rest = envelope.length - i;
  if (rest === 1) {
    const v = envelope[i] << 16;
    s += ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63);
  } else if (rest === 2) {
    const v = (envelope[i] << 16) | (envelope[i + 1] << 8);
    s +=
      ALPHABET.charAt(v >> 18) + ALPHABET.charAt((v >> 12) & 63) + ALPHABET.charAt((v >> 6) & 63);
  }
  return s;
}

function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 45) return 62;
  if (c === 95) return 63;
  return -1;
}

/** Strict: the prefix, only base64url characters, canonical trailing bits, no padding. */
export function decodeSmsText(text: string): Result<Uint8Array> {
  if (text.length > SMS_MAX_CHARS) return fail(ErrorCode.tooLong, "longer than one SMS");
  if (text.substring(0, SMS_PREFIX.length) !== SMS_PREFIX)
    return fail(ErrorCode.badVersion, "missing EM1: prefix");
  const n = text.length - SMS_PREFIX.length;
  if (n % 4 === 1) return fail(ErrorCode.truncated, "base64url length");
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = SMS_PREFIX.length; i < text.length; i++) {
    const v = sextet(text.charCodeAt(i));
    if (v < 0) return fail(ErrorCode.badStructure, "not base64url at " + i);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0)
    return fail(ErrorCode.badStructure, "non-zero trailing bits");
  return ok(out);
}
