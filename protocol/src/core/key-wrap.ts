// pair_tag's key wrap (SPEC §10): the tag-beacon key travels XORed with a pad that only the unit
// (and the centre) can compute, bound to the downlink counter and the tag id, so a wrapped key
// read from one command is of no use in another.

import { writeU32BE } from "./bytes.js";
import { hmacSha256 } from "./hmac.js";
import type { Sha256 } from "./sha256.js";

/** key XOR HMAC-SHA256(wrap key, downlink counter ‖ tag id): wraps and unwraps alike. */
export function xorTagKey(
  sha: Sha256,
  wrapKey: Uint8Array,
  counter: number,
  tagId: number,
  key: Uint8Array,
): Uint8Array {
  const info = new Uint8Array(8);
  writeU32BE(info, 0, counter);
  writeU32BE(info, 4, tagId);
  const pad = hmacSha256(sha, wrapKey, info);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = key[i] ^ pad[i];
  return out;
}
