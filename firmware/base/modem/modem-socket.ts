// The modem's single TCP connection as a TcpLink (firmware/base/net/tcp-link.ts), spoken through
// the dialect: open (CIPSTART … CONNECT OK), send in chunks of at most dialect.maxSend (CIPSEND=n,
// "> ", n bytes, SEND OK), receive on demand ("+CIPRXGET: 1" → CIPRXGET=2,n → header + raw block,
// again while the header says bytes are left), close (CIPCLOSE).
//
// States: closed → waiting (open called; the packet context is not up yet, or the recovery
// ladder's backoff gate is shut) → opening → open → closed. The driver owns the context: it says
// netReady()/netDown() and sets the gate; the socket reports each socket-level failure and each
// proof that the path works (bytes came back) through SocketHooks, and the driver climbs or
// resets its recovery ladder from those.
//
// Every connection gets a number (conn); command callbacks of an older connection are ignored,
// so a late SEND OK for a connection that was already declared lost changes nothing.

import { sliceBytes } from "@em-platform/protocol/core/bytes";
import type { Clock } from "../../hal/hal";
import type { TcpLink } from "../net/tcp-link";
import type { AtEngine, AtResult } from "./at-engine";
import { fieldsAfterColon, fillStep, type ModemDialect, parseCount } from "./modem-dialect";

export const SocketState = {
  closed: "closed",
  waiting: "waiting",
  opening: "opening",
  open: "open",
} as const;

export type SocketStateValue = (typeof SocketState)[keyof typeof SocketState];

export interface SocketHooks {
  /** A socket-level failure: an open that failed, a send that failed, the far end closing. */
  failed(): void;
  /** Bytes came back from the far end: the whole path (radio, context, server) works. */
  worked(): void;
}

export interface SocketStats {
  opens: number;
  openFails: number;
  /** Opens that gave up waiting for the packet context (not a socket failure). */
  openWaitTimeouts: number;
  sendFails: number;
  /** "CLOSED" from the modem while open. */
  remoteCloses: number;
  /** Connections ended because the context, the registration or the modem went away. */
  netLosses: number;
  readFails: number;
  bytesSent: number;
  bytesReceived: number;
}

interface PendingWrite {
  data: Uint8Array;
  offset: number;
  done: (ok: boolean) => void;
}

function noData(_chunk: Uint8Array): void {}
function noClose(): void {}

