// The embedded broker: aedes in this process on 127.0.0.1, a port the kernel picks. Its
// persistence (aedes-persistence, in memory) outlives restart(), as a broker with persistence on
// disk would: sessions, subscriptions, QoS 1 messages queued for offline clients and retained
// messages come back; connections and in-flight packets do not. With `accounts` it enforces
// broker-accounts.ts: logins, client id = user name, and each unit to its own topics. With `tls`:
// a second listener speaking TLS (TEST_BROKER_TLS) into the same broker.

import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import memoryPersistence from "aedes-persistence";
import { freePort, LOOPBACK, type RunningBroker } from "./broker";
import { type BrokerAccounts, connectRefusal, mayPublish, maySubscribe } from "./broker-accounts";
import { TEST_BROKER_TLS } from "./test-broker-tls";

/** CONNACK 5, "not authorized" (MQTT 3.1.1 §3.2.2.3). */
const NOT_AUTHORIZED = 5;

function enforce(b: Aedes, accounts: BrokerAccounts): void {
  const users = new WeakMap<Client, string>();
  b.authenticate = (client, username, password, done) => {
    const why = connectRefusal(accounts, client.id, username, password);
    if (why === null) {
      users.set(client, username as string);
      done(null, true);
      return;
    }
    const e = new Error(why) as AuthenticateError;
    e.returnCode = NOT_AUTHORIZED;
    done(e, false);
  };
  b.authorizePublish = (client, packet, done) => {
    // A will left by a session that is gone (client null) is only ever a unit's "offline".
    const user = client === null ? null : users.get(client);
    const ok =
      user === null
        ? packet.topic.endsWith("/status") && String(packet.payload) === "offline"
        : user !== undefined && mayPublish(accounts, user, packet.topic);
    done(ok ? null : new Error("not authorized to publish on " + packet.topic));
  };
  b.authorizeSubscribe = (client, sub, done) => {
    const user = users.get(client);
    done(null, user !== undefined && maySubscribe(accounts, user, sub.topic) ? sub : null);
  };
}

export async function startEmbeddedBroker(
  accounts?: BrokerAccounts,
  o: { tls?: boolean } = {},
): Promise<RunningBroker> {
  const port = await freePort();
  const tlsPort = o.tls ? await freePort() : undefined;
  const persistence = memoryPersistence();
  let broker: Aedes | null = null;
  let server: net.Server | null = null;
  let tlsServer: tls.Server | null = null;
  let conns: Duplex[] = [];
  const track = (conn: Duplex) => {
    conns.push(conn);
    conn.on("close", () => {
      conns = conns.filter((x) => x !== conn);
    });
  };

  const up = async (): Promise<void> => {
    const b = await Aedes.createBroker({ persistence: persistence });
    if (accounts !== undefined) enforce(b, accounts);
    // No Nagle: with it a second small packet (a SUBACK after a PUBACK) waits ~40 ms for the
    // peer's delayed ACK — real latency that virtual time at speed S multiplies by S.
    const s = net.createServer({ noDelay: true }, (socket) => {
      track(socket);
      b.handle(socket);
    });
    await new Promise<void>((r) => s.listen(port, LOOPBACK, () => r()));
    if (tlsPort !== undefined) {
      const t = tls.createServer({ ...TEST_BROKER_TLS, noDelay: true }, (socket) => {
        track(socket);
        b.handle(socket);
      });
      await new Promise<void>((r) => t.listen(tlsPort, LOOPBACK, () => r()));
      tlsServer = t;
    }
    broker = b;
    server = s;
  };

  const down = async (): Promise<void> => {
    const b = broker;
    const s = server;
    const t = tlsServer;
    broker = null;
    server = null;
    tlsServer = null;
    // Like a killed process: every connection drops at once (wills are published by aedes when
    // the socket closes without DISCONNECT, before close() completes).
    for (const conn of conns) conn.destroy();
    conns = [];
    if (s !== null) await new Promise<void>((r) => s.close(() => r()));
    if (t !== null) await new Promise<void>((r) => t.close(() => r()));
    if (b !== null) await new Promise<void>((r) => b.close(() => r()));
  };

  await up();
  return {
    name: "aedes",
    host: LOOPBACK,
    port: port,
    url: "mqtt://" + LOOPBACK + ":" + port,
    tlsPort: tlsPort,
    restart: async () => {
      await down();
      await up();
    },
    stop: down,
    clientsConnected: () => (broker === null ? 0 : broker.connectedClients),
    attach: (conn) => {
      if (broker === null) return false;
      track(conn);
      broker.handle(conn);
      return true;
    },
  };
}
