// A TcpLink a test drives by hand (test helper): records every write, and lets the test answer
// open(), inject the broker's bytes and drop the connection. Keeps TcpLink's rules: open's done
// and each write's done exactly once, onClose only for a close the far end made.

import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import type { TcpLink } from "../base/net/tcp-link";

export class ScriptedLink implements TcpLink {
  /** Every write of the current and earlier connections, as hex, in order. */
  readonly written: string[] = [];
  readonly opens: string[] = [];
  /** How the next open() is answered: true/false at once, or null to hold it (answerOpen). */
  openResult: boolean | null = true;
  /** What write() answers. */
  writeOk = true;
  closes = 0;
  private open_ = false;
  private pendingOpen: ((ok: boolean) => void) | null = null;
  private dataFn: (chunk: Uint8Array) => void = () => {};
  private closeFn: () => void = () => {};

  open(host: string, port: number, done: (ok: boolean) => void): void {
    this.opens.push(host + ":" + port);
    if (this.openResult === null) {
      this.pendingOpen = done;
      return;
    }
    this.open_ = this.openResult;
    done(this.openResult);
  }

  /** Completes a held open(). */
  answerOpen(ok: boolean): void {
    const d = this.pendingOpen;
    this.pendingOpen = null;
    this.open_ = ok;
    if (d !== null) d(ok);
  }

  write(data: Uint8Array, done: (ok: boolean) => void): void {
    this.written.push(toHex(data));
    if (!this.writeOk) this.open_ = false;
    done(this.writeOk);
  }

  close(): void {
    this.closes++;
    this.open_ = false;
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

  /** The broker's bytes (hex, spaces allowed). */
  feed(hex: string): void {
    this.dataFn(fromHex(hex.split(" ").join("")) as Uint8Array);
  }

  /** The far end closes the connection. */
  drop(): void {
    this.open_ = false;
    this.closeFn();
  }

  /** Writes since the last call. */
  take(): string[] {
    return this.written.splice(0, this.written.length);
  }
}
