// Issue 11, item 6 (centre side): attacks on the reference receiver, each run against the real
// embedded broker. Each test failed before its fix.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { uplinkTopic } from "@em-platform/protocol/core/topics";
import { openDownlinkHost, sealUplinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { ReferenceReceiver } from "./reference-receiver";

const ROOT = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;
const A = 0x0a0a;
const B = 0x0b0b;
const keyring = FleetKeyring.fromRoot(ROOT, [1, 2]);

let broker: RunningBroker;
let dev: MqttClient;
let tmp: string;

beforeAll(async () => {
  broker = await startEmbeddedBroker();
  dev = await mqtt.connectAsync(broker.url, { clientId: "attacker" });
  tmp = mkdtempSync(join(tmpdir(), "em-centre-"));
});

afterAll(async () => {
  await dev.endAsync();
  await broker.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function until(what: string, pred: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function env(
  unit: number,
  counter: number,
  seqs: number[],
  kv = 1,
  code: number = EventCode.mainsLost,
) {
  const key = keyring.key(KeyPurpose.unitUplink, unit, kv)!;
  return sealUplinkHost(key, kv, {
    unitId: unit,
    counter: counter,
    sentAt: 1_800_000_000,
    events: seqs.map((s) => ({ seq: s, time: 1_800_000_000, code, tagId: null, data: null })),
  });
}

it("a: unit A's envelope published on unit B's topic is rejected, not filed under A", async () => {
  const rx = await ReferenceReceiver.start({ url: broker.url, keyring, clientId: "centre-a" });
  try {
    await dev.publishAsync(uplinkTopic(B), Buffer.from(env(A, 1, [0])), { qos: 1 });
    await dev.publishAsync(uplinkTopic(A), Buffer.from(env(A, 2, [1])), { qos: 1 });
    await until("A's own envelope", () => rx.event(A, 1) !== null);
    expect(rx.event(A, 0)).toBeNull();
    expect(rx.events(B)).toEqual([]);
    expect(rx.rejected).toEqual({ topic_mismatch: 1 });
  } finally {
    await rx.stop();
  }
});

it("b: a unit silent past 2 heartbeats raises unit_silent once, cleared when heard again", async () => {
  let now = 1_800_000_000_000;
  const rx = await ReferenceReceiver.start({
    url: broker.url,
    keyring,
    clientId: "centre-b",
    clock: () => now,
  });
  try {
    rx.receiveEnvelope(env(A, 1, [0], 1, EventCode.heartbeat), "mqtt");
    now += 2 * 900_000; // exactly 2 heartbeats: not yet
    rx.checkLiveness();
    expect(rx.alerts).toEqual([]);
    now += 1000; // past 2 heartbeats: the jammed unit is flagged
    rx.checkLiveness();
    now += 3_600_000;
    rx.checkLiveness(); // still silent: no second alert
    expect(rx.alerts.map((a) => [a.kind, a.unitId, a.clearedAtMs])).toEqual([
      ["unit_silent", A, null],
    ]);
    // A replay of an old envelope is not "heard".
    rx.receiveEnvelope(env(A, 1, [0], 1, EventCode.heartbeat), "mqtt");
    expect(rx.alerts[0].clearedAtMs).toBeNull();
    rx.receiveEnvelope(env(A, 2, [1], 1, EventCode.heartbeat), "mqtt");
    expect(rx.alerts[0].clearedAtMs).toBe(now);
    // set_intervals to 60 s: until the unit acks it, the 900 s bound stays (no false alarm).
    const set = rx.signCommand(A, CommandCode.setIntervals, { 1: 60 });
    now += 121_000;
    rx.checkLiveness();
    expect(rx.alerts.length).toBe(1);
    rx.receiveEnvelope(
      sealUplinkHost(keyring.key(KeyPurpose.unitUplink, A, 1)!, 1, {
        unitId: A,
        counter: 3,
        sentAt: 1_800_000_000,
        events: [
          {
            seq: 2,
            time: 1_800_000_000,
            code: EventCode.commandAck,
            tagId: null,
            data: { 1: set.counter, 2: CommandCode.setIntervals, 3: AckResult.ok },
          },
        ],
      }),
      "mqtt",
    );
    now += 121_000; // acked: the bound is now 120 s
    rx.checkLiveness();
    expect(rx.alerts.map((a) => [a.kind, a.unitId])).toEqual([
      ["unit_silent", A],
      ["unit_silent", A],
    ]);
    expect(rx.openAlerts().length).toBe(1);
  } finally {
    await rx.stop();
  }
});

it("c: after a key rotation the new version's counters are fresh, and the old version is refused", async () => {
  const rx = await ReferenceReceiver.start({ url: broker.url, keyring, clientId: "centre-c" });
  try {
    rx.receiveEnvelope(env(A, 500, [0], 1), "mqtt");
    rx.receiveEnvelope(env(A, 0, [1], 2), "mqtt"); // re-keyed: the counter restarts at 0
    rx.receiveEnvelope(env(A, 1, [2], 2), "mqtt");
    expect(rx.events(A).map((e) => e.seq)).toEqual([0, 1, 2]);
    rx.receiveEnvelope(env(A, 501, [3], 1), "mqtt"); // downgrade to the old key
    expect(rx.event(A, 3)).toBeNull();
    expect(rx.rejected).toEqual({ key_downgrade: 1 });
    expect(rx.tally(A).replays).toBe(0);
  } finally {
    await rx.stop();
  }
});

it("d: the downlink counter continues above the last used across a receiver restart", async () => {
  const file = join(tmp, "down-counters.json");
  const opts = { url: broker.url, keyring, clientId: "centre-d", downCounterFile: file };
  const rx1 = await ReferenceReceiver.start(opts);
  const c1 = rx1.signCommand(A, CommandCode.requestStatus, null).counter;
  const c2 = rx1.signCommand(A, CommandCode.requestStatus, null).counter;
  await rx1.stop();
  const rx2 = await ReferenceReceiver.start(opts);
  try {
    const c3 = rx2.signCommand(A, CommandCode.requestStatus, null);
    expect([c1, c2]).toEqual([1, 2]);
    expect(c3.counter).toBeGreaterThan(c2);
    const d = openDownlinkHost(c3.envelope, A, keyring.lookup);
    expect(d.ok && d.value.downlink.counter).toBe(c3.counter);
    expect(rx2.signCommand(B, CommandCode.requestStatus, null).counter).toBe(1);
  } finally {
    await rx2.stop();
  }
});

it("e: a silence begun before a receiver restart is still alerted after it, and only once", async () => {
  const C = 0x0c0c;
  let now = 1_800_000_000_000;
  const opts = {
    url: broker.url,
    keyring,
    clientId: "centre-e",
    clock: () => now,
    livenessFile: join(tmp, "liveness.json"),
  };
  const acked = (unit: number, counter: number, command: number) =>
    sealUplinkHost(keyring.key(KeyPurpose.unitUplink, unit, 1)!, 1, {
      unitId: unit,
      counter: counter,
      sentAt: 1_800_000_000,
      events: [
        {
          seq: counter,
          time: 1_800_000_000,
          code: EventCode.commandAck,
          tagId: null,
          data: { 1: command, 2: CommandCode.setIntervals, 3: AckResult.ok },
        },
      ],
    });
  const rx1 = await ReferenceReceiver.start(opts);
  // A: the default 900 s heartbeat. B and C: 60 s, acknowledged; then B is asked for 900 s
  // again and has not acknowledged it, so B's bound is the longer, 900 s (SPEC §13).
  rx1.receiveEnvelope(env(A, 1, [0], 1, EventCode.heartbeat), "mqtt");
  for (const u of [B, C]) {
    const c = rx1.signCommand(u, CommandCode.setIntervals, { 1: 60 }).counter;
    rx1.receiveEnvelope(acked(u, 1, c), "mqtt");
  }
  rx1.signCommand(B, CommandCode.setIntervals, { 1: 900 });
  now += 30_000; // the subject jams all three; the centre is redeployed 30 s later
  await rx1.stop();
  const rx2 = await ReferenceReceiver.start(opts);
  try {
    now += 91_000; // 121 s after the last envelopes
    rx2.checkLiveness();
    expect(rx2.alerts.map((a) => a.unitId)).toEqual([C]);
    now += 1_680_000; // 1,801 s
    rx2.checkLiveness();
    expect(rx2.alerts.map((a) => [a.unitId, a.lastHeardMs])).toEqual([
      [C, 1_800_000_000_000],
      [A, 1_800_000_000_000],
      [B, 1_800_000_000_000],
    ]);
  } finally {
    await rx2.stop();
  }
  const rx3 = await ReferenceReceiver.start(opts);
  try {
    now += 3_600_000;
    rx3.checkLiveness(); // the same silences, alerted before this restart: not again
    expect(rx3.alerts).toEqual([]);
  } finally {
    await rx3.stop();
  }
});

it("f: an envelope recorded before a receiver restart is a replay after it, its events not processed again", async () => {
  const opts = {
    url: broker.url,
    keyring,
    clientId: "centre-f",
    journalFile: join(tmp, "uplinks.jsonl"),
  };
  const recorded = env(A, 1, [0, 1], 1, EventCode.strapTamper);
  const rx1 = await ReferenceReceiver.start(opts);
  rx1.receiveEnvelope(recorded, "mqtt", A);
  rx1.receiveEnvelope(env(A, 2, [2]), "sms");
  await rx1.stop();
  const rx2 = await ReferenceReceiver.start(opts);
  try {
    const heard: number[] = [];
    rx2.onEvent((e) => heard.push(e.seq));
    expect(rx2.unitsWithEvents()).toEqual([A]);
    expect(rx2.events(A).map((e) => [e.seq, e.path])).toEqual([
      [0, "mqtt"],
      [1, "mqtt"],
      [2, "sms"],
    ]);
    rx2.receiveEnvelope(recorded, "mqtt", A); // the recording, played after the restart
    expect(rx2.tally(A).duplicateFrames).toBe(1);
    rx2.receiveEnvelope(env(A, 3, [3]), "mqtt", A);
    expect(heard).toEqual([3]);
  } finally {
    await rx2.stop();
  }
});

it("a unit whose clock a fake network moved is counted: sentAt far from the centre's clock", async () => {
  const now = 1_800_000_000_000;
  const rx = await ReferenceReceiver.start({
    url: broker.url,
    keyring,
    clientId: "centre-skew",
    clock: () => now,
  });
  try {
    rx.receiveEnvelope(env(A, 1, [0]), "mqtt"); // sentAt = the centre's clock
    const key = keyring.key(KeyPurpose.unitUplink, A, 1)!;
    const at = (sentAt: number, counter: number) =>
      sealUplinkHost(key, 1, {
        unitId: A,
        counter,
        sentAt,
        events: [
          { seq: counter, time: sentAt, code: EventCode.heartbeat, tagId: null, data: null },
        ],
      });
    rx.receiveEnvelope(at(1_800_000_000 + 60, 2), "mqtt"); // a minute off: drift, not counted
    rx.receiveEnvelope(at(1_800_000_000 + 8 * 3600, 3), "mqtt"); // 8 h ahead
    rx.receiveEnvelope(at(1_800_000_000 - 3600, 4), "sms"); // an hour behind
    expect(rx.tally(A).clockSkewed).toBe(2);
  } finally {
    await rx.stop();
  }
});
