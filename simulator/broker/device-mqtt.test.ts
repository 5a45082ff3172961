// The device MQTT client (firmware/base/mqtt) against real brokers over real TCP (real time, small
// keepalive): the embedded aedes always, Mosquitto when it is installed. It lives here because
// firmware/ may not import the simulator's broker helpers. A centre-side subscriber (the `mqtt`
// package) watches the topics. Covers: connect and the retained "online", a QoS 1 uplink
// acknowledged and received, a downlink published while the unit was offline delivered after it
// reconnects (persistent session), a broker restart while a publish awaits its PUBACK losing
// nothing, and the last will "offline" when the socket dies.

import net from "node:net";
import { toHex } from "@em-platform/protocol/core/bytes";
import mqtt, { type MqttClient as CentreClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MqttClient, MqttState } from "../../firmware/base/mqtt/mqtt-client";
import { MqttUplink } from "../../firmware/base/mqtt/mqtt-uplink";
import { SocketTcpLink, type StreamSocket } from "../../firmware/base/mqtt/socket-tcp-link";
import type { TcpLink } from "../../firmware/base/net/tcp-link";
import { RealTimeClock } from "../modem/real-time-clock";
import type { RunningBroker } from "./broker";
import { startEmbeddedBroker } from "./embedded-broker";
import { mosquittoPath, sayMosquittoSkipped, startMosquitto } from "./mosquitto-broker";

const UNIT = 0x2a;
const UP = "em/v1/unit/0000002a/up";
const DOWN = "em/v1/unit/0000002a/down";
const STATUS = "em/v1/unit/0000002a/status";

const realClock = new RealTimeClock();

/** A SocketTcpLink that can lose the next PUBLISH it is given (reports it written). */
class LossyLink extends SocketTcpLink {
  losePublishes = 0;
  write(data: Uint8Array, done: (ok: boolean) => void): void {
    if (this.losePublishes > 0 && data[0] >> 4 === 3) {
      this.losePublishes--;
      done(true);
      return;
    }
    super.write(data, done);
  }
}

function newLink(): LossyLink {
  return new LossyLink((port, host) => net.connect(port, host) as unknown as StreamSocket);
}

async function waitFor(what: string, pred: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The centre's side: a persistent-session subscriber recording what arrives. */
async function centre(
  port: number,
): Promise<{ c: CentreClient; got: { topic: string; hex: string }[] }> {
  const got: { topic: string; hex: string }[] = [];
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: "centre-test",
    clean: false,
    reconnectPeriod: 50,
    protocolVersion: 4,
  });
  c.on("message", (topic, payload) => {
    got.push({ topic, hex: toHex(payload) });
  });
  c.on("error", () => {});
  await new Promise<void>((r) => c.once("connect", () => r()));
  await c.subscribeAsync([UP, STATUS], { qos: 1 });
  return { c, got };
}

function unitClient(link: TcpLink, port: number, keepAliveS = 2): MqttClient {
  let seed = 12345;
  return new MqttClient({
    link: link,
    clock: realClock,
    random: () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    },
    host: "127.0.0.1",
    port: port,
    unitId: UNIT,
    keepAliveS: keepAliveS,
    backoffMinMs: 100,
    backoffMaxMs: 400,
    ackTimeoutMs: 5000,
  });
}

const ENVELOPE = new Uint8Array([0xd2, 0x84, 0x43, 0xa1, 0x01, 0x05, 0x01, 0x02, 0x03]);

