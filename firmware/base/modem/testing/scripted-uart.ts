// A scripted fake modem UART for the driver's tests, the zigbee-herdsman/zwave-js way: the test
// lists exchanges (the exact bytes the driver must write, the modem's reply), the fake asserts the
// bytes and plays the replies back after a delay on the virtual clock, cut into chunks of
// pseudo-random size (seeded), so every parser boundary gets exercised. When the script is empty
// a responder may answer command lines loosely (for long runs such as the recovery ladder).
// Nothing throws from inside the driver's call stack: mismatches are collected in `errors`.

import type { Clock, Uart } from "../../../hal/hal";

export interface Exchange {
  expect: string;
  reply: string;
  delayMs: number;
}

/** Latin-1 text of bytes (the wire is 8-bit; tests write binary as \xNN escapes). */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export function bytesOf(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  return b;
}

export class ScriptedUart implements Uart {
  /** Everything the driver wrote, in order. */
  written = "";
  /** Command lines (and payloads) the driver wrote, one entry each. */
  readonly log: string[] = [];
  readonly errors: string[] = [];
  /** Delay of each scripted reply. */
  replyDelayMs = 20;
  /** Largest chunk fed to the driver at once. */
  maxChunk = 7;
  /** Loose mode: gets each CR-ended command line once the script is empty. */
  responder: ((line: string) => void) | null = null;
  private readonly clock: Clock;
  private readonly script: Exchange[] = [];
  private pending = "";
  private fn: ((chunk: Uint8Array) => void) | null = null;
  private seed: number;
  private payloadWant = 0;
  private payloadFn: ((payload: string) => void) | null = null;

  constructor(clock: Clock, seed: number) {
    this.clock = clock;
    this.seed = seed >>> 0;
  }

  /** The driver must next write exactly `text`; then `reply` is fed after replyDelayMs. */
  expect(text: string, reply: string): this {
    this.script.push({ expect: text, reply: reply, delayMs: this.replyDelayMs });
    return this;
  }

  /** Exchanges still expected. */
  remaining(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.script.length; i++) out.push(this.script[i].expect);
    return out;
  }

  /** Loose mode: the next n bytes written are a payload for fn. */
  takePayload(n: number, fn: (payload: string) => void): void {
    this.payloadWant = n;
    this.payloadFn = fn;
  }

  /** Feeds text now, in chunks of 1..maxChunk bytes. */
  feed(text: string): void {
    let i = 0;
    while (i < text.length) {
      const n = 1 + (this.next() % this.maxChunk);
      const part = text.substring(i, i + n);
      i += part.length;
      if (this.fn !== null) this.fn(bytesOf(part));
    }
  }

  feedLater(text: string, ms: number): void {
    this.clock.setTimeout(() => this.feed(text), ms);
  }

  write(data: Uint8Array): void {
    const s = latin1(data);
    this.written += s;
    this.pending += s;
    this.match();
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.fn = fn;
  }

  private match(): void {
    while (this.pending.length > 0) {
      if (this.script.length > 0) {
        const x = this.script[0];
        const n = Math.min(this.pending.length, x.expect.length);
        if (this.pending.substring(0, n) !== x.expect.substring(0, n)) {
          this.errors.push(
            "expected " + JSON.stringify(x.expect) + ", got " + JSON.stringify(this.pending),
          );
          this.pending = "";
          return;
        }
        if (n < x.expect.length) return;
        this.pending = this.pending.substring(n);
        this.script.shift();
        this.log.push(x.expect);
        if (x.reply !== "") this.feedLater(x.reply, x.delayMs);
        continue;
      }
      if (this.payloadWant > 0) {
        if (this.pending.length < this.payloadWant) return;
        const p = this.pending.substring(0, this.payloadWant);
        this.pending = this.pending.substring(this.payloadWant);
        this.payloadWant = 0;
        this.log.push(p);
        const fn = this.payloadFn;
        this.payloadFn = null;
        if (fn !== null) fn(p);
        continue;
      }
      const cr = this.pending.indexOf("\r");
      if (this.responder === null || cr < 0) {
        if (this.responder === null) {
          this.errors.push("unexpected write " + JSON.stringify(this.pending));
          this.pending = "";
        }
        return;
      }
      const line = this.pending.substring(0, cr);
      this.pending = this.pending.substring(cr + 1);
      this.log.push(line + "\r");
      this.responder(line);
    }
  }

  /** A 32-bit LCG (exact in doubles: 69069 × 2^32 < 2^53): deterministic chunk sizes. */
  private next(): number {
    this.seed = (this.seed * 69069 + 1) >>> 0;
    return this.seed >>> 16;
  }
}
