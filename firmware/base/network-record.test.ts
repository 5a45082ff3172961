// em.net, the network record (base-records.ts): the broker password (key 8) is optional, so a
// record written before it existed still loads, and a wrong type refuses the whole record rather
// than connecting with a wrong login.

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
    expect(load(bytes)).toEqual({ ...NET, brokerPassword: "" });
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
