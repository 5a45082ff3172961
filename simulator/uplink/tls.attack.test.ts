// Issue 11, attack 6 on the way to the broker: a radio recorder on the unit's packet data (GPRS
// ciphering is broken; a listener on the operator's network does as well) reads the MQTT
// CONNECT — the unit's broker password — and every downlink's topic and bytes. A tap between the
// unit's modem and the broker records what crosses it, as such a listener would. In the clear
// the password is there; with the unit set for TLS (em.net key 9: AT+CIPSSL=1, the modem's own
// TLS) nothing of MQTT is, and the unit works as before — on aedes and, when installed,
// Mosquitto. What TLS here does not stop (the unit pins no certificate): SPEC §15, attack 6.

import net from "node:net";
import { CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { downlinkTopic, unitIdText } from "@em-platform/protocol/core/topics";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, LOOPBACK, type RunningBroker } from "../broker/broker";
import { type BrokerAccounts, fleetAccounts, unitBrokerPassword } from "../broker/broker-accounts";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { mosquittoPath, sayMosquittoSkipped, startMosquitto } from "../broker/mosquitto-broker";
import { CENTRE_ACCOUNTS, UplinkWorld } from "../world/uplink-world";
import { EPOCH_MS, isOnline, MINUTE, ROOT } from "./uplink-testkit";

const A = 0xa11c;
const SECRET = new Uint8Array(32).fill(9);

function accounts(): BrokerAccounts {
  const a = fleetAccounts(SECRET, [A], CENTRE_ACCOUNTS.receiver);
  a.centre.set(CENTRE_ACCOUNTS.gateway.username, CENTRE_ACCOUNTS.gateway.password);
  return a;
}

/** A passive listener in the path: forwards every connection to `to`, keeping both directions. */
async function tap(to: number): Promise<{ port: number; heard: () => Buffer; close: () => void }> {
  const chunks: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((unit) => {
    const broker = net.connect(to, LOOPBACK);
    sockets.push(unit, broker);
    for (const [from, other] of [
      [unit, broker],
      [broker, unit],
    ]) {
      from.on("data", (d: Buffer) => {
        chunks.push(d);
        other.write(d);
      });
      from.on("close", () => other.destroy());
      from.on("error", () => other.destroy());
    }
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, LOOPBACK, () => r()));
  return {
    port,
    heard: () => Buffer.concat(chunks),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function suite(name: string, start: (a: BrokerAccounts) => Promise<RunningBroker>): void {
  describe(`a listener on the unit's packet data (${name})`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c();
      cleanup.length = 0;
    });

    /** A unit online through the tap, its strap cut, a command sent to it: what crossed. */
    async function session(tls: boolean): Promise<Buffer> {
      const broker = await start(accounts());
      cleanup.push(() => broker.stop());
      const t = await tap(tls ? (broker.tlsPort as number) : broker.port);
      cleanup.push(() => t.close());
      const w = await UplinkWorld.start({
        broker,
        root: ROOT,
        epochMs: EPOCH_MS,
        brokerSecret: SECRET,
        tls,
        unitRoute: { host: LOOPBACK, port: t.port },
      });
      cleanup.push(() => w.stop());
      const h = w.addHome({ unitId: A, tagId: 0xc0ffee, number: "+37120000001" });
      await w.fastForward(() => isOnline(w, h), 5 * MINUTE, "the unit online");
      h.cutStrap();
      await w.until(
        () => w.receiver.withCode(A, EventCode.strapTamper).length > 0,
        20_000,
        "strap_tamper at the centre",
      );
      const counter = await w.receiver.sendCommand(A, CommandCode.requestStatus, null);
      await w.until(() => w.receiver.acks(A, counter).length > 0, 20_000, "the command acked");
      expect(w.receiver.rejected).toEqual({});
      return t.heard();
    }

    const password = Buffer.from(unitBrokerPassword(SECRET, A), "utf8");
    const mqttName = Buffer.from("\x00\x04MQTT", "latin1");

    it("in the clear it hears the unit's broker password, its login and its downlink topic", async () => {
      const heard = await session(false);
      expect(heard.includes(password)).toBe(true);
      expect(heard.includes(mqttName)).toBe(true);
      expect(heard.includes(Buffer.from(unitIdText(A)))).toBe(true);
      expect(heard.includes(Buffer.from(downlinkTopic(A)))).toBe(true);
    });

    it("over TLS the unit works as before, and the listener hears a TLS handshake and nothing of MQTT", async () => {
      const heard = await session(true);
      expect(heard[0]).toBe(0x16); // a TLS handshake record: the ClientHello
      expect(heard.includes(password)).toBe(false);
      expect(heard.includes(mqttName)).toBe(false);
      expect(heard.includes(Buffer.from(unitIdText(A)))).toBe(false);
      expect(heard.includes(Buffer.from(downlinkTopic(A)))).toBe(false);
    });
  });
}

suite("aedes", (a) => startEmbeddedBroker(a, { tls: true }));
if (mosquittoPath() !== null)
  suite("mosquitto", async (a) => {
    const b = await startMosquitto(a, { tls: true });
    if (b === null) throw new Error("mosquitto vanished");
    return b;
  });
else sayMosquittoSkipped("TLS to the broker");
