// Issue 11, attack 6 at the broker: someone who reaches it — a wearer who pulled a SIM's
// credentials, a neighbour's unit, anyone on the network — tries to read another unit's downlinks
// (tag-command frames travel in them), take its session, publish on its topics, or just connect.
// Against a broker that enforces accounts (SPEC §13, "Broker accounts"), with the real firmware
// of two units logging in from em.net; the same suite on aedes and, when installed, Mosquitto.
// Without accounts each attack succeeds (the last test shows it on the same broker).

import { CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import {
  downlinkTopic,
  statusTopic,
  unitIdText,
  uplinkTopic,
} from "@em-platform/protocol/core/topics";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningBroker } from "../broker/broker";
import { type BrokerAccounts, fleetAccounts, unitBrokerPassword } from "../broker/broker-accounts";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { mosquittoPath, sayMosquittoSkipped, startMosquitto } from "../broker/mosquitto-broker";
import { CENTRE_ACCOUNTS, UplinkWorld } from "../world/uplink-world";
import type { VirtualHome } from "../world/virtual-home";
import { EPOCH_MS, isOnline, MINUTE, ROOT } from "./uplink-testkit";

const A = 0xa11c;
const B = 0xb22d;
const SECRET = new Uint8Array(32).fill(7);

function accounts(): BrokerAccounts {
  const a = fleetAccounts(SECRET, [A, B], CENTRE_ACCOUNTS.receiver);
  a.centre.set(CENTRE_ACCOUNTS.gateway.username, CENTRE_ACCOUNTS.gateway.password);
  return a;
}

interface Outcome {
  connected: boolean;
  returnCode: number | null;
  client: MqttClient;
  got: { topic: string; payload: string }[];
}

/** One mqtt.js client; resolves once CONNACK (or its refusal, or a close) came. */
async function attacker(
  broker: RunningBroker,
  clientId: string,
  username?: string,
  password?: string,
): Promise<Outcome> {
  const client = mqtt.connect(broker.url, {
    clientId,
    username,
    password,
    clean: true,
    reconnectPeriod: 0,
    protocolVersion: 4,
    connectTimeout: 3000,
  });
  const o: Outcome = { connected: false, returnCode: null, client, got: [] };
  client.on("message", (topic, payload) => o.got.push({ topic, payload: payload.toString("hex") }));
  await new Promise<void>((r) => {
    client.once("connect", () => {
      o.connected = true;
      r();
    });
    client.once("error", (e) => {
      o.returnCode = (e as { code?: number }).code ?? null;
      r();
    });
    client.once("close", () => r());
  });
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function suite(name: string, start: (a?: BrokerAccounts) => Promise<RunningBroker>): void {
  describe(`broker accounts (${name})`, () => {
    let broker: RunningBroker;
    let w: UplinkWorld;
    let homes: VirtualHome[];
    const opened: MqttClient[] = [];

    beforeEach(async () => {
      broker = await start(accounts());
      w = await UplinkWorld.start({ broker, root: ROOT, epochMs: EPOCH_MS, brokerSecret: SECRET });
      homes = [
        w.addHome({ unitId: A, tagId: 0xc0ffee, number: "+37120000001" }),
        w.addHome({ unitId: B, tagId: 0xc0fff0, number: "+37120000002" }),
      ];
      await w.fastForward(() => homes.every((h) => isOnline(w, h)), 5 * MINUTE, "units online");
    });
    afterEach(async () => {
      for (const c of opened) c.end(true);
      opened.length = 0;
      await w.stop();
      await broker.stop();
    });

    async function attack(clientId: string, username?: string, password?: string) {
      const o = await attacker(broker, clientId, username, password);
      opened.push(o.client);
      return o;
    }

    it("the real firmware logs in with its em.net password and its alarms reach the centre", async () => {
      await w.until(() => homes[0].app.queue.stats().pending === 0, 10_000, "boot events");
      homes[0].cutStrap();
      await w.until(
        () => w.receiver.withCode(A, EventCode.strapTamper).length > 0,
        15_000,
        "strap_tamper at the centre",
      );
      expect(w.receiver.rejected).toEqual({});
    });

    it("no credentials, a wrong password, or a unit's password under another name: refused", async () => {
      expect((await attack("anyone")).connected).toBe(false);
      expect((await attack(unitIdText(A), unitIdText(A), "guess")).connected).toBe(false);
      const pa = unitBrokerPassword(SECRET, A);
      expect((await attack(unitIdText(B), unitIdText(B), pa)).connected).toBe(false);
    });

    it("unit A's account cannot read B's downlinks", async () => {
      const pa = unitBrokerPassword(SECRET, A);
      const thief = await attack(unitIdText(A), unitIdText(A), pa);
      expect(thief.connected).toBe(true);
      // aedes refuses it in the SUBACK (0x80, an error to mqtt.js); Mosquitto grants it and
      // then delivers nothing the ACL does not allow: what counts is what arrives
      await thief.client
        .subscribeAsync([downlinkTopic(B), "em/v1/unit/+/down", "#"], { qos: 1 })
        .catch(() => {});
      const counter = await w.receiver.sendCommand(B, CommandCode.requestStatus, null);
      await w.until(
        () => w.receiver.acks(B, counter).length > 0,
        15_000,
        "B acks the command it was sent",
      );
      expect(thief.got.filter((m) => m.topic === downlinkTopic(B))).toEqual([]);
    });

    it("unit A's account cannot take B's session (B is never disconnected)", async () => {
      const pa = unitBrokerPassword(SECRET, A);
      const connects = homes[1].uplink.mqtt.stats.connects;
      // B's client id with A's login: refused (aedes) or renamed to A's (Mosquitto).
      await attack(unitIdText(B), unitIdText(A), pa);
      await sleep(500);
      await w.runFor(MINUTE);
      expect(homes[1].uplink.mqtt.stats.connects).toBe(connects);
      expect(isOnline(w, homes[1])).toBe(true);
    });

    it("unit A's account cannot publish on B's topics (uplink, retained status)", async () => {
      const pa = unitBrokerPassword(SECRET, A);
      const spy = await attack(CENTRE_ACCOUNTS.receiver.username + "-spy");
      expect(spy.connected).toBe(false); // not an account either
      const a = await attack(unitIdText(A), unitIdText(A), pa);
      expect(a.connected).toBe(true);
      a.client.publish(uplinkTopic(B), Buffer.from("d28443a10105", "hex"), { qos: 1 });
      a.client.publish(statusTopic(B), "offline", { qos: 1, retain: true });
      await sleep(500);
      // nothing of it reached the centre: no topic_mismatch, no bad frame counted
      expect(w.receiver.rejected).toEqual({});
      expect(w.receiver.status(B)?.status).toBe("online");
    });
  });
}

suite("aedes", startEmbeddedBroker);
if (mosquittoPath() !== null)
  suite("mosquitto", async (a) => {
    const b = await startMosquitto(a);
    if (b === null) throw new Error("mosquitto vanished");
    return b;
  });
else sayMosquittoSkipped("broker accounts");

describe("without accounts (what the defence closes)", () => {
  it("anyone can connect to an open broker and subscribe to every unit's downlinks", async () => {
    const broker = await startEmbeddedBroker();
    try {
      const o = await attacker(broker, "anyone");
      expect(o.connected).toBe(true);
      const granted = await o.client.subscribeAsync("em/v1/unit/+/down", { qos: 1 });
      expect(granted[0].qos).toBe(1);
      o.client.end(true);
    } finally {
      await broker.stop();
    }
  });
});