export class ModemSocket implements TcpLink {
  state: SocketStateValue = SocketState.closed;
  readonly stats: SocketStats = {
    opens: 0,
    openFails: 0,
    openWaitTimeouts: 0,
    sendFails: 0,
    remoteCloses: 0,
    netLosses: 0,
    readFails: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  private readonly engine: AtEngine;
  private readonly d: ModemDialect;
  private readonly clock: Clock;
  private readonly hooks: SocketHooks;
  private readonly openWaitMs: number;
  /** Every open over the modem's TLS (dialect `secure` first); never in the clear. */
  private readonly tls: boolean;
  private netUp = false;
  /** Monotonic ms before which no open is attempted (the ladder's backoff). */
  private gateAt = 0;
  private gateTimer = 0;
  private waitTimer = 0;
  private host = "";
  private port = 0;
  private openDone: ((ok: boolean) => void) | null = null;
  private readonly writes: PendingWrite[] = [];
  private sending = false;
  private reading = false;
  /** A data-waiting URC came while a read was on the wire: read again when it ends. */
  private again = false;
  private conn = 0;
  private dataFn: (chunk: Uint8Array) => void = noData;
  private closeFn: () => void = noClose;

  constructor(
    engine: AtEngine,
    dialect: ModemDialect,
    clock: Clock,
    hooks: SocketHooks,
    openWaitMs: number,
    tls: boolean,
  ) {
    this.tls = tls;
    this.engine = engine;
    this.d = dialect;
    this.clock = clock;
    this.hooks = hooks;
    this.openWaitMs = openWaitMs;
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.dataFn = fn;
  }

  onClose(fn: () => void): void {
    this.closeFn = fn;
  }

  isOpen(): boolean {
    return this.state === SocketState.open;
  }

  /** Waits (up to openWaitMs) for the context and the backoff gate, then connects. */
  open(host: string, port: number, done: (ok: boolean) => void): void {
    if (this.state !== SocketState.closed) {
      this.later(done);
      return;
    }
    this.state = SocketState.waiting;
    this.host = host;
    this.port = port;
    this.openDone = done;
    this.waitTimer = this.clock.setTimeout(() => {
      this.waitTimer = 0;
      if (this.state !== SocketState.waiting) return;
      this.stats.openWaitTimeouts++;
      this.state = SocketState.closed;
      this.clearTimers();
      this.endOpen(false);
    }, this.openWaitMs);
    this.tryOpen();
  }

  write(data: Uint8Array, done: (ok: boolean) => void): void {
    if (this.state !== SocketState.open) {
      this.later(done);
      return;
    }
    this.writes.push({ data: data, offset: 0, done: done });
    this.pumpWrites();
  }

  /** The user's close: no onClose follows. */
  close(): void {
    const was = this.state;
    if (was === SocketState.closed) return;
    this.conn++;
    this.state = SocketState.closed;
    this.clearTimers();
    this.failWrites();
    if (was !== SocketState.waiting) this.engine.send(fillStep(this.d.close, [], []));
    this.endOpen(false);
  }

  /** The packet context is up: a waiting open may go. */
  netReady(): void {
    this.netUp = true;
    this.tryOpen();
  }

  /** The context, the registration or the modem went away. A waiting open keeps waiting. */
  netDown(): void {
    this.netUp = false;
    if (this.gateTimer) this.clock.clearTimeout(this.gateTimer);
    this.gateTimer = 0;
    if (this.state === SocketState.opening) {
      this.conn++;
      this.state = SocketState.closed;
      this.clearTimers();
      this.endOpen(false);
    } else if (this.state === SocketState.open) {
      this.stats.netLosses++;
      this.lost(false);
    }
  }

  /** No open before this monotonic time. */
  holdUntil(ms: number): void {
    this.gateAt = ms;
  }

  /** "CLOSED": the far end or the network ended the connection. */
  remoteClosed(): void {
    if (this.state !== SocketState.open) return;
    this.stats.remoteCloses++;
    this.lost(true);
  }

  /** The data-waiting URC. */
  dataWaiting(): void {
    if (this.state !== SocketState.open) return;
    if (this.reading) this.again = true;
    else this.read();
  }

  private later(done: (ok: boolean) => void): void {
    this.clock.setTimeout(() => done(false), 0);
  }

  private clearTimers(): void {
    if (this.waitTimer) this.clock.clearTimeout(this.waitTimer);
    if (this.gateTimer) this.clock.clearTimeout(this.gateTimer);
    this.waitTimer = 0;
    this.gateTimer = 0;
  }

  private endOpen(ok: boolean): void {
    const done = this.openDone;
    this.openDone = null;
    if (done !== null) done(ok);
  }

  private tryOpen(): void {
    if (this.state !== SocketState.waiting || !this.netUp || this.gateTimer) return;
    const wait = this.gateAt - this.clock.monotonic();
    if (wait > 0) {
      this.gateTimer = this.clock.setTimeout(() => {
        this.gateTimer = 0;
        this.tryOpen();
      }, wait);
      return;
    }
    this.clearTimers();
    this.state = SocketState.opening;
    const conn = ++this.conn;
    const cmd = fillStep(this.d.open, ["host", "port"], [this.host, String(this.port)]);
    const opened = (r: AtResult) => {
      if (conn !== this.conn) return;
      if (r.ok) {
        this.state = SocketState.open;
        this.stats.opens++;
        this.endOpen(true);
        return;
      }
      this.state = SocketState.closed;
      this.stats.openFails++;
      // A connect that never resolved leaves the modem's socket half-open: tidy it up.
      if (r.status === "timeout") this.engine.send(fillStep(this.d.close, [], []));
      // The ladder first, so a reopen from inside done already meets the new gate.
      this.hooks.failed();
      this.endOpen(false);
    };
    cmd.done = opened;
    if (!this.tls) {
      this.engine.send(cmd);
      return;
    }
    // Chained, not queued behind it: an open sent after a refused `secure` would go in the clear.
    const secure = fillStep(this.d.secure, [], []);
    secure.done = (r: AtResult) => {
      if (r.ok && conn === this.conn) this.engine.send(cmd);
      else opened(r);
    };
    this.engine.send(secure);
  }

  private pumpWrites(): void {
    if (this.sending || this.writes.length === 0 || this.state !== SocketState.open) return;
    const w = this.writes[0];
    let n = w.data.length - w.offset;
    if (n > this.d.maxSend) n = this.d.maxSend;
    const conn = this.conn;
    const cmd = fillStep(this.d.send, ["n"], [String(n)]);
    cmd.payload = sliceBytes(w.data, w.offset, w.offset + n);
    cmd.done = (r: AtResult) => {
      if (conn !== this.conn) return;
      this.sending = false;
      if (!r.ok) {
        this.stats.sendFails++;
        this.engine.send(fillStep(this.d.close, [], []));
        this.lost(true);
        return;
      }
      this.stats.bytesSent += n;
      w.offset += n;
      if (w.offset >= w.data.length) {
        this.writes.shift();
        w.done(true);
      }
      this.pumpWrites();
    };
    this.sending = true;
    this.engine.send(cmd);
  }

  private read(): void {
    const conn = this.conn;
    const d = this.d;
    const cmd = fillStep(d.read, ["n"], [String(d.maxRead)]);
    cmd.rawAfter = d.readHeader;
    cmd.rawLength = (line: string) => parseCount(fieldsAfterColon(line)[d.readLengthField] || "");
    cmd.done = (r: AtResult) => {
      if (conn !== this.conn) return;
      this.reading = false;
      const again = this.again;
      this.again = false;
      if (!r.ok) {
        this.stats.readFails++;
        return;
      }
      const got = r.data !== null ? r.data.length : 0;
      const left = this.leftAfter(r, got);
      if (got > 0 && r.data !== null) {
        this.stats.bytesReceived += got;
        this.hooks.worked();
        this.dataFn(r.data);
      }
      if (left > 0 || again) this.dataWaiting();
    };
    this.reading = true;
    this.engine.send(cmd);
  }

  /** Bytes the modem still holds after this read (dialects without the field: read until 0). */
  private leftAfter(r: AtResult, got: number): number {
    if (this.d.readLeftField < 0) return got;
    for (let i = 0; i < r.lines.length; i++) {
      if (r.lines[i].substring(0, this.d.readHeader.length) !== this.d.readHeader) continue;
      const left = parseCount(fieldsAfterColon(r.lines[i])[this.d.readLeftField] || "");
      return Math.max(left, 0);
    }
    return 0;
  }

  private failWrites(): void {
    this.sending = false;
    this.reading = false;
    while (this.writes.length > 0) (this.writes.shift() as PendingWrite).done(false);
  }

  /** The connection ended without the user asking: writes fail, then onClose. */
  private lost(countFailure: boolean): void {
    this.conn++;
    this.state = SocketState.closed;
    this.failWrites();
    if (countFailure) this.hooks.failed();
    this.closeFn();
  }
}
