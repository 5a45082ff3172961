// A TcpConnector that watches the real sockets under a virtual modem, so the world knows when it
// may jump virtual time ahead: never while a connect is pending, and not within `quietMs` of real
// time after bytes went either way (an answer from a broker on this machine takes a millisecond
// or two; a skipped step in between could fire a timeout that real time would not have).

import {
  NodeTcpConnector,
  type TcpConnection,
  type TcpConnector,
  type TcpEvents,
} from "../modem/tcp-connector";

/** SIM800's AT+CIPSTART limit (manual: 75 s). */
const CONNECT_TIMEOUT_MS = 75000;

export class TrackedTcp implements TcpConnector {
  connecting = 0;
  /** performance.now() of the last connect, write, data or close. */
  lastActivity = 0;
  private readonly inner: TcpConnector;

  constructor(inner?: TcpConnector) {
    this.inner = inner ?? new NodeTcpConnector(CONNECT_TIMEOUT_MS);
  }

  /** Whether real traffic may be under way (or an answer to it still coming — after a close,
   * the broker's last will to the centre). */
  busy(quietMs: number): boolean {
    if (this.connecting > 0) return true;
    return performance.now() - this.lastActivity < quietMs;
  }

  connect(host: string, port: number, events: TcpEvents, tls?: boolean): TcpConnection {
    let state: "connecting" | "open" | "done" = "connecting";
    const touch = () => {
      this.lastActivity = performance.now();
    };
    const settle = (next: "open" | "done") => {
      if (state === "connecting") this.connecting--;
      state = next;
      touch();
    };
    this.connecting++;
    touch();
    const conn = this.inner.connect(
      host,
      port,
      {
        connected: () => {
          settle("open");
          events.connected();
        },
        failed: (reason) => {
          settle("done");
          events.failed(reason);
        },
        data: (chunk) => {
          touch();
          events.data(chunk);
        },
        closed: () => {
          settle("done");
          events.closed();
        },
      },
      tls,
    );
    return {
      write: (data) => {
        touch();
        conn.write(data);
      },
      pause: () => conn.pause(),
      resume: () => conn.resume(),
      destroy: () => {
        if (state !== "done") settle("done");
        conn.destroy();
      },
    };
  }
}
