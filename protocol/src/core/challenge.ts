// Freshness challenge (SPEC §5): 7 bytes the home unit writes to the tag's command characteristic
// every few minutes. The tag copies the nonce into its extended beacons' echo (SPEC §4) and
// answers with a burst, so a beacon heard at home shows it was made after the unit asked, and
// how soon: a recording lacks the nonce, a relay adds its round trip.
//
// Not authenticated, on purpose: a forged challenge can only make the tag echo a nonce its unit
// never sent, which the unit counts against the tag (a false suspicion, never a hidden relay).

import { readU16BE, readU32BE, writeU16BE, writeU32BE } from "./bytes.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";

/** Version 1, type 4. */
export const CHALLENGE_VERSION_TYPE = 0x14;
export const CHALLENGE_LENGTH = 7;
/** The echo's low 3 bits count the frames the tag sent since the challenge (saturating at 7);
 * the nonce leaves them 0. */
export const ECHO_COUNT_MASK = 7;
/** The tag's answer (SPEC §5): its flag-change burst, frame k sent k × spacing after the write. */
export const ANSWER_FRAMES = 5;
export const ANSWER_SPACING_MS = 400;

export interface Challenge {
  tagId: number;
  /** 8…65528 in steps of 8: the low 3 bits carry the tag's count in the echo, and 0 is the echo
   * of a tag not challenged since it booted. */
  nonce: number;
}

export function encodeChallenge(c: Challenge): Uint8Array {
  const b = new Uint8Array(CHALLENGE_LENGTH);
  b[0] = CHALLENGE_VERSION_TYPE;
  writeU32BE(b, 1, c.tagId);
  writeU16BE(b, 5, c.nonce);
  return b;
}

export function parseChallenge(b: Uint8Array): Result<Challenge> {
  if (b.length < CHALLENGE_LENGTH) return fail(ErrorCode.truncated, "challenge shorter than 7");
  if (b.length > CHALLENGE_LENGTH) return fail(ErrorCode.tooLong, "challenge longer than 7");
  if (b[0] >> 4 !== 1) return fail(ErrorCode.badVersion, "challenge version " + (b[0] >> 4));
  if (b[0] !== CHALLENGE_VERSION_TYPE) return fail(ErrorCode.badType, "not a challenge");
  const c = { tagId: readU32BE(b, 1), nonce: readU16BE(b, 5) };
  if (c.tagId === 0) return fail(ErrorCode.fieldOutOfRange, "tag id 0 is reserved");
  if (c.nonce === 0 || c.nonce & ECHO_COUNT_MASK)
    return fail(ErrorCode.fieldOutOfRange, "nonce 0, or its low 3 bits set");
  return ok(c);
}
