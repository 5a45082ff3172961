// The shipped home-unit bundle (base.js, built as build-firmware.ts builds it) run in the device
// realm (run-bundle.ts) on the fake Espruino globals (espruino-fake.ts) with a scripted SIM800 and
// broker on Serial1 (fake-sim800.ts), under virtual time — once as built and once with function
// declarations only where they stand (Espruino does not hoist). What the unit writes is checked
// on the host against the modem dialect, MQTT 3.1.1, the event queue's on-flash format and the
// protocol's host side, as a modem, a broker and a centre would see it.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BeaconFlag } from "@em-platform/protocol/core/beacon";
import { fromHex, readU32BE, toHex } from "@em-platform/protocol/core/bytes";
import { type CborValue, decodeCbor, encodeCbor } from "@em-platform/protocol/core/cbor";
import { CHALLENGE_LENGTH, parseChallenge } from "@em-platform/protocol/core/challenge";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { encodeDownlink } from "@em-platform/protocol/core/downlink";
import { BootReason, EventClass, EventCode, FrameSource } from "@em-platform/protocol/core/events";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { RearmMask, TagCommandCode } from "@em-platform/protocol/core/tag-command";
import { downlinkTopic, statusTopic, uplinkTopic } from "@em-platform/protocol/core/topics";
import { openUplink, type UplinkEvent } from "@em-platform/protocol/core/uplink";
import { encodeBeaconHost, encodeTagCommandHost } from "@em-platform/protocol/host/beacon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeIdentity,
  encodeNetworkConfig,
  type NetworkConfig,
  RecordName,
  savePairing,
} from "../../firmware/base/base-records";
import { SIM800 } from "../../firmware/base/modem/dialect-sim800";
import { fillText, stepText } from "../../firmware/base/modem/modem-dialect";
import type { Storage } from "../../firmware/hal/hal";
import { TEST_ROOT as ROOT } from "../../firmware/testing/test-fleet";
import { buildShipped } from "../engines/shipped-bundles";
import { unitConsolePassword } from "../lab/provision-records";
import { compileBundle } from "./firmware-build";
import { withoutHoisting } from "./hoist";
import { runBundle } from "./run-bundle";

