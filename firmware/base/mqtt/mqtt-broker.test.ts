// The device MQTT client against real brokers over real TCP (real time, small keepalive): the
// embedded aedes broker always, Mosquitto when it is on PATH. A centre-side subscriber (the
// `mqtt` package) watches the topics. Covers: connect and the retained "online", a QoS 1 uplink
// acknowledged and received, a downlink published while the unit was offline delivered after it
// reconnects (persistent session), a broker restart while a publish awaits its PUBACK losing
// nothing, and the last will "offline" when the socket dies.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import memoryPersistence from "aedes-persistence";
import mqtt, { type MqttClient as CentreClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../../protocol/src/core/bytes";
import type { Clock } from "../../hal/hal";
import type { TcpLink } from "../net/tcp-link";
import { MqttClient, MqttState } from "./mqtt-client";
import { MqttUplink } from "./mqtt-uplink";
import { SocketTcpLink, type StreamSocket } from "./socket-tcp-link";

const UNIT = 0x2a;
const UP = "em/v1/unit/0000002a/up";
const DOWN = "em/v1/unit/0000002a/down";
const STATUS = "em/v1/unit/0000002a/status";

const realClock: Clock = {
  now: () => Date.now(),
  setNow: () => {},
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (h) => {
    clearTimeout(h as unknown as NodeJS.Timeout);
  },
  setInterval: (fn, ms) => setInterval(fn, ms) as unknown as number,
  clearInterval: (h) => {
    clearInterval(h as unknown as NodeJS.Timeout);
  },
};

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

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Broker {
  port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startAedes(): Promise<Broker> {
  const port = await freePort();
  // One persistence across restarts: the broker "remembers" sessions like a broker with
  // persistence on disk would.
  const persistence = memoryPersistence();
  let server: net.Server;
  let broker: Aedes;
  let sockets: net.Socket[] = [];
  const up = async () => {
    broker = await Aedes.createBroker({ persistence: persistence });
    server = net.createServer((s) => {
      sockets.push(s);
      broker.handle(s);
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  };
  const down = async () => {
    for (const s of sockets) s.destroy();
    sockets = [];
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  await up();
  return {
    port,
    restart: async () => {
      await down();
      await up();
    },
    stop: down,
  };
}

function mosquittoPath(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v mosquitto"]).toString().trim() || null;
  } catch {
    return null;
  }
}

async function startMosquitto(bin: string): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "em-mosq-"));
  const conf = join(dir, "mosquitto.conf");
  // Persistence on, so a restart keeps sessions; the default queue limit drops QoS 1 messages to
  // slow subscribers (TOOLCHAIN.md), so lift it.
  writeFileSync(
    conf,
    // Run as us: started as root, Mosquitto drops to user "mosquitto", which cannot write the
    // persistence file into our 0700 temp dir (it would restart with no saved sessions).
    `listener ${port} 127.0.0.1\nallow_anonymous true\nuser ${userInfo().username}\npersistence true\npersistence_location ${dir}/\nmax_queued_messages 0\n`,
  );
  let proc: ChildProcess;
  const up = async () => {
    proc = spawn(bin, ["-c", conf], { stdio: "ignore" });
    const end = Date.now() + 5000;
    for (;;) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(port, "127.0.0.1");
        s.on("connect", () => {
          s.destroy();
          r(true);
        });
        s.on("error", () => r(false));
      });
      if (ok) return;
      if (Date.now() > end) throw new Error("mosquitto did not start");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const down = async () => {
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGTERM");
    await exited;
  };
  await up();
  return {
    port,
    restart: async () => {
      await down();
      await up();
    },
    stop: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

function brokerSuite(name: string, start: () => Promise<Broker>): void {
  describe(`against ${name}`, () => {
    let broker: Broker;
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

brokerSuite("aedes (embedded)", startAedes);

const mosquitto = mosquittoPath();
if (mosquitto !== null) brokerSuite("mosquitto", () => startMosquitto(mosquitto));
else describe.skip("against mosquitto (not on PATH)", () => {});
