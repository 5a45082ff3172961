// The bench config: a valid one read whole; every error names the file, the JSON path and what
// was expected; the discover command's starter is a config the suite reads.

import { describe, expect, it } from "vitest";
import { BenchConfigError, benchFromEnv, parseBenchConfig } from "./bench-config";
import { starterConfig } from "./discover";

const GOOD = {
  name: "bench-1",
  tag: { port: "/dev/serial/by-id/usb-Espruino_Puck-if00", id: 12648430 },
  unit: { port: "/dev/serial/by-id/usb-Espruino_Jolt-if00", id: 41244 },
  broker: { url: "mqtt://10.0.0.2:1883", username: "em-centre", password: "x" },
  rootFile: "/etc/em-bench/test-fleet.root",
  unitBroker: { host: "10.0.0.2", port: 1883, apn: "internet", centre: "+37129000000" },
  relay: { port: "/dev/serial/by-id/usb-relay", strapChannel: 1, mainsChannel: 2 },
};

const error = (doc: unknown): BenchConfigError => {
  try {
    parseBenchConfig(typeof doc === "string" ? doc : JSON.stringify(doc), "bench.json");
  } catch (e) {
    if (e instanceof BenchConfigError) return e;
    throw e;
  }
  throw new Error("accepted");
};

describe("bench config", () => {
  it("reads a whole bench", () => {
    expect(parseBenchConfig(JSON.stringify(GOOD), "bench.json")).toEqual({
      ...GOOD,
      broker: { ...GOOD.broker },
      unitBroker: {
        ...GOOD.unitBroker,
        apnUser: undefined,
        apnPass: undefined,
        brokerSecretFile: undefined,
        tls: false,
      },
      ble: undefined,
    });
    const tls = { ...GOOD, unitBroker: { ...GOOD.unitBroker, port: 8883, tls: true } };
    expect(parseBenchConfig(JSON.stringify(tls), "bench.json").unitBroker.tls).toBe(true);
  });

  it("names the file, the path and what was expected", () => {
    expect(error("{").message).toBe("bench.json: $: expected JSON");
    expect(error({ ...GOOD, tag: { port: "/dev/x", id: 0 } }).path).toBe("$.tag.id");
    expect(error({ ...GOOD, broker: { url: "http://x" } }).path).toBe("$.broker.url");
    expect(error({ ...GOOD, relay: { ...GOOD.relay, strapChannel: 99 } }).path).toBe(
      "$.relay.strapChannel",
    );
    expect(error({ ...GOOD, relay: { ...GOOD.relay, mainsChannel: 1 } }).path).toBe(
      "$.relay.mainsChannel",
    );
    expect(error({ ...GOOD, colour: "red" }).path).toBe("$.colour");
    const { rootFile: _, ...rootless } = GOOD;
    expect(error(rootless).path).toBe("$.rootFile");
    expect(error({ ...GOOD, unitBroker: { ...GOOD.unitBroker, centre: "29000000" } }).path).toBe(
      "$.unitBroker.centre",
    );
    expect(error({ ...GOOD, unitBroker: { ...GOOD.unitBroker, pin: "1234" } }).path).toBe(
      "$.unitBroker.pin",
    );
    expect(error({ ...GOOD, unitBroker: { ...GOOD.unitBroker, tls: "yes" } }).path).toBe(
      "$.unitBroker.tls",
    );
    expect(error({ ...GOOD, unit: { ...GOOD.unit, port: GOOD.tag.port } }).expected).toBe(
      "a port other than the tag's",
    );
  });

  it("no HIL_BENCH is the virtual bench; a missing file is an error, not the virtual bench", () => {
    expect(benchFromEnv({})).toBeNull();
    expect(() => benchFromEnv({ HIL_BENCH: "/nonexistent/bench.json" })).toThrow(BenchConfigError);
  });

  it("discover's starter is a config the suite reads, with the ports it found", () => {
    const c = parseBenchConfig(starterConfig(["/dev/serial/by-id/a", "/dev/serial/by-id/b"]), "s");
    expect([c.tag.port, c.unit.port]).toEqual(["/dev/serial/by-id/a", "/dev/serial/by-id/b"]);
    expect(() => parseBenchConfig(starterConfig([]), "s")).not.toThrow();
  });
});
