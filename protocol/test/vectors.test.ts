// Golden vectors: the JSON on disk, the device core, the host face and SPEC.md §16 must agree.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decode as cborxDecode } from "cbor-x";
import { describe, expect, it } from "vitest";
import { HostReceiver } from "../conformance/host-receiver";
import { verifyBeacon } from "../src/core/beacon";
import { fromHex, toHex } from "../src/core/bytes";
import type { CborMap } from "../src/core/cbor";
import type { KeyIdFields } from "../src/core/cose";
import { openDownlink } from "../src/core/downlink";
import { ErrorCode } from "../src/core/errors";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { decodeSmsText } from "../src/core/sms-text";
import { openUplink } from "../src/core/uplink";
import { encodeBeaconHost, encodeTagCommandHost, verifyBeaconHost } from "../src/host/beacon";
import {
  openDownlinkHost,
  openUplinkHost,
  sealDownlinkHost,
  sealUplinkHost,
} from "../src/host/envelope";
import { FleetKeyring } from "../src/host/keyring";
import { nodeDeriveKey } from "../src/host/node-crypto";
import { CentreReject } from "../src/host/uplink-acceptor";
import { RECEIVERS, ROOT, UNIT_ID } from "../vectors/cases";
import { buildVectors, specWithExamples } from "../vectors/generate";
import { fromJsonView, toJsonView } from "../vectors/json-view";
import { coreVerdict } from "../vectors/receiver";

const dir = join(__dirname, "..", "vectors");
const onDisk = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));
const built = buildVectors();
const keyring = FleetKeyring.fromRoot(ROOT, RECEIVERS.uplink.keyVersions);
const coreLookup = (kid: KeyIdFields) =>
  RECEIVERS.uplink.keyVersions.indexOf(kid.keyVersion) >= 0
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
      expect(toHex(encodeBeaconHost(key, b.companyId, b.fields))).toBe(b.hex);
      const core = verifyBeacon(sha256, key, b.companyId, bytes(b.hex));
      const host = verifyBeaconHost(key, b.companyId, bytes(b.hex));
      const at = { ...v.receiver, companyId: b.companyId };
      expect(coreVerdict({ kind: "beacon", hex: b.hex }, at, ROOT), b.name).toBe("ok");
      expect(new HostReceiver(ROOT, at).judge({ kind: "beacon", hex: b.hex }), b.name).toBe("ok");
      expect(core.ok && host.ok).toBe(true);
      if (core.ok)
        expect({ ...core.value, mac: undefined }).toEqual({ ...b.fields, mac: undefined });
    }
  });

  it("tag commands: both faces encode the same bytes; the core verifies them", () => {
    const v = onDisk("tag-command.json");
    for (const c of v.vectors) {
      const key = keyring.key(KeyPurpose.tagCommand, c.fields.tagId, c.fields.keyVersion)!;
      expect(toHex(encodeTagCommandHost(key, c.fields))).toBe(c.hex);
      expect(coreVerdict({ kind: "tagCommand", hex: c.hex }, v.receiver, ROOT)).toBe("ok");
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
      const args = d.downlink.args === null ? null : (fromJsonView(d.downlink.args) as CborMap);
      expect(toHex(sealDownlinkHost(key, d.keyVersion, { ...d.downlink, args }))).toBe(d.hex);
      const core = openDownlink(sha256, bytes(d.hex), UNIT_ID, coreLookup);
      const host = openDownlinkHost(bytes(d.hex), UNIT_ID, keyring.lookup);
      if (!core.ok || !host.ok) throw new Error("vector did not open");
      expect(host.value.downlink).toEqual(core.value.downlink);
      const c = core.value.downlink;
      expect(JSON.parse(JSON.stringify({ ...c, args: c.args && toJsonView(c.args) }))).toEqual(
        d.downlink,
      );
      // Its receiver's clock is the expiry: the last second it is valid (SPEC §8).
      expect(d.receiver.now).toBe(d.downlink.expiresAt);
      expect(coreVerdict({ kind: "downlink", hex: d.hex }, d.receiver, ROOT), d.name).toBe("ok");
      expect(new HostReceiver(ROOT, d.receiver).judge({ kind: "downlink", hex: d.hex })).toBe("ok");
    }
  });

  it("SMS: the text decodes to the envelope, which its centre accepts", () => {
    const v = onDisk("sms.json");
    for (const m of v.vectors) {
      expect(
        toHex(
          decodeSmsText(m.text).ok
            ? (decodeSmsText(m.text) as { value: Uint8Array }).value
            : new Uint8Array(0),
        ),
      ).toBe(m.envelopeHex);
      expect(coreVerdict({ kind: "sms", text: m.text }, v.receiver, ROOT)).toBe("ok");
      expect(new HostReceiver(ROOT, v.receiver).judge({ kind: "sms", text: m.text })).toBe("ok");
    }
  });

  it("invalid inputs: both faces give the code SPEC §14 assigns, at the vector's receiver", () => {
    const cases = onDisk("invalid.json").vectors;
    expect(cases.length).toBeGreaterThan(60);
    for (const c of cases) {
      const input = { kind: c.kind, hex: c.hex, text: c.text };
      expect(coreVerdict(input, c.receiver, ROOT), c.name).toBe(c.error);
      expect(new HostReceiver(ROOT, c.receiver).judge(input), c.name).toBe(c.error);
    }
  });

  it("sequences: the centre gives each uplink in turn the verdict SPEC §3 and §13 give it", () => {
    for (const q of onDisk("sequences.json").vectors) {
      const centre = new HostReceiver(ROOT, q.receiver);
      const got = q.frames.map((f: { hex: string; topicUnitId?: number }) =>
        centre.judge({ kind: "uplink", hex: f.hex, topicUnitId: f.topicUnitId }),
      );
      expect(got, q.name).toEqual(q.frames.map((f: { expect: string }) => f.expect));
    }
  });

  it("every code a receiver can give is pinned by a vector", () => {
    const given = new Set<string>();
    for (const c of onDisk("invalid.json").vectors) given.add(c.error);
    for (const q of onDisk("sequences.json").vectors) for (const f of q.frames) given.add(f.expect);
    const receiverCodes: string[] = [
      ...Object.values(ErrorCode).filter((c) => c !== ErrorCode.counterExhausted), // the sender's
      ...Object.values(CentreReject),
    ];
    for (const code of receiverCodes) expect(given.has(code), code).toBe(true);
  });
});
