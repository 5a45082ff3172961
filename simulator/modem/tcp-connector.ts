// What the modem's TCP/IP stack needs from the world: one outgoing connection at a time. The
// default opens a real node:net socket (to an aedes or Mosquitto broker), or a node:tls one for
// a connection the modem was told to secure (AT+CIPSSL=1); tests under virtual time plug in an
// in-memory peer instead.

import { Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export interface TcpEvents {
  connected(): void;
  /** Connect failed (refused, unreachable, timed out). No close() follows. */
  failed(reason: string): void;
  data(chunk: Uint8Array): void;
  /** The far end (or the network) closed an established connection. */
  closed(): void;
}

export interface TcpConnection {
  write(data: Uint8Array): void;
  /** Stop/restart reading (the modem's receive buffer is full / drained). */
  pause(): void;
  resume(): void;
  /** Closes without any event back. */
  destroy(): void;
}

export interface TcpConnector {
  /** `tls`: the modem's own TLS; a connector that has none fails the connect. */
  connect(host: string, port: number, events: TcpEvents, tls?: boolean): TcpConnection;
}

/** Real TCP through node:net. connectTimeoutMs bounds the handshake (the manual's 75 s). */
export class NodeTcpConnector implements TcpConnector {
  private readonly connectTimeoutMs: number;

  constructor(connectTimeoutMs: number) {
    this.connectTimeoutMs = connectTimeoutMs;
  }

  connect(host: string, port: number, events: TcpEvents, tls = false): TcpConnection {
    // The unit loads no certificate into its modem (AT+SSLSETCERT, which this model does not
    // offer), so nothing is pinned: TLS here keeps a listener out, not a man in the middle.
    const socket = tls
      ? tlsConnect({ host: host, port: port, rejectUnauthorized: false })
      : new Socket();
    let state: "connecting" | "open" | "done" = "connecting";
    socket.setNoDelay(true);
    socket.setTimeout(this.connectTimeoutMs, () => {
      if (state !== "connecting") return;
      state = "done";
      socket.destroy();
      events.failed("timeout");
    });
    socket.on(tls ? "secureConnect" : "connect", () => {
      if (state !== "connecting") return;
      state = "open";
      socket.setTimeout(0);
      events.connected();
    });
    socket.on("data", (b: Buffer) => {
      if (state === "open") events.data(new Uint8Array(b.buffer, b.byteOffset, b.length).slice());
    });
    socket.on("error", (e: Error) => {
      if (state === "connecting") {
        state = "done";
        events.failed(e.message);
      }
    });
    socket.on("close", () => {
      if (state === "open") {
        state = "done";
        events.closed();
      }
    });
    if (!tls) socket.connect(port, host);
    return {
      write: (data) => {
        if (state === "open") socket.write(data);
      },
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      destroy: () => {
        state = "done";
        socket.destroy();
      },
    };
  }
}
