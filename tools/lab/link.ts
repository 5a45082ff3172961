// A serial line to a device: paced writes (a real UART moves ~11.5 bytes per ms at 115,200
// baud, and the Linux Espruino's console input trips `ASSERT(len <= 64)` when fed faster), a
// receive buffer the caller waits on with a timeout, and an optional transcript of both
// directions. Works over any @serialport/stream port: SerialPort for real lines and ptys,
// SerialPortMock (@serialport/binding-mock) in the unit tests.

import { appendFileSync } from "node:fs";
import { SerialPort } from "serialport";
import { LabError } from "./errors";

/** What the link needs of a port: SerialPort and SerialPortMock both are one. */
export interface PortLike {
  readonly isOpen: boolean;
  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean;
  drain(cb: () => void): void;
  close(cb: () => void): void;
  on(event: "data", fn: (d: Buffer) => void): unknown;
  on(event: "close", fn: () => void): unknown;
  on(event: "error", fn: (e: Error) => void): unknown;
}

export interface LinkOptions {
  /** Line rate, used to pace writes as a UART would (default 115,200). */
  baudRate?: number;
  /** Bytes per write; the Linux engines' console takes at most 64 at a time. */
  pieceBytes?: number;
  /** Append a transcript of the session to this file. */
  transcriptFile?: string;
  /** Give up on a write that has not drained after this long (default WRITE_TIMEOUT_MS). */
  writeTimeoutMs?: number;
}

/** Opens a serial port, mapping the OS's failures onto the lab's error codes. */
export async function openSerial(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (!err) return resolve(port);
      const m = err.message;
      if (/ENOENT|No such file|cannot find|not found/i.test(m))
        reject(new LabError("no-such-port", `no such port: ${path} (${m})`));
      else if (/lock|EBUSY|busy|Access denied|EACCES/i.test(m))
        reject(new LabError("port-busy", `port busy or not permitted: ${path} (${m})`));
      else reject(new LabError("no-such-port", `cannot open ${path}: ${m}`));
    });
  });
}

/** A piece of at most 64 bytes takes ~6 ms at 115,200 baud; a write stuck far longer than that
 * is a port whose far side is gone. */
const WRITE_TIMEOUT_MS = 5000;

export class Link {
  private rx = "";
  private everReceived = 0;
  private closed: string | null = null;
  private waiter: (() => void) | null = null;
  /** Called when the link is lost while a write waits (written()). */
  private writeWaiter: (() => void) | null = null;
  private readonly bytesPerMs: number;
  private readonly piece: number;

  constructor(
    readonly port: PortLike,
    private readonly opts: LinkOptions = {},
  ) {
    this.bytesPerMs = (opts.baudRate ?? 115200) / 10 / 1000;
    this.piece = opts.pieceBytes ?? 64;
    port.on("data", (d: Buffer) => {
      const s = d.toString("latin1");
      this.rx += s;
      this.everReceived += d.length;
      this.log("<", s);
      this.waiter?.();
    });
    const onEnd = (why: string) => {
      if (this.closed === null) this.closed = why;
      this.waiter?.();
      this.writeWaiter?.();
    };
    port.on("close", () => onEnd("the port closed"));
    port.on("error", (e: Error) => onEnd("port error: " + e.message));
  }

  /** Bytes received since the link opened (garbage included). */
  get received(): number {
    return this.everReceived;
  }

  /** Everything received and not yet consumed by expect(). */
  pending(): string {
    return this.rx;
  }

  discard(): void {
    this.rx = "";
  }

  /** Writes `text` (latin1) in pieces, each followed by the time the line needs to carry it;
   * the transcript shows `logged` instead where given (a password never reaches a log). */
  async send(text: string, logged = text): Promise<void> {
    this.log(">", logged);
    const bytes = Buffer.from(text, "latin1");
    for (let off = 0; off < bytes.length; off += this.piece) {
      if (this.closed !== null)
        throw new LabError("upload-interrupted", "link lost while sending: " + this.closed);
      const part = bytes.subarray(off, off + this.piece);
      await this.written(part);
      await sleep(Math.ceil(part.length / this.bytesPerMs));
    }
  }

  /**
   * Writes one piece and waits for it to drain — or for the link to be lost, or WRITE_TIMEOUT_MS:
   * a port whose far side died (a pulled cable, a killed pty) may never call back.
   */
  private async written(part: Buffer): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = this.opts.writeTimeoutMs ?? WRITE_TIMEOUT_MS;
    const lost = new Promise<never>((_, rej) => {
      this.writeWaiter = () => rej(new Error(this.closed ?? "the link was lost"));
      timer = setTimeout(() => rej(new Error(`no progress within ${limit} ms`)), limit);
    });
    const done = (async () => {
      await new Promise<void>((res, rej) => {
        this.port.write(part, (err) => (err ? rej(err) : res()));
      });
      await new Promise<void>((res) => this.port.drain(() => res()));
    })();
    try {
      await Promise.race([done, lost]);
    } catch (e) {
      done.catch(() => {}); // settles later, or never; nobody waits for it any more
      throw new LabError("upload-interrupted", "write failed: " + (e as Error).message);
    } finally {
      clearTimeout(timer);
      this.writeWaiter = null;
    }
  }

  /**
   * Waits until the received text matches `re`; consumes it up to the end of the match.
   * On timeout: "no-answer" if nothing at all came back, else `onGarbage` (default
   * "not-espruino"); on a lost link: "upload-interrupted".
   */
  async expect(
    re: RegExp,
    timeoutMs: number,
    what: string,
    onGarbage: "not-espruino" | "upload-interrupted" = "not-espruino",
  ): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.rx);
      if (m) {
        this.rx = this.rx.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed !== null)
        throw new LabError("upload-interrupted", `link lost waiting for ${what}: ${this.closed}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        const tail = JSON.stringify(this.rx.slice(-200));
        if (this.everReceived === 0)
          throw new LabError("no-answer", `no answer within ${timeoutMs} ms waiting for ${what}`);
        throw new LabError(onGarbage, `unexpected reply waiting for ${what}: ${tail}`);
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
      this.waiter = null;
    }
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await closePort(this.port);
  }

  private log(dir: string, text: string): void {
    if (this.opts.transcriptFile === undefined) return;
    appendFileSync(
      this.opts.transcriptFile,
      `${new Date().toISOString()} ${dir} ${JSON.stringify(text)}\n`,
    );
  }
}

/** Closes a port, waiting at most CLOSE_TIMEOUT_MS: closing a port whose far side died (a pty
 * whose master is gone) may never call back, and a lab command must still end. */
export function closePort(port: { isOpen: boolean; close(cb: () => void): void }): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise<void>((res) => {
    const timer = setTimeout(res, CLOSE_TIMEOUT_MS);
    port.close(() => {
      clearTimeout(timer);
      res();
    });
  });
}

const CLOSE_TIMEOUT_MS = 2000;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
