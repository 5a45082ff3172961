// The reference receiver on its own, against the embedded broker: envelopes sealed by hand
// (protocol host) and published as a unit and as the SMS gateway would, classified exactly.

import { fromHex } from "@em-platform/protocol/core/bytes";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { encodeSmsText } from "@em-platform/protocol/core/sms-text";
import {
  downlinkTopic,
  SMS_IN_TOPIC,
  statusTopic,
  uplinkTopic,
} from "@em-platform/protocol/core/topics";
import { openDownlinkHost, sealUplinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { ReferenceReceiver } from "./reference-receiver";

const ROOT = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;
const UNIT = 0x1234;
const keyring = FleetKeyring.fromRoot(ROOT, [1]);
const upKey = keyring.key(KeyPurpose.unitUplink, UNIT, 1)!;

let broker: RunningBroker;
let unit: MqttClient;
let rx: ReferenceReceiver;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  rx = await ReferenceReceiver.start({ url: broker.url, keyring, clientId: "centre-under-test" });
  unit = await mqtt.connectAsync(broker.url, { clientId: "unit-1234" });
});

afterAll(async () => {
  await unit.endAsync();
  await rx.stop();
  await broker.stop();
});

async function until(what: string, pred: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function envelope(counter: number, seqs: number[], code: number = EventCode.mainsLost) {
  return sealUplinkHost(upKey, 1, {
    unitId: UNIT,
    counter: counter,
    sentAt: 1_800_000_000,
    events: seqs.map((s) => ({ seq: s, time: 1_800_000_000, code, tagId: null, data: null })),
  });
}

it("verifies, windows counters, dedupes by seq, and tells paths apart", async () => {
  const publish = (b: Uint8Array) =>
    unit.publishAsync(uplinkTopic(UNIT), Buffer.from(b), { qos: 1 });
  await unit.publishAsync(statusTopic(UNIT), "online", { qos: 1, retain: true });
  await publish(envelope(100, [0, 1]));
  await publish(envelope(100, [0, 1])); // the same envelope again: a redelivery
  await publish(envelope(102, [1, 3])); // seq 1 again, in a new envelope
  const forged = envelope(103, [4]);
  forged[forged.length - 1] ^= 1;
  await publish(forged);
  await publish(envelope(30, [5])); // far below the window: replay
  // An alarm by SMS with a counter below the highest but inside the window: late, fresh.
  const sms = {
    from: "+37120000001",
    text: encodeSmsText(envelope(101, [2], EventCode.strapTamper)),
  };
  await unit.publishAsync(SMS_IN_TOPIC, JSON.stringify({ ...sms, at: "2027-01-15T08:00:00Z" }), {
    qos: 1,
  });
  await unit.publishAsync(SMS_IN_TOPIC, JSON.stringify({ from: "x", text: "hello", at: "" }), {
    qos: 1,
  });
  await until("all frames", () => rx.badSms === 1 && rx.events(UNIT).length === 4);
  await until("status", () => rx.status(UNIT)?.status === "online");

  expect(rx.events(UNIT).map((e) => [e.seq, e.path, e.counter])).toEqual([
    [0, "mqtt", 100],
    [1, "mqtt", 100],
    [2, "sms", 101],
    [3, "mqtt", 102],
  ]);
  expect(rx.withCode(UNIT, EventCode.strapTamper).map((e) => e.seq)).toEqual([2]);
  expect(rx.tally(UNIT)).toEqual({
    envelopes: { mqtt: 2, sms: 1 },
    duplicateFrames: 1,
    duplicateEvents: 1,
    replays: 1,
    tooFarAhead: 0,
    // The envelopes' fixed sentAt is far from this test's real clock.
    clockSkewed: 3,
  });
  expect(rx.rejected).toEqual({ bad_mac: 1 });
  expect(rx.forged()).toBe(1);
  expect(rx.missingSeqs(UNIT)).toEqual([]);
  await publish(envelope(104, [7]));
  await until("seq 7", () => rx.event(UNIT, 7) !== null);
  expect(rx.missingSeqs(UNIT)).toEqual([4, 5, 6]);
});

it("signs downlinks with increasing counters, QoS 1 to the unit's down topic", async () => {
  const got: Uint8Array[] = [];
  unit.on("message", (topic, p) => {
    if (topic === downlinkTopic(UNIT)) got.push(new Uint8Array(p));
  });
  await unit.subscribeAsync(downlinkTopic(UNIT), { qos: 1 });
  const c1 = await rx.sendCommand(UNIT, CommandCode.requestStatus, null);
  const c2 = await rx.sendCommand(UNIT, CommandCode.setIntervals, { 1: 600 }, 60);
  await until("two downlinks", () => got.length === 2);
  expect([c1, c2]).toEqual([1, 2]);
  const opened = got.map((b) => openDownlinkHost(b, UNIT, keyring.lookup));
  const d = opened.map((o) => (o.ok ? o.value.downlink : null));
  expect(d[0]).toMatchObject({
    unitId: UNIT,
    counter: 1,
    code: CommandCode.requestStatus,
    args: null,
  });
  expect(d[1]).toMatchObject({ counter: 2, code: CommandCode.setIntervals, args: { 1: 600 } });
  expect(d[1]!.expiresAt - d[1]!.issuedAt).toBe(60);
  // An ack the unit would send for counter 2 is found by acks().
  await unit.publishAsync(
    uplinkTopic(UNIT),
    Buffer.from(
      sealUplinkHost(upKey, 1, {
        unitId: UNIT,
        counter: 105,
        sentAt: 1_800_000_000,
        events: [
          {
            seq: 8,
            time: 1_800_000_000,
            code: EventCode.commandAck,
            tagId: null,
            data: { 1: 2, 2: CommandCode.setIntervals, 3: AckResult.ok },
          },
        ],
      }),
    ),
    { qos: 1 },
  );
  await until("ack", () => rx.acks(UNIT, 2).length === 1);
  expect(rx.acks(UNIT, 1)).toEqual([]);
});
