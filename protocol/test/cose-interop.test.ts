// Interop with an independent, off-the-shelf COSE implementation (cose-js, which uses the `cbor`
// package and node:crypto): it verifies our envelopes, and we verify the ones it creates.

import { readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error cose-js ships no types
import cose from "cose-js";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/core/bytes";
import { KeyPurpose, keyId } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { openUplink } from "../src/core/uplink";
import { FleetKeyring } from "../src/host/keyring";
import { ROOT } from "../vectors/cases";

const keyring = FleetKeyring.fromRoot(ROOT, [1]);
const vectors = (f: string) =>
  JSON.parse(readFileSync(join(__dirname, "..", "vectors", f), "utf8")).vectors;

describe("COSE_Mac0 interop with cose-js", () => {
  it("cose-js verifies every uplink and downlink vector and returns our payload", async () => {
    for (const [file, purpose, field] of [
      ["uplink.json", KeyPurpose.unitUplink, "uplink"],
      ["downlink.json", KeyPurpose.unitDownlink, "downlink"],
    ] as const) {
      for (const v of vectors(file)) {
        const key = keyring.key(purpose, v[field].unitId, v.keyVersion)!;
        const payload = await cose.mac.read(Buffer.from(v.hex, "hex"), Buffer.from(key));
        expect(Buffer.from(payload).toString("hex")).toBe(v.payloadHex);
      }
    }
  });

  it("cose-js rejects a vector whose MAC we corrupt", async () => {
    const v = vectors("uplink.json")[0];
    const key = keyring.key(KeyPurpose.unitUplink, v.uplink.unitId, v.keyVersion)!;
    const bad = Buffer.from(v.hex, "hex");
    bad[bad.length - 1] ^= 1;
    await expect(cose.mac.read(bad, Buffer.from(key))).rejects.toThrow(/mismatch/);
  });

  it("we verify an envelope that cose-js created from our payload", async () => {
    const v = vectors("uplink.json")[1];
    const key = keyring.key(KeyPurpose.unitUplink, v.uplink.unitId, v.keyVersion)!;
    const made: Buffer = await cose.mac.create(
      {
        p: {
          alg: "SHA-256",
          kid: Buffer.from(keyId(KeyPurpose.unitUplink, v.uplink.unitId, v.keyVersion)),
        },
      },
      Buffer.from(v.payloadHex, "hex"),
      { key: Buffer.from(key) },
    );
    expect(toHex(new Uint8Array(made))).toBe(v.hex);
    const opened = openUplink(sha256, fromHex(made.toString("hex"))!, keyring.lookup);
    expect(opened.ok).toBe(true);
  });
});
