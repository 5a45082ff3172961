// What the modem's TCP/IP stack needs from the world: one outgoing connection at a time. The
// default opens a real node:net socket (to an aedes or Mosquitto broker); tests under virtual
// time plug in an in-memory peer instead.

import { Socket } from "node:net";

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
  connect(host: string, port: number, events: TcpEvents): TcpConnection;
}

/** Real TCP through node:net. connectTimeoutMs bounds the handshake (the manual's 75 s). */
export class NodeTcpConnector implements TcpConnector {
  private readonly connectTimeoutMs: number;

  constructor(connectTimeoutMs: number) {
    this.connectTimeoutMs = connectTimeoutMs;
  }

  connect(host: string, port: number, events: TcpEvents): TcpConnection {
    const socket = new Socket();
    let state: "connecting" | "open" | "done" = "connecting";
    socket.setNoDelay(true);
    socket.setTimeout(this.connectTimeoutMs, () => {
      if (state !== "connecting") return;
      state = "done";
      socket.destroy();
      events.failed("timeout");
    });
    socket.on("connect", () => {
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
    socket.connect(port, host);
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