function brokerSuite(name: string, start: () => Promise<RunningBroker>): void {
  describe(`against ${name}`, () => {
    let broker: RunningBroker;
    let stops: (() => void)[] = [];
    beforeAll(async () => {
      broker = await start();
    });
    afterAll(async () => {
      await broker.stop();
    });
    afterEach(async () => {
      for (const s of stops) s();
      stops = [];
    });

    it("online retained, a QoS 1 uplink acknowledged and received", async () => {
      const { c, got } = await centre(broker.port);
      stops.push(() => c.end(true));
      const link = newLink();
      const client = unitClient(link, broker.port);
      stops.push(() => client.stop());
      const up = new MqttUplink(client, UNIT);
      client.start();
      await waitFor("online", () => client.state() === MqttState.online);
      await waitFor("status online", () =>
        got.some((m) => m.topic === STATUS && m.hex === toHex(new TextEncoder().encode("online"))),
      );
      const results: boolean[] = [];
      expect(up.ready()).toBe(true);
      up.send(ENVELOPE, (d) => results.push(d));
      await waitFor("PUBACK", () => results.length > 0);
      expect(results).toEqual([true]);
      await waitFor("uplink at the centre", () => got.some((m) => m.topic === UP));
      expect(got.filter((m) => m.topic === UP)).toEqual([{ topic: UP, hex: toHex(ENVELOPE) }]);
    });

    it("keeps the link alive with PINGREQs past the keepalive", async () => {
      const link = newLink();
      const client = unitClient(link, broker.port, 1);
      stops.push(() => client.stop());
      client.start();
      await waitFor("online", () => client.state() === MqttState.online);
      await waitFor("two pings answered", () => client.stats.pingResponses >= 2, 8000);
      expect(client.state()).toBe(MqttState.online);
      expect(client.stats.failureCount).toBe(0);
    });

    it("a downlink sent while the unit was away arrives after it reconnects", async () => {
      const { c } = await centre(broker.port);
      stops.push(() => c.end(true));
      const link = newLink();
      const client = unitClient(link, broker.port);
      const downs: string[] = [];
      client.onDownlink((p) => downs.push(toHex(p)));
      client.start();
      await waitFor("online", () => client.state() === MqttState.online);
      client.stop();
      await waitFor("idle", () => client.state() === MqttState.idle);
      await c.publishAsync(DOWN, Buffer.from([0xca, 0xfe]), { qos: 1 });
      client.start();
      stops.push(() => client.stop());
      await waitFor("downlink", () => downs.length > 0);
      expect(downs).toEqual(["cafe"]);
      expect(client.stats.sessionsResumed).toBeGreaterThanOrEqual(1);
    });

    it("a broker restart while a publish awaits its PUBACK loses nothing", async () => {
      const { c, got } = await centre(broker.port);
      stops.push(() => c.end(true));
      const link = newLink();
      const client = unitClient(link, broker.port);
      stops.push(() => client.stop());
      client.start();
      await waitFor("online", () => client.state() === MqttState.online);
      // The PUBLISH leaves the client but the broker never sees it; then the broker restarts.
      link.losePublishes = 1;
      const results: boolean[] = [];
      expect(client.publish(UP, ENVELOPE, 1, false, (a) => results.push(a))).toBe(true);
      await broker.restart();
      await waitFor("PUBACK after the restart", () => results.length > 0, 10000);
      expect(results).toEqual([true]);
      expect(client.stats.resentOnReconnect).toBeGreaterThanOrEqual(1);
      await waitFor("uplink at the centre", () => got.some((m) => m.topic === UP), 10000);
      const ups = got.filter((m) => m.topic === UP);
      for (const m of ups) expect(m.hex).toBe(toHex(ENVELOPE));
    });

    it("the last will says 'offline' when the socket dies", async () => {
      const { c, got } = await centre(broker.port);
      stops.push(() => c.end(true));
      const link = newLink();
      const client = new MqttClient({
        link: link,
        clock: realClock,
        random: () => 0.5,
        host: "127.0.0.1",
        port: broker.port,
        unitId: UNIT,
        keepAliveS: 2,
        backoffMinMs: 60000,
      });
      stops.push(() => client.stop());
      client.start();
      await waitFor("online", () => client.state() === MqttState.online);
      const online = toHex(new TextEncoder().encode("online"));
      const offline = toHex(new TextEncoder().encode("offline"));
      await waitFor("status online", () => got.some((m) => m.topic === STATUS && m.hex === online));
      got.length = 0;
      link.sever();
      await waitFor("will", () => got.some((m) => m.topic === STATUS && m.hex === offline));
      expect(client.state()).toBe(MqttState.backoff);
    });
  });
}

brokerSuite("aedes (embedded)", startEmbeddedBroker);

if (mosquittoPath() !== null)
  brokerSuite("mosquitto", async () => {
    const b = await startMosquitto();
    if (b === null) throw new Error("mosquitto vanished");
    return b;
  });
else {
  sayMosquittoSkipped("device MQTT client");
  describe.skip("against mosquitto (not installed)", () => {});
}