const out = mkdtempSync(join(tmpdir(), "basebundle-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const UNIT = 0xa11c;
const TAG = 0xc0ffee;
const COMPANY = 0xffff;
const TAG_ADDRESS = "c0:ff:ee:00:00:01 random";
/** A transmitter sending a forged frame that names the tag: it must not become the rearm's target. */
const ATTACKER_ADDRESS = "66:66:66:00:00:01 random";
const key = (purpose: number, device: number) => deriveKey(sha256, ROOT, purpose, device, 1);
const NET: NetworkConfig = {
  brokerHost: "mqtt.centre.example",
  brokerPort: 8883,
  apn: "em.m2m",
  apnUser: "unit",
  apnPass: "s3cret",
  centreNumbers: ["+37120000001"],
  officerNumbers: ["+37120000002"],
};
/** The scripted modem's +CCLK: 2026-11-23 10:00:00 at UTC+2. */
const NETWORK_UTC_S = Date.UTC(2026, 10, 23, 8, 0, 0) / 1000;
/** POWER.RESETREAS SREQ: the last reset was E.reboot(). */
const RESETREAS_SREQ = 4;

interface BrokerPacket {
  atMs: number;
  type: number;
  hex: string;
}

interface Report {
  nowMs: number;
  /** Whether the Bluetooth console (Nordic UART) is still offered. */
  uart: boolean;
  /** E.setPassword's password, and when E.lockConsole() locked it (-1: never). */
  console: { password: string | null; lockedAtMs: number };
  logs: string[];
  pinModes: { [pin: string]: string };
  watchdog: { timeoutMs: number; kicks: number; bittenAt: number };
  flash: { [name: string]: string };
  digitalWrites: { atMs: number; pin: string; value: boolean }[];
  resetReason: number;
  rebootedAt: number;
  serial: { baud: number; rx: string; tx: string } | null;
  modem: {
    txHex: string;
    commands: string[];
    unknown: string[];
    connects: string[];
    sends: string[];
    packets: BrokerPacket[];
  };
  scanning: boolean;
  gatt: {
    atMs: number;
    address: string;
    writes: { service: string; characteristic: string; data: string }[];
    disconnected: boolean;
  }[];
  nor: { [addr: string]: string };
  marks: { label: string; atMs: number; nor: { [addr: string]: string } }[];
}

/** Storage records as provisioning writes them (base-records.ts encoders). */
function records(withNetwork: boolean): { [name: string]: Uint8Array } {
  const files: { [name: string]: Uint8Array } = {};
  const shim = {
    write: (name: string, data: Uint8Array) => {
      files[name] = data;
      return true;
    },
  };
  savePairing(shim as unknown as Storage, {
    tagId: TAG,
    keyVersion: 1,
    beaconKey: key(KeyPurpose.tagBeacon, TAG),
  });
  files["em.unit"] = encodeIdentity({
    unitId: UNIT,
    keyVersion: 1,
    companyId: COMPANY,
    uplinkKey: key(KeyPurpose.unitUplink, UNIT),
    downlinkKey: key(KeyPurpose.unitDownlink, UNIT),
    wrapKey: key(KeyPurpose.unitKeyWrap, UNIT),
  });
  if (withNetwork) files["em.net"] = encodeNetworkConfig(NET);
  files["em.pwd"] = new Uint8Array(Buffer.from(unitConsolePassword(ROOT, UNIT), "latin1"));
  return files;
}

// ---- the event queue's on-flash format (firmware/base/queue/event-queue.ts), read anew ----

/** CRC-16/CCITT-FALSE, written here from its definition rather than imported. */
function crc16(b: Uint8Array): number {
  let crc = 0xffff;
  for (const x of b) {
    crc ^= x << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : crc << 1;
    crc &= 0xffff;
  }
  return crc;
}

interface FlashRecord {
  page: string;
  cls: number;
  delivered: boolean;
  body: string;
  event: UplinkEvent;
}

/** The event queue's 64 pages from the fake's free area (0xb0000); the record log's 8 follow. */
const RECORD_LOG_AT = 0xb0000 + 64 * 4096;

/** Every record of every queue segment in a NOR snapshot; throws on anything malformed. */
function queueRecords(nor: { [addr: string]: string }): FlashRecord[] {
  const recs: FlashRecord[] = [];
  for (const page of Object.keys(nor)) {
    if (Number(page) >= RECORD_LOG_AT) continue;
    const b = fromHex(nor[page])!;
    expect(b.length).toBe(4096);
    expect(toHex(b.subarray(0, 4))).toBe("ee5101ff"); // segment magic, version 1
    expect(readU32BE(b, 4)).toBeGreaterThan(0); // generation
    let p = 12;
    while (p < b.length && b[p] !== 0xff) {
      expect(b[p]).toBe(0xe7); // record magic
      const len = b[p + 1];
      const crc = crc16(
        new Uint8Array([...b.subarray(p, p + 3), ...b.subarray(p + 4, p + 4 + len)]),
      );
      expect((b[p + 4 + len] << 8) | b[p + 5 + len]).toBe(crc);
      expect([0x00, 0xff]).toContain(b[p + 3]);
      const body = b.subarray(p + 4, p + 4 + len);
      const d = decodeCbor(body);
      if (!d.ok || !Array.isArray(d.value)) throw new Error("record body is not a CBOR array");
      const [seq, time, code, tagId, data] = d.value as [number, number, number, number, never];
      recs.push({
        page,
        cls: b[p + 2],
        delivered: b[p + 3] === 0,
        body: toHex(body),
        event: { seq, time, code, tagId, data },
      });
      p += len + 6;
    }
    for (; p < b.length; p++) expect(b[p]).toBe(0xff); // nothing written past the last record
  }
  return recs;
}

// ---- MQTT as the broker reads it ----

function mqttString(b: Uint8Array, at: number): [string, number] {
  const n = (b[at] << 8) | b[at + 1];
  return [Buffer.from(b.subarray(at + 2, at + 2 + n)).toString("latin1"), at + 2 + n];
}

/** Fixed header → [remaining length, offset of the variable header]. */
function fixedHeader(b: Uint8Array): [number, number] {
  let v = 0;
  let mul = 1;
  let i = 1;
  for (;;) {
    v += (b[i] & 127) * mul;
    if ((b[i++] & 128) === 0) return [v, i];
    mul *= 128;
  }
}

interface Publish {
  topic: string;
  qos: number;
  dup: boolean;
  retain: boolean;
  id: number;
  payload: Uint8Array;
}

function parsePublish(hex: string): Publish {
  const b = fromHex(hex)!;
  const [len, at] = fixedHeader(b);
  expect(b.length).toBe(at + len);
  const [topic, next] = mqttString(b, at);
  const qos = (b[0] >> 1) & 3;
  const id = qos > 0 ? (b[next] << 8) | b[next + 1] : 0;
  return {
    topic,
    qos,
    dup: (b[0] & 8) !== 0,
    retain: (b[0] & 1) !== 0,
    id,
    payload: b.subarray(next + (qos > 0 ? 2 : 0)),
  };
}

function beacon(counter: number, flags: number): Uint8Array {
  return encodeBeaconHost(key(KeyPurpose.tagBeacon, TAG), COMPANY, {
    tagId: TAG,
    counter,
    flags,
    batteryMv: 3000,
    keyVersion: 1,
  });
}

const REARM = encodeTagCommandHost(key(KeyPurpose.tagCommand, TAG), {
  tagId: TAG,
  counter: 1,
  keyVersion: 1,
  code: TagCommandCode.rearm,
  arg: RearmMask.strap,
});
const DOWNLINK_ID = 7;
// The tag's command service (hal-espruino.ts; not imported: that module reads getTime() on load).
const COMMAND_SERVICE = "e4ee0001-c280-401d-a57b-5794cfcfba70";
const COMMAND_CHARACTERISTIC = "e4ee0002-c280-401d-a57b-5794cfcfba70";

/**
 * 20 s to come up and go online; a genuine beacon, one with the strap latched, a forged one
 * (each followed by a snapshot of the queue's flash before the next tick can send it); a rearm
 * command from the centre over MQTT, written to the tag when its next beacon is heard, and a
 * beacon with the latch clear (the re-arm delivered); then 30 s more.
 */
function scenario(): string {
  const forged = beacon(3, 0);
  forged[19] ^= 1;
  const rearm = encodeDownlink(sha256, key(KeyPurpose.unitDownlink, UNIT), 1, {
    unitId: UNIT,
    counter: 1,
    issuedAt: NETWORK_UTC_S,
    expiresAt: NETWORK_UTC_S + 3600,
    code: CommandCode.rearmTag,
    args: { 1: REARM },
  });
  const heard = (hex: string, company = COMPANY, address = TAG_ADDRESS) =>
    `print("heard " + EspruinoFake.advertise("${address}", -61, ${company}, "${hex}"));`;
  return `
EspruinoFake.advance(20000);
EspruinoFake.mark("online");
${heard(toHex(beacon(1, 0)))}
${heard(toHex(beacon(9, BeaconFlag.strapLatched)), 0x0059)}
EspruinoFake.advance(1000);
${heard(toHex(beacon(2, BeaconFlag.strapOpen | BeaconFlag.strapLatched)))}
EspruinoFake.mark("strap");
EspruinoFake.advance(1000);
${heard(toHex(forged), COMPANY, ATTACKER_ADDRESS)}
EspruinoFake.mark("forged");
EspruinoFake.advance(10000);
EspruinoFake.brokerPublish("${downlinkTopic(UNIT)}", "${toHex(rearm)}", ${DOWNLINK_ID});
EspruinoFake.advance(2000);
${heard(toHex(beacon(3, BeaconFlag.strapLatched)))}
EspruinoFake.advance(8000);
${heard(toHex(beacon(4, 0)))}
EspruinoFake.advance(30000);
`;
}

let base = "";
let fake = "";

beforeAll(async () => {
  base = readFileSync(await buildShipped("base", out), "utf8");
  fake = (
    await compileBundle(
      join(import.meta.dirname, "..", "..", "firmware", "testing", "espruino-fake.ts"),
      "EspruinoFake",
    )
  ).readable;
});

function run(
  code: string,
  withNetwork: boolean,
  driver: string,
  edit: (files: { [name: string]: Uint8Array }) => void = () => {},
): { rep: Report; printed: string[] } {
  const files = records(withNetwork);
  edit(files);
  let prelude = `${fake}\nEspruinoFake.install();\nEspruinoFake.setResetReason(${RESETREAS_SREQ});\n`;
  for (const name of Object.keys(files))
    prelude += `EspruinoFake.provision("${name}", "${toHex(files[name])}");\n`;
  const r = runBundle(code + driver + "\nprint(EspruinoFake.report());\n", {
    prelude,
    timeoutMs: 20_000,
  });
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  const lines = r.stdout.trim().split("\n");
  return { rep: JSON.parse(lines.pop() ?? "") as Report, printed: lines };
}

/** What the unit must write on the UART up to the CIPSTART, from the dialect table. */
function bringUp(): string {
  const d = SIM800;
  const lines = [
    "AT", // the driver's sync probe
    ...d.setup.map(stepText),
    stepText(d.simQuery),
    stepText(d.regQuery),
    stepText(d.attach),
    stepText(d.smsList), // stored SMS and the RTC, once per boot, queued behind the attach
    stepText(d.clockQuery),
    stepText(d.contextDown),
    ...d.contextUp.map((s) =>
      fillText(stepText(s), ["apn", "user", "pass"], [NET.apn, NET.apnUser, NET.apnPass]),
    ),
    fillText(stepText(d.open), ["host", "port"], [NET.brokerHost, String(NET.brokerPort)]),
  ];
  return lines.map((l) => l + "\r").join("");
}

function codeOf(events: UplinkEvent[], code: number): UplinkEvent[] {
  return events.filter((e) => e.code === code);
}

describe("base.js in the device realm on fake Espruino globals, a scripted SIM800 and broker", () => {
  for (const variant of ["as built", "without hoisting (as Espruino runs it)"]) {
    it(`boots, brings the modem up, goes online, queues in NOR flash and delivers — ${variant}`, () => {
      const code = variant === "as built" ? base : withoutHoisting(base);
      const { rep, printed } = run(code, true, scenario());

      // Booted quietly and kept running: no console line, no reset, the watchdog kicked.
      expect(rep.logs).toEqual([]);
      expect(rep.rebootedAt).toBe(-1);
      expect(rep.watchdog.timeoutMs).toBe(30000);
      expect(rep.watchdog.bittenAt).toBe(-1);
      expect(rep.watchdog.kicks).toBeGreaterThan(50);
      expect(rep.resetReason).toBe(0); // read, then cleared (write-1-to-clear)
      expect(rep.pinModes).toEqual({ D3: "input", D4: "input_pullup", D10: "input_pullup" });
      expect(rep.scanning).toBe(true);

      // The modem: RESET pulsed low 200 ms, Serial1 at 115,200 on D5/D6, and exactly the
      // dialect's bring-up up to the CIPSTART; no command the modem did not know.
      expect(rep.digitalWrites).toEqual([
        { atMs: 0, pin: "D8", value: false },
        { atMs: 200, pin: "D8", value: true },
      ]);
      expect(rep.serial).toEqual({ baud: 115200, rx: "D5", tx: "D6" });
      expect(rep.modem.unknown).toEqual([]);
      const tx = Buffer.from(fromHex(rep.modem.txHex)!).toString("latin1");
      const upTo = bringUp();
      expect(tx.slice(0, upTo.length)).toBe(upTo);
      expect(rep.modem.connects).toEqual([NET.brokerHost + ":" + NET.brokerPort]);

      // Then AT+CIPSEND=n and, after the "> " (the modem takes a payload only then), n bytes of
      // MQTT CONNECT: "MQTT" level 4, will on the status topic, keepalive 60, client id = unit id.
      const connect = fromHex(rep.modem.sends[0])!;
      const after = tx.slice(upTo.length);
      expect(after.startsWith(`AT+CIPSEND=${connect.length}\r`)).toBe(true);
      expect(after.slice(`AT+CIPSEND=${connect.length}\r`.length, after.length)).toContain(
        Buffer.from(connect).toString("latin1"),
      );
      expect(connect[0]).toBe(0x10);
      const [len, at] = fixedHeader(connect);
      expect(connect.length).toBe(at + len);
      expect(mqttString(connect, at)).toEqual(["MQTT", at + 6]);
      expect(connect[at + 6]).toBe(4); // protocol level
      expect(connect[at + 7]).toBe(0x2c); // will retain, will QoS 1, will; clean session 0
      expect((connect[at + 8] << 8) | connect[at + 9]).toBe(60);
      const [clientId, willAt] = mqttString(connect, at + 10);
      expect(clientId).toBe("0000a11c");
      const [willTopic, willMsgAt] = mqttString(connect, willAt);
      expect(willTopic).toBe(statusTopic(UNIT));
      expect(mqttString(connect, willMsgAt)).toEqual(["offline", connect.length]);

      // The broker's view: CONNECT, SUBSCRIBE down, "online", then uplinks; and the unit's
      // PUBACK of the downlink.
      const packets = rep.modem.packets;
      expect(packets.slice(0, 3).map((p) => p.type)).toEqual([1, 8, 3]);
      expect(parsePublish(packets[2].hex)).toMatchObject({
        topic: statusTopic(UNIT),
        qos: 1,
        retain: true,
      });
      expect(packets.map((p) => p.hex)).toContain(
        "4002" + DOWNLINK_ID.toString(16).padStart(4, "0"),
      );
      const ups = packets
        .filter((p) => p.type === 3)
        .map((p) => parsePublish(p.hex))
        .filter((p) => p.topic === uplinkTopic(UNIT));
      expect(ups.length).toBeGreaterThanOrEqual(3);
      const delivered: UplinkEvent[] = [];
      for (const u of ups) {
        expect(u.qos).toBe(1);
        expect(u.dup).toBe(false); // every PUBACK arrived: nothing resent
        const o = openUplink(sha256, u.payload, (kid) =>
          kid.keyVersion === 1 ? key(kid.purpose, kid.deviceId) : null,
        );
        if (!o.ok) throw new Error("uplink does not verify: " + o.code);
        expect(o.value.uplink.unitId).toBe(UNIT);
        delivered.push(...o.value.uplink.events);
      }
      const seqs = delivered.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);

      // The events: the boot (reason from RESETREAS), network time, the tamper, the forgery,
      // and the acknowledged rearm.
      const boot = codeOf(delivered, EventCode.unitBoot);
      expect(boot).toHaveLength(1);
      expect(boot[0].data).toEqual({ 1: BootReason.commanded, 2: "0.1.0" });
      const clockSet = codeOf(delivered, EventCode.clockSet);
      expect(clockSet).toHaveLength(1);
      expect(clockSet[0].time).toBe(NETWORK_UTC_S);
      const tamper = codeOf(delivered, EventCode.strapTamper);
      expect(tamper).toHaveLength(1);
      expect(tamper[0].tagId).toBe(TAG);
      // 21 s after boot, on a clock set to network time during those 21 s.
      expect(tamper[0].time).toBeGreaterThan(NETWORK_UTC_S);
      expect(tamper[0].time).toBeLessThanOrEqual(NETWORK_UTC_S + 21);
      const forged = codeOf(delivered, EventCode.forgedFrameSeen);
      expect(forged).toHaveLength(1);
      expect(forged[0].data).toEqual({ 1: 1, 2: FrameSource.beacon });
      expect(forged[0].time - tamper[0].time).toBe(1);
      const acks = codeOf(delivered, EventCode.commandAck);
      expect(acks).toHaveLength(1);
      expect(acks[0].data![3]).toBe(AckResult.ok);

      // Scanning: the other company's advert never reached the app; the tag's did.
      expect(printed).toEqual([
        "heard true",
        "heard false",
        "heard true",
        "heard true",
        "heard true",
        "heard true",
      ]);

      // The queue in NOR flash: records in the event-queue format, the boot among the first,
      // the tamper and the forgery pending in flash the moment they happened …
      const marks = Object.fromEntries(rep.marks.map((m) => [m.label, queueRecords(m.nor)]));
      const queuePages = Object.keys(rep.marks[0].nor).filter((a) => Number(a) < RECORD_LOG_AT);
      expect(queuePages).toEqual(["0xb0000"]);
      const bootRec = marks.online.find((r) => r.event.code === EventCode.unitBoot)!;
      expect(bootRec.cls).toBe(EventClass.technical);
      expect(bootRec.delivered).toBe(true); // PUBACKed within the first 20 s
      const tamperRec = marks.strap.filter((r) => r.event.code === EventCode.strapTamper);
      expect(tamperRec).toHaveLength(1);
      expect(tamperRec[0]).toMatchObject({ cls: EventClass.alarm, delivered: false });
      expect(tamperRec[0].event.tagId).toBe(TAG);
      const forgedRec = marks.forged.filter((r) => r.event.code === EventCode.forgedFrameSeen);
      expect(forgedRec).toHaveLength(1);
      expect(forgedRec[0].delivered).toBe(false);

      // … and at the end every record is marked delivered, and is byte for byte an event
      // the centre received.
      const final = queueRecords(rep.nor);
      expect(final.length).toBe(delivered.length);
      for (const r of final) {
        expect(r.delivered).toBe(true);
        const e = delivered.find((d) => d.seq === r.event.seq)!;
        expect(toHex(encodeCbor([e.seq, e.time, e.code, e.tagId, e.data] as CborValue))).toBe(
          r.body,
        );
      }

      // The commands' downlink counter went to the record log on the pages after the queue's
      // (firmware/base/records/record-log.ts), not to a Storage file.
      const logPage = fromHex(rep.nor["0x" + RECORD_LOG_AT.toString(16)])!;
      expect(toHex(logPage.subarray(0, 4))).toBe("ec5201ff");
      expect(Buffer.from(logPage).includes(Buffer.from(RecordName.downlinkCounter))).toBe(true);

      // The rearm went to the tag at the address its verified beacons came from (not the forger's,
      // heard last), in two GATT writes.
      expect(rep.gatt).toHaveLength(1);
      expect(rep.gatt[0].address).toBe(TAG_ADDRESS);
      expect(rep.gatt[0].writes).toEqual([
        {
          atMs: expect.any(Number),
          service: COMMAND_SERVICE,
          characteristic: COMMAND_CHARACTERISTIC,
          data: toHex(REARM.subarray(0, 20)),
        },
        {
          atMs: expect.any(Number),
          service: COMMAND_SERVICE,
          characteristic: COMMAND_CHARACTERISTIC,
          data: toHex(REARM.subarray(20)),
        },
      ]);
      expect(rep.gatt[0].disconnected).toBe(true);
      // Delivered only once a beacon showed the latch clear.
      const result = delivered.filter((d) => d.code === EventCode.tagCommandResult);
      expect(result.map((d) => d.data)).toEqual([{ 1: 1, 2: 1 }]);
    });
  }

  it("challenges its tag over GATT every 3 minutes, in one 7-byte write to its verified address", () => {
    // Issue 11, attack 3: the relay check's write, through the shipped bundle's Espruino link.
    const beacons = Array.from({ length: 50 }, (_, i) => toHex(beacon(100 + i, 0)));
    const { rep } = run(
      base,
      true,
      // In a function: the bundle's names are globals, which a driver's `var` would overwrite.
      `EspruinoFake.advance(20000);
(function (b) {
  for (var i = 0; i < b.length; i++) {
    EspruinoFake.advertise("${TAG_ADDRESS}", -61, ${COMPANY}, b[i]);
    EspruinoFake.advance(8000);
  }
})(${JSON.stringify(beacons)});`,
    );
    expect(rep.gatt.length).toBeGreaterThanOrEqual(1);
    for (const s of rep.gatt) {
      expect(s.address).toBe(TAG_ADDRESS);
      expect(s.writes).toHaveLength(1);
      expect(s.writes[0].characteristic).toBe(COMMAND_CHARACTERISTIC);
      const w = fromHex(s.writes[0].data)!;
      expect(w.length).toBe(CHALLENGE_LENGTH);
      const c = parseChallenge(w);
      expect(c.ok && c.value.tagId).toBe(TAG);
      expect(s.disconnected).toBe(true);
    }
  });

  it("turns the Bluetooth console off once provisioned, and only then", () => {
    // Attack: anyone in radio range runs JavaScript on the unit and reads em.unit's keys.
    expect(run(base, false, "EspruinoFake.advance(1000);").rep.uart).toBe(false);
    expect(run(base, true, "EspruinoFake.advance(1000);").rep.uart).toBe(false);
    const unprovisioned = (f: { [name: string]: Uint8Array }) => delete f["em.unit"];
    expect(run(base, false, "EspruinoFake.advance(1000);", unprovisioned).rep.uart).toBe(true);
  });

  it("locks the wired console with the provisioned password at boot, even when the rest fails", () => {
    // Attack: open the case and read em.unit's keys over the wired console. The engine itself
    // refuses a locked console's input (tools/engines/home-unit.engine.test.ts).
    const want = unitConsolePassword(ROOT, UNIT);
    expect(want).toMatch(/^[0-9a-f]{20}$/);
    const locked = run(base, true, "EspruinoFake.advance(1000);").rep.console;
    expect(locked).toEqual({ password: want, lockedAtMs: 0 });
    const garbled = (f: { [name: string]: Uint8Array }) => {
      f["em.unit"] = new Uint8Array(8).fill(0x5a);
      f["em.net"] = new Uint8Array(3);
    };
    expect(run(base, true, "EspruinoFake.advance(1000);", garbled).rep.console).toEqual(locked);
    // Unprovisioned (no em.pwd): the lab's console stays open.
    const open = (f: { [name: string]: Uint8Array }) => delete f["em.pwd"];
    expect(run(base, true, "EspruinoFake.advance(1000);", open).rep.console).toEqual({
      password: null,
      lockedAtMs: -1,
    });
  });

  it("set for TLS (em.net key 9), asks the modem for it right before its CIPSTART, and only then", () => {
    const tls = (f: { [name: string]: Uint8Array }) => {
      f["em.net"] = encodeNetworkConfig({ ...NET, tls: true });
    };
    const { rep } = run(base, true, "EspruinoFake.advance(60000);", tls);
    expect(rep.modem.unknown).toEqual([]);
    expect(rep.modem.connects).toEqual([NET.brokerHost + ":" + NET.brokerPort]);
    const tx = Buffer.from(fromHex(rep.modem.txHex)!).toString("latin1");
    const start = tx.indexOf("AT+CIPSTART=");
    expect(tx.slice(0, start).endsWith("AT+CIPSSL=1\r")).toBe(true);
    expect(tx.split("AT+CIPSSL=").length).toBe(2);
    // In the clear (the default): never a CIPSSL.
    const clear = run(base, true, "EspruinoFake.advance(60000);").rep;
    expect(Buffer.from(fromHex(clear.modem.txHex)!).toString("latin1")).not.toContain("CIPSSL");
  });

  it("without a network record it says so, leaves the modem alone and queues in flash", () => {
    const { rep } = run(base, false, "EspruinoFake.advance(60000);");
    expect(rep.logs).toEqual([
      "EM home unit: no network record (em.net); events stay queued in flash",
    ]);
    expect(rep.serial).toBeNull();
    expect(rep.modem.txHex).toBe("");
    expect(rep.digitalWrites).toEqual([]);
    const recs = queueRecords(rep.nor);
    const boot = recs.filter((r) => r.event.code === EventCode.unitBoot);
    expect(boot).toHaveLength(1);
    expect(boot[0].delivered).toBe(false);
    expect(recs.every((r) => !r.delivered)).toBe(true);
  });
});
