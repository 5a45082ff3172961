// Tag command (SPEC §5): 29 bytes written to the tag over BLE, signed by the centre.

import { equalBytes, readU16BE, readU32BE, writeU16BE, writeU32BE } from "./bytes.js";
import { ErrorCode, type ErrorCodeValue, fail, ok, type Result } from "./errors.js";
import { hmacSha256 } from "./hmac.js";
import type { Sha256 } from "./sha256.js";

export const TAG_COMMAND_VERSION_TYPE = 0x12;
export const TAG_COMMAND_LENGTH = 29;
export const TAG_COMMAND_MAC_LENGTH = 16;

export const TagCommandCode = {
  rearm: 0x01,
  setBeaconInterval: 0x02,
  identify: 0x03,
} as const;

export const RearmMask = { strap: 0x01, case: 0x02 } as const;

export interface TagCommandFields {
  tagId: number;
  counter: number;
  keyVersion: number;
  code: number;
  arg: number;
}

export interface TagCommand extends TagCommandFields {
  mac: Uint8Array;
}

/** The 29-byte frame with its MAC bytes still zero; the MAC covers bytes 0…12. */
export function tagCommandBody(f: TagCommandFields): Uint8Array {
  const b = new Uint8Array(TAG_COMMAND_LENGTH);
  b[0] = TAG_COMMAND_VERSION_TYPE;
  writeU32BE(b, 1, f.tagId);
  writeU32BE(b, 5, f.counter);
  b[9] = f.keyVersion & 255;
  b[10] = f.code & 255;
  writeU16BE(b, 11, f.arg);
  return b;
}

export function encodeTagCommand(sha: Sha256, key: Uint8Array, f: TagCommandFields): Uint8Array {
  const b = tagCommandBody(f);
  b.set(hmacSha256(sha, key, b.subarray(0, 13)).subarray(0, TAG_COMMAND_MAC_LENGTH), 13);
  return b;
}

function argInRange(code: number, arg: number): boolean {
  if (code === TagCommandCode.rearm) return arg >= 1 && arg <= 3;
  if (code === TagCommandCode.setBeaconInterval) return arg >= 2 && arg <= 600;
  if (code === TagCommandCode.identify) return arg >= 1 && arg <= 60;
  return false;
}

/** What tagCommandFaultIndex's results mean, in its order of checks. */
const TAG_COMMAND_FAULTS: ErrorCodeValue[] = [
  ErrorCode.truncated,
  ErrorCode.tooLong,
  ErrorCode.badVersion,
  ErrorCode.badType,
  ErrorCode.fieldOutOfRange,
];

/**
 * Which rule `b` breaks as a tag command — 1 + its index in TAG_COMMAND_FAULTS — or 0 when it is
 * well formed: the one place the structure rules are written. A number, so that a device which
 * only needs the verdict (the tag) carries no error codes.
 */
export function tagCommandFaultIndex(b: Uint8Array): number {
  if (b.length < TAG_COMMAND_LENGTH) return 1;
  if (b.length > TAG_COMMAND_LENGTH) return 2;
  if (b[0] >> 4 !== 1) return 3;
  if ((b[0] & 15) !== 2) return 4;
  if (readU32BE(b, 1) === 0 || !argInRange(b[10], readU16BE(b, 11))) return 5;
  return 0;
}

/** Why `b` is not a well-formed tag command, or null when it is. */
export function tagCommandFault(b: Uint8Array): ErrorCodeValue | null {
  const i = tagCommandFaultIndex(b);
  return i === 0 ? null : TAG_COMMAND_FAULTS[i - 1];
}

/** The fields of a command that tagCommandFaultIndex accepted; `mac` is a view into `b`. */
export function tagCommandFields(b: Uint8Array): TagCommand {
  return {
    tagId: readU32BE(b, 1),
    counter: readU32BE(b, 5),
    keyVersion: b[9],
    code: b[10],
    arg: readU16BE(b, 11),
    mac: b.subarray(13, TAG_COMMAND_LENGTH),
  };
}

/** Whether the MAC of a 29-byte command verifies under `key` (compared in constant time). */
export function tagCommandMacOk(sha: Sha256, key: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(
    hmacSha256(sha, key, b.subarray(0, 13)).subarray(0, TAG_COMMAND_MAC_LENGTH),
    b.subarray(13, TAG_COMMAND_LENGTH),
  );
}

export function parseTagCommand(b: Uint8Array): Result<TagCommand> {
  const fault = tagCommandFault(b);
  if (fault !== null)
    return fail(fault, "tag command (" + b.length + " bytes, first " + b[0] + "): " + fault);
  return ok(tagCommandFields(b));
}

/** Picks the tag-command key of a key version; null when the tag holds none of it. */
export type TagCommandKeyLookup = (keyVersion: number) => Uint8Array | null;

/**
 * SPEC §14's order for a tag command at the tag: structure, addressee, key version, MAC.
 * Counter freshness is the caller's.
 */
export function openTagCommand(
  sha: Sha256,
  b: Uint8Array,
  ownTagId: number,
  keys: TagCommandKeyLookup,
): Result<TagCommand> {
  const r = parseTagCommand(b);
  if (!r.ok) return r;
  if (r.value.tagId !== ownTagId) return fail(ErrorCode.wrongDevice, "command for another tag");
  const key = keys(r.value.keyVersion);
  if (key === null)
    return fail(ErrorCode.unknownKeyVersion, "no key for version " + r.value.keyVersion);
  if (!tagCommandMacOk(sha, key, b)) return fail(ErrorCode.badMac, "tag command MAC mismatch");
  return r;
}
