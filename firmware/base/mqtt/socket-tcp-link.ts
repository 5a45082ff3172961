// A TcpLink over a stream socket such as node:net's (test helper; the simulator can reuse it).
// The socket factory is injected so this file imports nothing from Node and stays inside the
// firmware import rules; a test passes `(port, host) => net.connect(port, host)`.
//
// Each open() makes a new socket; events of an older socket are ignored. onClose fires once for
// a connection the far end or the network ended, never after close().

import type { TcpLink } from "../net/tcp-link";

/** The part of node:net.Socket this adapter uses. */
export interface StreamSocket {
  on(event: string, fn: (arg: never) => void): unknown;
  write(data: Uint8Array, cb: (err?: Error | null) => void): unknown;
  destroy(): void;
}

export class SocketTcpLink implements TcpLink {
  private readonly connect: (port: number, host: string) => StreamSocket;
  private socket: StreamSocket | null = null;
  private open_ = false;
  private dataFn: (chunk: Uint8Array) => void = () => {};
  private closeFn: () => void = () => {};

  constructor(connect: (port: number, host: string) => StreamSocket) {
    this.connect = connect;
  }

  open(host: string, port: number, done: (ok: boolean) => void): void {
    const s = this.connect(port, host);
    this.socket = s;
    let answered = false;
    s.on("connect", () => {
      if (this.socket !== s || answered) return;
      answered = true;
      this.open_ = true;
      done(true);
    });
    s.on("data", (chunk: Uint8Array) => {
      if (this.socket === s && this.open_) this.dataFn(chunk);
    });
    // Node emits "error" then "close"; the error itself carries nothing the client uses.
    s.on("error", () => {});
    s.on("close", () => {
      if (this.socket !== s) return;
      this.socket = null;
      if (!answered) {
        answered = true;
        done(false);
        return;
      }
      if (!this.open_) return;
      this.open_ = false;
      this.closeFn();
    });
  }

  write(data: Uint8Array, done: (ok: boolean) => void): void {
    const s = this.socket;
    if (s === null || !this.open_) {
      done(false);
      return;
    }
    s.write(data, (err?: Error | null) => {
      done(!err);
    });
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    this.open_ = false;
    if (s !== null) s.destroy();
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.dataFn = fn;
  }

  onClose(fn: () => void): void {
    this.closeFn = fn;
  }

  isOpen(): boolean {
    return this.open_;
  }

  /** Kills the socket as a power cut or a dead network would (no DISCONNECT): onClose follows. */
  sever(): void {
    if (this.socket !== null) this.socket.destroy();
  }
}
