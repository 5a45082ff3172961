import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CborMap } from "../src/core/cbor";
import { type Downlink, encodeDownlink, openDownlink } from "../src/core/downlink";
import { ErrorCode } from "../src/core/errors";
import { KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeUplink, openUplink, type Uplink } from "../src/core/uplink";
import { openDownlinkHost, openUplinkHost, sealUplinkHost } from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";
import { ROOT } from "../vectors/cases";

const keyring = FleetKeyring.fromRoot(ROOT, [0, 1, 2]);
const codes = new Set<string>(Object.values(ErrorCode));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const id = fc.integer({ min: 1, max: 0xffffffff });
const dataValue = fc.oneof(
  fc.integer({ min: -1000, max: 0xffffffff }),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
);
const data: fc.Arbitrary<CborMap | null> = fc.option(
  fc.dictionary(fc.integer({ min: 1, max: 40 }).map(String), dataValue, {
    maxKeys: 10,
  }) as fc.Arbitrary<CborMap>,
);
const event = fc.record({
  seq: u32,
  time: u32,
  code: fc.integer({ min: 1, max: 0x7f }),
  tagId: fc.option(id),
  data,
});
const uplink: fc.Arbitrary<Uplink> = fc.record({
  unitId: id,
  counter: u32,
  sentAt: u32,
  events: fc.array(event, { minLength: 1, maxLength: 32 }),
});
const downlink: fc.Arbitrary<Downlink> = fc
  .record({
    unitId: id,
    counter: u32,
    issuedAt: fc.integer({ min: 0, max: 0xfffffff0 }),
    ttl: fc.integer({ min: 1, max: 15 }),
    code: fc.integer({ min: 1, max: 0x0d }),
    args: data,
  })
  .map((d) => ({
    unitId: d.unitId,
    counter: d.counter,
    issuedAt: d.issuedAt,
    expiresAt: d.issuedAt + d.ttl,
    code: d.code,
    args: d.args,
  }));
const normalise = (v: unknown) => JSON.parse(JSON.stringify(v));

describe("uplink and downlink envelopes", () => {
  it("uplink round trip: core seal = host seal, both open to the input", () => {
    fc.assert(
      fc.property(uplink, fc.integer({ min: 0, max: 2 }), (u, kv) => {
        const key = keyring.key(KeyPurpose.unitUplink, u.unitId, kv)!;
        const bytes = encodeUplink(sha256, key, kv, u);
        expect(Buffer.from(sealUplinkHost(key, kv, u)).equals(Buffer.from(bytes))).toBe(true);
        const core = openUplink(sha256, bytes, keyring.lookup);
        const host = openUplinkHost(bytes, keyring.lookup);
        if (!core.ok || !host.ok) return false;
        expect(normalise(core.value.uplink)).toEqual(normalise(u));
        expect(host.value.uplink).toEqual(core.value.uplink);
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it("downlink round trip on both faces", () => {
    fc.assert(
      fc.property(downlink, (d) => {
        const key = keyring.key(KeyPurpose.unitDownlink, d.unitId, 1)!;
        const bytes = encodeDownlink(sha256, key, 1, d);
        const core = openDownlink(sha256, bytes, d.unitId, keyring.lookup);
        const host = openDownlinkHost(bytes, d.unitId, keyring.lookup);
        if (!core.ok || !host.ok) return false;
        expect(normalise(core.value.downlink)).toEqual(normalise(d));
        expect(host.value.downlink).toEqual(core.value.downlink);
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it("every single-bit flip of an uplink and a downlink yields the same typed error on both faces", () => {
    fc.assert(
      fc.property(uplink, downlink, (u, d) => {
        const up = encodeUplink(sha256, keyring.key(KeyPurpose.unitUplink, u.unitId, 1)!, 1, u);
        const down = encodeDownlink(
          sha256,
          keyring.key(KeyPurpose.unitDownlink, d.unitId, 1)!,
          1,
          d,
        );
        for (let bit = 0; bit < up.length * 8; bit++) {
          const m = up.slice();
          m[bit >> 3] ^= 1 << (bit & 7);
          const c = openUplink(sha256, m, keyring.lookup);
          const h = openUplinkHost(m, keyring.lookup);
          if (c.ok || h.ok || !codes.has(c.code) || c.code !== h.code) return false;
        }
        for (let bit = 0; bit < down.length * 8; bit++) {
          const m = down.slice();
          m[bit >> 3] ^= 1 << (bit & 7);
          const c = openDownlink(sha256, m, d.unitId, keyring.lookup);
          const h = openDownlinkHost(m, d.unitId, keyring.lookup);
          if (c.ok || h.ok || !codes.has(c.code) || c.code !== h.code) return false;
        }
        return true;
      }),
      { numRuns: 15 },
    );
  });
});
