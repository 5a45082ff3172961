// The one assembly of the home unit (assemble-home-unit.ts): which parts it builds from which
// provisioned records, and that the modem is wired only for a unit with an uplink to run.

import { BootReason } from "@em-platform/protocol/core/events";
import { describe, expect, it } from "vitest";
import { createHardware, FakeBoard, FakeDigitalInput, FakeUart } from "../testing/fake-board";
import { VirtualClock } from "../testing/virtual-clock";
import { VirtualFlash } from "../testing/virtual-flash";
import { assembleHomeUnit } from "./assemble-home-unit";
import type { BaseHal, UplinkTransport } from "./base-app";
import { encodeIdentity, encodeNetworkConfig, RecordName } from "./base-records";
import { RamSegmentStore } from "./queue/ram-segment-store";
import type { UplinkHardware } from "./uplink/home-uplink";

function unit(o: { identity: boolean; network: boolean }) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 23));
  const board = new FakeBoard(createHardware(clock, new VirtualFlash(64 * 1024), 5), 0);
  if (o.identity)
    board.storage.write(
      RecordName.identity,
      encodeIdentity({
        unitId: 0xa11c,
        keyVersion: 1,
        companyId: 0xffff,
        uplinkKey: new Uint8Array(32).fill(1),
        downlinkKey: new Uint8Array(32).fill(2),
        wrapKey: new Uint8Array(32).fill(3),
      }),
    );
  if (o.network)
    board.storage.write(
      RecordName.network,
      encodeNetworkConfig({
        brokerHost: "broker.example",
        brokerPort: 1883,
        apn: "em.example",
        apnUser: "",
        apnPass: "",
        centreNumbers: ["+37120000000"],
        officerNumbers: [],
      }),
    );
  const hal: BaseHal = {
    clock: board.clock,
    storage: board.storage,
    queueFlash: new RamSegmentStore(8, 4064),
    scanner: board.scanner,
    mains: board.mains,
    caseSwitch: board.caseInput,
    motion: null,
    battery: board.battery,
    watchdog: board.watchdog,
    indicator: board.indicator,
    crypto: board.crypto,
    tagLink: { send: () => true, heard: () => {} },
    restart: () => {},
  };
  const uart = new FakeUart();
  let wired = 0;
  let resets = 0;
  const modem = (): UplinkHardware => {
    wired++;
    return {
      uart: uart,
      clock: board.clock,
      random: () => 0.5,
      resetModem: (done) => {
        resets++;
        done();
      },
      indicator: board.indicator,
      button: new FakeDigitalInput(false),
    };
  };
  const logs: string[] = [];
  const log = (m: string) => {
    logs.push(m);
  };
  return {
    clock,
    uart,
    logs,
    wired: () => wired,
    resets: () => resets,
    assemble: (transport: UplinkTransport | null) =>
      assembleHomeUnit(hal, modem, transport, BootReason.powerOn, log),
  };
}

describe("assembleHomeUnit", () => {
  it("identity + network record: the uplink is built on the modem, attached and started", () => {
    const u = unit({ identity: true, network: true });
    const h = u.assemble(null);
    expect(h.app).not.toBeNull();
    expect(h.uplink).not.toBeNull();
    expect(u.wired()).toBe(1);
    u.clock.advance(5000);
    // Started: the driver power-cycles the modem and talks to it over the UART.
    expect(u.resets() + u.uart.written.length).toBeGreaterThan(0);
    h.app!.stop();
  });

  it("no network record: the app monitors, no modem is wired, and the console says so", () => {
    const u = unit({ identity: true, network: false });
    const h = u.assemble(null);
    expect(h.app).not.toBeNull();
    expect(h.uplink).toBeNull();
    expect(u.wired()).toBe(0);
    expect(u.logs.some((m) => m.indexOf("no network record") >= 0)).toBe(true);
    u.clock.advance(5000);
    expect(u.uart.written.length).toBe(0);
    h.app!.stop();
  });

  it("no identity: nothing monitors, no modem is wired", () => {
    const u = unit({ identity: false, network: true });
    const h = u.assemble(null);
    expect(h.app).toBeNull();
    expect(h.uplink).toBeNull();
    expect(u.wired()).toBe(0);
    expect(u.logs.some((m) => m.indexOf("not provisioned") >= 0)).toBe(true);
  });

  it("a given transport (a test's centre) takes the uplink's place", () => {
    const u = unit({ identity: true, network: true });
    let asked = 0;
    const h = u.assemble({
      ready: () => {
        asked++;
        return false;
      },
      send: (_e, done) => done(false),
    });
    expect(h.app).not.toBeNull();
    expect(h.uplink).toBeNull();
    expect(u.wired()).toBe(0);
    u.clock.advance(60000);
    expect(asked).toBeGreaterThan(0);
    h.app!.stop();
  });
});
