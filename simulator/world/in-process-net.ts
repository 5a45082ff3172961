// The accelerated world's network: connections to the embedded broker (aedes, in this process)
// through in-memory stream pairs instead of sockets, so the world knows exactly when the broker
// and its clients have nothing left to say and virtual time may move on. With real sockets it can
// only guess (TrackedTcp waits 60 ms of real quiet after every exchange); here `settle()` waits
// until no chunk is in flight and the event loop has turned over with nothing written.
//
// Every chunk crosses on its own setImmediate, as a socket's bytes would arrive on a later turn
// of the loop: a peer never sees a write inside the call that made it.

import { Duplex } from "node:stream";
import type { TcpConnection, TcpConnector, TcpEvents } from "../modem/tcp-connector";

/** Quiet turns of the event loop `settle` demands: aedes hands a packet on through up to four
 * setImmediate hops (authorize, persist, emit, write) before the next chunk is written. */
const QUIET_TURNS = 6;

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

export class InProcessNet {
  /** Chunks (and closes) written and not yet handed to the other end. */
  private inFlight = 0;
  /** Bumped by every write, delivery and close. */
  private activity = 0;
  /** Something happened since the last settle(). */
  dirty = false;

  /**
   * @param accept hands the broker's end of a new connection to the broker; false when the
   *   broker is down (the connection is refused).
   * @param host, port where the broker is, as the units' network records name it.
   */
  constructor(
    private readonly accept: (brokerEnd: Duplex) => boolean,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Resolves once nothing is in flight and the loop has turned QUIET_TURNS times with nothing
   * written. */
  async settle(): Promise<void> {
    let quiet = 0;
    let seen = this.activity;
    while (quiet < QUIET_TURNS) {
      await nextTurn();
      if (this.inFlight > 0 || this.activity !== seen) {
        quiet = 0;
        seen = this.activity;
      } else quiet++;
    }
    this.dirty = false;
  }

  /** A client's end of a new connection to the broker (for mqtt.js's stream builder); a refused
   * connection is one that closes at once. */
  dial(): Duplex {
    const [mine, theirs] = this.pair();
    if (!this.accept(theirs)) mine.destroy();
    return mine;
  }

  /** The TcpConnector a virtual modem opens its sockets with. */
  connector(): TcpConnector {
    return {
      connect: (host, port, events, tls) => this.connect(host, port, events, tls === true),
    };
  }

  private connect(host: string, port: number, events: TcpEvents, tls: boolean): TcpConnection {
    let state: "connecting" | "open" | "done" = "connecting";
    // The accelerated world's streams carry no TLS: a unit set for it is refused, as by a broker
    // port that does not speak it.
    if (tls || host !== this.host || port !== this.port) {
      this.later(() => {
        if (state !== "connecting") return;
        state = "done";
        events.failed(tls ? "no TLS in the accelerated world" : "connection refused");
      });
      return { write: () => {}, pause: () => {}, resume: () => {}, destroy: () => {} };
    }
    const end = this.dial();
    end.on("data", (chunk: Buffer) => {
      if (state === "open") events.data(new Uint8Array(chunk));
    });
    end.on("close", () => {
      const was = state;
      state = "done";
      if (was === "open") events.closed();
      else if (was === "connecting") events.failed("connection refused");
    });
    end.on("error", () => {});
    this.later(() => {
      if (state !== "connecting" || end.destroyed) return;
      state = "open";
      events.connected();
    });
    return {
      write: (data) => {
        if (state === "open") end.write(Buffer.from(data));
      },
      pause: () => end.pause(),
      resume: () => end.resume(),
      destroy: () => {
        state = "done";
        end.destroy();
      },
    };
  }

  /** Two ends of one connection: what one writes the other reads, a turn later; destroying
   * either end closes both (a reset: chunks still in flight are lost, as on a dropped socket). */
  private pair(): [Duplex, Duplex] {
    const ends: End[] = [];
    ends.push(new End(this, () => ends[1]), new End(this, () => ends[0]));
    return [ends[0], ends[1]];
  }

  /** Something moved on a connection, or is about to (a corked write). */
  traffic(): void {
    this.activity++;
    this.dirty = true;
  }

  /** Runs fn on a later turn of the loop (as a socket's bytes arrive), in flight until then. */
  later(fn: () => void): void {
    this.inFlight++;
    this.traffic();
    setImmediate(() => {
      this.inFlight--;
      this.traffic();
      fn();
    });
  }
}

/** One end of an in-process connection. */
class End extends Duplex {
  constructor(
    private readonly net: InProcessNet,
    private readonly other: () => End,
  ) {
    // One end's EOF ends the other too, and both close: a TCP connection, not a pipe.
    super({ allowHalfOpen: false });
  }

  /** mqtt.js corks the stream and writes on the next tick: the world must not run on as if
   * nothing were coming, so a cork counts as traffic. */
  override cork(): void {
    this.net.traffic();
    super.cork();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.net.later(() => {
      const o = this.other();
      if (!o.destroyed) o.push(chunk);
    });
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.net.later(() => this.other().push(null));
    done();
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.net.later(() => {
      const o = this.other();
      if (!o.destroyed) o.destroy();
    });
    done(err);
  }
}
