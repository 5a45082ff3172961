// Issue 11, item 9: the centre's keyring must not grow by one cached key per forged key id.

import { expect, it } from "vitest";
import { fromHex } from "../src/core/bytes";
import { KeyPurpose } from "../src/core/keys";
import { openUplinkHost, sealUplinkHost } from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";

const ROOT = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;

it("10,000 forged key ids leave the key cache bounded, and real units still verify", () => {
  const keyring = FleetKeyring.fromRoot(ROOT, [1]);
  const junk = new Uint8Array(32).fill(7); // the attacker does not know the real keys
  let rejected = 0;
  for (let i = 0; i < 10_000; i++) {
    const forged = sealUplinkHost(junk, 1, {
      unitId: 0x10000 + i,
      counter: 1,
      sentAt: 1_800_000_000,
      events: [{ seq: 1, time: 1_800_000_000, code: 0x20, tagId: null, data: null }],
    });
    const o = openUplinkHost(forged, keyring.lookup);
    if (!o.ok && o.code === "bad_mac") rejected++;
  }
  expect(rejected).toBe(10_000);
  expect(keyring.cachedKeys).toBeLessThanOrEqual(1024);
  const real = sealUplinkHost(keyring.key(KeyPurpose.unitUplink, 0x1234, 1)!, 1, {
    unitId: 0x1234,
    counter: 1,
    sentAt: 1_800_000_000,
    events: [{ seq: 1, time: 1_800_000_000, code: 0x20, tagId: null, data: null }],
  });
  expect(openUplinkHost(real, keyring.lookup).ok).toBe(true);
  expect(keyring.cachedKeys).toBeLessThanOrEqual(1024);
});
