// lab provision without a device: the records it derives, and the register's refusals, which
// come before any port is opened (the end-to-end run over a pty into Espruino is in
// flash.engine.test.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "@em-platform/protocol/core/bytes";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadNetworkConfig } from "../../firmware/base/base-records";
import type { Storage } from "../../firmware/hal/hal";
import { parseIdentity } from "../../firmware/tag/tag-storage";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { unitBrokerPassword } from "../../simulator/broker/broker-accounts";
import { type ProvisionRequest, provision, provisionFiles } from "./provision";
import { DeviceRegister } from "./register/register";

const latin1 = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const tag: ProvisionRequest = {
  kind: "tag",
  id: 0xc0ffee,
  keyVersion: 3,
  companyId: 0xffff,
  firmware: "0.1.0",
};
const unit: ProvisionRequest = {
  kind: "unit",
  id: 0xa11c,
  keyVersion: 3,
  companyId: 0xffff,
  tagId: 0xc0ffee,
  firmware: "0.1.0",
  net: {
    brokerHost: "broker.example",
    brokerPort: 8883,
    apn: "em",
    apnUser: "",
    apnPass: "",
    centreNumbers: ["+37129000000"],
    officerNumbers: [],
  },
  brokerSecret: new Uint8Array(32).fill(9),
};
const nowhere = { port: "/nonexistent/tty", baudRate: 115200, retries: 0 };

let dir: string;
let reg: DeviceRegister;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "provision-"));
  reg = await DeviceRegister.create(join(dir, "r.sqlite"), { operator: "test" });
});
afterEach(() => {
  reg.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("lab provision", () => {
  it("derives the tag's identity at its key version", () => {
    const id = parseIdentity(latin1(provisionFiles(TEST_ROOT, tag)["em.id"]));
    expect(id).toMatchObject({ tagId: 0xc0ffee, keyVersion: 3 });
    expect(toHex(id!.beaconKey)).toBe(
      toHex(deriveKey(sha256, TEST_ROOT, KeyPurpose.tagBeacon, 0xc0ffee, 3)),
    );
  });

  it("gives a unit its broker password from the deployment's secret, and needs its tag", () => {
    const files = provisionFiles(TEST_ROOT, unit);
    expect(Object.keys(files).sort()).toEqual(["em.net", "em.pair", "em.pwd", "em.unit"]);
    const st = { read: (n: string) => (files[n] ? latin1(files[n]) : null) } as unknown as Storage;
    expect(loadNetworkConfig(st)?.brokerPassword).toBe(
      unitBrokerPassword(unit.brokerSecret!, 0xa11c),
    );
    expect(() => provisionFiles(TEST_ROOT, { ...unit, tagId: undefined })).toThrow(
      expect.objectContaining({ code: "usage" }),
    );
  });

  it("gives a unit its console password: 20 hex digits of its own console key, at key version 0", () => {
    const files = provisionFiles(TEST_ROOT, unit);
    const want = toHex(deriveKey(sha256, TEST_ROOT, KeyPurpose.unitConsole, 0xa11c, 0));
    expect(files["em.pwd"]).toBe(want.slice(0, 20));
    // Another unit's differs; the unit's other keys' version does not change it.
    expect(provisionFiles(TEST_ROOT, { ...unit, id: 0xa11d })["em.pwd"]).not.toBe(files["em.pwd"]);
    expect(provisionFiles(TEST_ROOT, { ...unit, keyVersion: 1 })["em.pwd"]).toBe(files["em.pwd"]);
  });

  it("asks the register before it opens the port", async () => {
    // A unit whose tag is not registered: refused, although the port does not even exist.
    await expect(provision(TEST_ROOT, unit, nowhere, reg)).rejects.toMatchObject({
      code: "not-in-register",
    });
    reg.add("tag", 0xc0ffee, "0.1.0", 1);
    await expect(provision(TEST_ROOT, unit, nowhere, reg)).rejects.toMatchObject({
      code: "refused",
    }); // key version 1 ≠ 3
    reg.issue("tag", 0xc0ffee, "RIGA/2026-0457", "working");
    await expect(provision(TEST_ROOT, tag, nowhere, reg)).rejects.toMatchObject({
      code: "refused",
    });
    // With --force and a reason the register lets it through, and the missing port is next.
    await expect(
      provision(TEST_ROOT, { ...tag, force: "replacement key" }, nowhere, reg),
    ).rejects.toMatchObject({ code: "no-such-port" });
    expect(reg.get("tag", 0xc0ffee).keyVersion).toBe(1); // nothing recorded for a device not written
  });
});
