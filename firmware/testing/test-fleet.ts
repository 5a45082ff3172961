// The fleet root secret of every test, the simulator's demo and the virtual bench: the golden
// vectors' root (SPEC §16), so a key a test derives can be checked against them. Never a real
// deployment's.

import { fromHex } from "@em-platform/protocol/core/bytes";

export const TEST_ROOT = fromHex(
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
) as Uint8Array;
