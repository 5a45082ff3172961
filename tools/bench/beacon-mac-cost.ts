// Device code run by `npm run bench:firmware` on the home unit's engine: how long one beacon MAC
// check (HMAC-SHA-256 over 14 bytes, pure JS, as on a board without a native SHA-256) takes,
// which sets what a flood of forged beacons could cost without the acceptor's MAC budget.
// Prints `MAC_MS <ms per check>`.

import { hmacSha256 } from "@em-platform/protocol/core/hmac";
import { sha256 } from "@em-platform/protocol/core/sha256";

declare function getTime(): number;
declare function print(s: string): void;

const CHECKS = 200;
const key = new Uint8Array(32);
const input = new Uint8Array(14);
for (let i = 0; i < 32; i++) key[i] = i;
const t0 = getTime();
let acc = 0;
for (let i = 0; i < CHECKS; i++) {
  input[13] = i & 255;
  acc ^= hmacSha256(sha256, key, input)[0];
}
print("MAC_MS " + ((getTime() - t0) * 1000) / CHECKS + " " + acc);
