// Golden vectors: the JSON on disk, the device core, the host face and SPEC.md §16 must agree.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decode as cborxDecode } from "cbor-x";
import { describe, expect, it } from "vitest";
import { openBeacon, verifyBeacon } from "../src/core/beacon";
import { fromHex, toHex } from "../src/core/bytes";
import type { KeyIdFields } from "../src/core/cose";
import { checkExpiry, openDownlink } from "../src/core/downlink";
import type { Result } from "../src/core/errors";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { verifyTagCommand } from "../src/core/tag-command";
import { openUplink } from "../src/core/uplink";
import {
  encodeBeaconHost,
  encodeTagCommandHost,
  openBeaconHost,
  verifyBeaconHost,
} from "../src/host/beacon";
import {
  openDownlinkHost,
  openUplinkHost,
  sealDownlinkHost,
  sealUplinkHost,
} from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";
import { nodeDeriveKey } from "../src/host/node-crypto";
import { ROOT, TAG_ID, UNIT_ID } from "../vectors/cases";
import { buildVectors, specWithExamples } from "../vectors/generate";
import { ACCEPTED_KEY_VERSIONS } from "../vectors/invalid";

const dir = join(__dirname, "..", "vectors");
const onDisk = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));
const built = buildVectors();
const keyring = FleetKeyring.fromRoot(ROOT, ACCEPTED_KEY_VERSIONS);
const coreLookup = (kid: KeyIdFields) =>
  ACCEPTED_KEY_VERSIONS.indexOf(kid.keyVersion) >= 0
    ? deriveKey(sha256, ROOT, kid.purpose, kid.deviceId, kid.keyVersion)
    : null;
const bytes = (hex: string) => fromHex(hex)!;

describe("golden vectors", () => {
  it("files on disk are what the generator builds (run `npm run vectors` after a change)", () => {
    for (const [file, content] of Object.entries(built)) {
      expect(onDisk(file), file).toEqual(JSON.parse(JSON.stringify(content)));
    }
  });

  it("SPEC.md §16 shows exactly these vectors", () => {
    const spec = readFileSync(join(dir, "..", "SPEC.md"), "utf8");
    expect(spec).toBe(specWithExamples(spec, built));
  });

  it("keys: core HKDF equals node:crypto HKDF", () => {
    for (const k of onDisk("keys.json").vectors) {
      expect(toHex(deriveKey(sha256, ROOT, k.purpose, k.deviceId, k.keyVersion))).toBe(k.key);
      expect(toHex(nodeDeriveKey(ROOT, k.purpose, k.deviceId, k.keyVersion))).toBe(k.key);
    }
  });

  it("beacons: both faces encode the same bytes and verify them", () => {
    const v = onDisk("beacon.json");
    for (const b of v.vectors) {
      const key = keyring.key(KeyPurpose.tagBeacon, b.fields.tagId, b.fields.keyVersion)!;
      expect(toHex(encodeBeaconHost(key, v.companyId, b.fields))).toBe(b.hex);
      const core = verifyBeacon(sha256, key, v.companyId, bytes(b.hex));
      const host = verifyBeaconHost(key, v.companyId, bytes(b.hex));
      expect(core.ok && host.ok).toBe(true);
      if (core.ok)
        expect({ ...core.value, mac: undefined }).toEqual({ ...b.fields, mac: undefined });
    }
  });

  it("tag commands: both faces encode the same bytes; the core verifies them", () => {
    for (const c of onDisk("tag-command.json").vectors) {
      const key = keyring.key(KeyPurpose.tagCommand, c.fields.tagId, c.fields.keyVersion)!;
      expect(toHex(encodeTagCommandHost(key, c.fields))).toBe(c.hex);
      expect(verifyTagCommand(sha256, key, c.fields.tagId, bytes(c.hex)).ok).toBe(true);
    }
  });

  it("uplinks: host seal = core bytes; both faces open to the same uplink; cbor-x agrees", () => {
    for (const u of onDisk("uplink.json").vectors) {
      const key = keyring.key(KeyPurpose.unitUplink, u.uplink.unitId, u.keyVersion)!;
      expect(toHex(sealUplinkHost(key, u.keyVersion, u.uplink))).toBe(u.hex);
      const core = openUplink(sha256, bytes(u.hex), coreLookup);
      const host = openUplinkHost(bytes(u.hex), keyring.lookup);
      if (!core.ok || !host.ok) throw new Error("vector did not open");
      expect(host.value.uplink).toEqual(core.value.uplink);
      expect(JSON.parse(JSON.stringify(core.value.uplink))).toEqual(u.uplink);
      // An independent decoder reads the same payload.
      const viaCborx = cborxDecode(bytes(u.payloadHex));
      expect(viaCborx[1]).toBe(u.uplink.unitId);
      expect(viaCborx[4].length).toBe(u.uplink.events.length);
    }
  });

  it("downlinks: host seal = core bytes; both faces open to the same command", () => {
    for (const d of onDisk("downlink.json").vectors) {
      const key = keyring.key(KeyPurpose.unitDownlink, d.downlink.unitId, d.keyVersion)!;
      expect(toHex(sealDownlinkHost(key, d.keyVersion, d.downlink))).toBe(d.hex);
      const core = openDownlink(sha256, bytes(d.hex), UNIT_ID, coreLookup);
      const host = openDownlinkHost(bytes(d.hex), UNIT_ID, keyring.lookup);
      if (!core.ok || !host.ok) throw new Error("vector did not open");
      expect(host.value.downlink).toEqual(core.value.downlink);
      expect(JSON.parse(JSON.stringify(core.value.downlink))).toEqual(d.downlink);
    }
  });

  it("invalid inputs: both faces give the code SPEC §14 assigns", () => {
    const cases = onDisk("invalid.json").vectors;
    expect(cases.length).toBeGreaterThan(20);
    for (const c of cases) {
      const b = bytes(c.hex);
      let core: Result<unknown>;
      let host: Result<unknown>;
      if (c.kind === "beacon") {
        const beaconKeys = (tagId: number, kv: number) =>
          keyring.key(KeyPurpose.tagBeacon, tagId, kv);
        core = openBeacon(sha256, 0xffff, b, beaconKeys);
        host = openBeaconHost(0xffff, b, beaconKeys);
      } else if (c.kind === "tagCommand") {
        const key = deriveKey(sha256, ROOT, KeyPurpose.tagCommand, TAG_ID, 1);
        core = verifyTagCommand(sha256, key, TAG_ID, b);
        host = core;
      } else if (c.kind === "uplink") {
        core = openUplink(sha256, b, coreLookup);
        host = openUplinkHost(b, keyring.lookup);
      } else {
        const c1 = openDownlink(sha256, b, UNIT_ID, coreLookup);
        const h1 = openDownlinkHost(b, UNIT_ID, keyring.lookup);
        core = c1.ok ? checkExpiry(c1.value.downlink, c.now) : c1;
        host = h1.ok ? checkExpiry(h1.value.downlink, c.now) : h1;
      }
      expect(core.ok ? "ok" : core.code, c.name).toBe(c.error);
      expect(host.ok ? "ok" : host.code, c.name).toBe(c.error);
    }
  });
});
