// What every broker the simulator starts for itself looks like: the embedded aedes and a
// Mosquitto child process share one interface, so a test suite or a bench runs unchanged against
// either. Both keep sessions across restart() (persistent sessions, queued QoS 1 messages).

import { readFileSync } from "node:fs";
import net from "node:net";
import type { Duplex } from "node:stream";

export interface RunningBroker {
  /** "aedes" or "mosquitto". */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  /** Started with `tls`: a second listener, TLS (TEST_BROKER_TLS) — where units set for TLS
   * connect (SPEC §13); the same accounts, sessions and topics as `port`. */
  readonly tlsPort?: number;
  /** Stops and starts the broker on the same port; sessions and queued messages survive. */
  restart(): Promise<void>;
  /** Stops it for good (and removes its files). */
  stop(): Promise<void>;
  /** MQTT clients connected now (aedes: its count; Mosquitto: established TCP connections). */
  clientsConnected(): number;
  /** The embedded broker only: takes a connection from a stream in this process (the
   * accelerated world's network, world/in-process-net.ts); false while it is down. */
  attach?(conn: Duplex): boolean;
}

export const LOOPBACK = "127.0.0.1";

/** A port nothing listens on right now (the kernel's choice for port 0). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, LOOPBACK, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves once a TCP connect to the port succeeds; rejects after ms. */
export async function waitForListener(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, LOOPBACK);
      s.on("connect", () => {
        s.destroy();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error("nothing listening on port " + port + " after " + ms);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Established TCP connections whose local end is `port` (the server side of each client), read
 * from /proc/net/tcp{,6}. Linux only; 0 elsewhere.
 */
export function establishedTo(port: number): number {
  let n = 0;
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(f, "latin1");
    } catch {
      continue;
    }
    const lines = text.split("\n");
    for (let i = 1; i < lines.length; i++) {
      const cols = lines[i].trim().split(/\s+/);
      // cols[1] local "ADDR:PORT", cols[3] state; 01 = ESTABLISHED.
      if (cols.length > 3 && cols[3] === "01" && cols[1].endsWith(":" + hexPort)) n++;
    }
  }
  return n;
}
