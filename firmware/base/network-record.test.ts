// em.net, the network record (base-records.ts): the broker password (key 8) and TLS (key 9) are
// optional, so a record written before they existed still loads, and a wrong type refuses the
// whole record rather than connecting with a wrong login, or in the clear.

import { encodeCbor } from "@em-platform/protocol/core/cbor";
import { describe, expect, it } from "vitest";
import { VirtualFlash } from "../testing/virtual-flash";
import {
  encodeNetworkConfig,
  loadNetworkConfig,
  type NetworkConfig,
  RecordName,
} from "./base-records";

const NET: NetworkConfig = {
  brokerHost: "broker.example",
  brokerPort: 8883,
  apn: "em.example",
  apnUser: "",
  apnPass: "",
  centreNumbers: ["+37120000000"],
  officerNumbers: [],
};

function load(bytes: Uint8Array): NetworkConfig | null {
  const st = new VirtualFlash(16 * 1024);
  st.write(RecordName.network, bytes);
  return loadNetworkConfig(st);
}

describe("network record", () => {
  it("carries the unit's broker password", () => {
    expect(load(encodeNetworkConfig({ ...NET, brokerPassword: "s3cret" }))?.brokerPassword).toBe(
      "s3cret",
    );
  });

  it("a record without one loads with none (the unit connects without credentials)", () => {
    const bytes = encodeNetworkConfig(NET);
    expect(load(bytes)).toEqual({ ...NET, brokerPassword: "", tls: false });
  });

  it("carries TLS; anything but true in its place refuses the record", () => {
    expect(load(encodeNetworkConfig({ ...NET, tls: true }))?.tls).toBe(true);
    const fields = { 1: NET.brokerHost, 2: NET.brokerPort, 3: NET.apn, 4: "", 5: "", 6: [], 7: [] };
    for (const bad of [false, 1, "yes"]) expect(load(encodeCbor({ ...fields, 9: bad }))).toBeNull();
    expect(load(encodeCbor(fields))?.tls).toBe(false);
  });

  it("a password that is not text refuses the record", () => {
    const bytes = encodeCbor({
      1: NET.brokerHost,
      2: NET.brokerPort,
      3: NET.apn,
      4: "",
      5: "",
      6: NET.centreNumbers,
      7: [],
      8: new Uint8Array([1, 2]),
    });
    expect(load(bytes)).toBeNull();
  });
});
