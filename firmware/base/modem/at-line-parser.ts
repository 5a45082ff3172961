// Bytes from the modem's UART → AT lines, "> " prompts and raw data blocks (V.250 §5.7 / 3GPP
// 27.007 §4: a response line is <CR><LF>text<CR><LF>; a data prompt is the two bytes "> "
// with no line end; the socket read commands put <length> raw bytes after a header line).
//
// A byte-at-a-time state machine with two states:
//
//   line ──expectData(n)──▶ data ──(n bytes)──▶ line
//
// Resynchronisation (zwave-js style): a line holds only printable ASCII (0x20–0x7E) and TAB. Any
// other byte (line noise, the 0x00/0xFF a modem emits while its UART powers up, a baud-rate
// mismatch) discards the partial line and the byte, and the next byte starts a fresh line, so
// "\xFFRDY\r\n" still yields "RDY". A line longer than the buffer is dropped up to its end. Every
// discarded byte is reported, with the reason, through `discard`. Nothing throws; both buffers are
// fixed-size and allocated once.
//
// Device code (DEVICE-JS subset): plain loops, no Map, no regex.

import { sliceBytes } from "@em-platform/protocol/core/bytes";

/** Why bytes were thrown away (the `reason` of AtSink.discard). */
export const AtDiscard = {
  /** A byte that cannot be in a line: the partial line and that byte are dropped. */
  garbage: 1,
  /** A line longer than the line buffer: dropped up to its line end. */
  overflow: 2,
  /** reset() dropped a partial line or an unfinished data block. */
  aborted: 3,
} as const;

export type AtDiscardReason = (typeof AtDiscard)[keyof typeof AtDiscard];

/** Where the parser's output goes. Calls happen inside push(); they may call back into the
 * parser (armPrompt, expectData, reset) and the parser continues with the next byte. */
export interface AtSink {
  line(text: string): void;
  prompt(): void;
  /** A complete raw block, a copy the receiver may keep. */
  data(bytes: Uint8Array): void;
  discard(reason: AtDiscardReason, count: number): void;
}

const CR = 13;
const LF = 10;
const TAB = 9;
const GT = 62;
const SPACE = 32;

const LINE = 0;
const DATA = 1;

/** Byte accounting: after any sequence of pushes, bytesIn equals the sum of the rest plus
 * pending() (the fuzz test checks this for every input). */
export interface AtParserStats {
  bytesIn: number;
  lines: number;
  lineBytes: number;
  /** CR and LF bytes. */
  framingBytes: number;
  prompts: number;
  blocks: number;
  dataBytes: number;
  discards: number;
  discardedBytes: number;
}

export class AtLineParser {
  readonly stats: AtParserStats = {
    bytesIn: 0,
    lines: 0,
    lineBytes: 0,
    framingBytes: 0,
    prompts: 0,
    blocks: 0,
    dataBytes: 0,
    discards: 0,
    discardedBytes: 0,
  };
  private readonly sink: AtSink;
  private readonly lineBuf: Uint8Array;
  private readonly dataBuf: Uint8Array;
  private state = LINE;
  private len = 0;
  /** > 0 while dropping an over-long line: bytes dropped so far. */
  private skipped = 0;
  /** Consecutive garbage bytes not yet reported. */
  private garbage = 0;
  private dataLen = 0;
  private dataWant = 0;
  private lastCR = false;
  private promptArmed = false;

  /** maxLine: longest line kept (bytes); maxData: largest raw block expectData accepts. */
  constructor(sink: AtSink, maxLine: number, maxData: number) {
    this.sink = sink;
    this.lineBuf = new Uint8Array(maxLine);
    this.dataBuf = new Uint8Array(maxData);
  }

  /** While armed, a line that starts with "> " is reported as a prompt (once; then disarmed). */
  armPrompt(on: boolean): void {
    this.promptArmed = on;
  }

  /**
   * The next n bytes are a raw block (a socket read's payload). An LF straight after the CR
   * that ended the header line is still taken as that line's end. Returns false, and stays in
   * line mode, when n is negative or larger than the data buffer. n = 0 is an empty block.
   */
  expectData(n: number): boolean {
    if (!(n >= 0 && n <= this.dataBuf.length) || Math.floor(n) !== n) return false;
    if (n === 0) {
      this.stats.blocks++;
      this.sink.data(new Uint8Array(0));
      return true;
    }
    this.flushGarbage();
    this.state = DATA;
    this.dataWant = n;
    this.dataLen = 0;
    return true;
  }

  /** Drops a partial line or block (after a timeout, or when the modem restarts). */
  reset(): void {
    const dropped = this.len + this.skipped + this.garbage + this.dataLen;
    this.state = LINE;
    this.len = 0;
    this.skipped = 0;
    this.garbage = 0;
    this.dataLen = 0;
    this.dataWant = 0;
    this.lastCR = false;
    this.promptArmed = false;
    if (dropped > 0) this.report(AtDiscard.aborted, dropped);
  }

  /** Bytes taken in but not yet reported as anything. */
  pending(): number {
    return this.len + this.skipped + this.garbage + this.dataLen;
  }

  /** True while a raw block is being read. */
  inData(): boolean {
    return this.state === DATA;
  }

  push(chunk: Uint8Array): void {
    this.stats.bytesIn += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.state === DATA) this.dataByte(b);
      else this.lineByte(b);
    }
    this.flushGarbage();
  }

  private dataByte(b: number): void {
    if (this.lastCR) {
      this.lastCR = false;
      if (b === LF && this.dataLen === 0) {
        this.stats.framingBytes++;
        return;
      }
    }
    this.dataBuf[this.dataLen++] = b;
    if (this.dataLen < this.dataWant) return;
    const block = sliceBytes(this.dataBuf, 0, this.dataLen);
    this.stats.blocks++;
    this.stats.dataBytes += this.dataLen;
    this.state = LINE;
    this.dataLen = 0;
    this.dataWant = 0;
    this.sink.data(block);
  }

  private lineByte(b: number): void {
    if (b === CR || b === LF) {
      this.flushGarbage();
      this.stats.framingBytes++;
      const swallow = b === LF && this.lastCR;
      this.lastCR = b === CR;
      if (swallow) return;
      if (this.skipped > 0) {
        const n = this.skipped;
        this.skipped = 0;
        this.report(AtDiscard.overflow, n);
      } else if (this.len > 0) this.emitLine();
      return;
    }
    this.lastCR = false;
    if (this.skipped > 0) {
      this.skipped++;
      return;
    }
    if ((b < SPACE || b > 126) && b !== TAB) {
      // Not part of any line: drop what came before it on this line, and the byte.
      this.garbage += this.len + 1;
      this.len = 0;
      return;
    }
    this.flushGarbage();
    if (this.len === this.lineBuf.length) {
      this.skipped = this.len + 1;
      this.len = 0;
      return;
    }
    this.lineBuf[this.len++] = b;
    if (this.promptArmed && this.len === 2 && this.lineBuf[0] === GT && b === SPACE) {
      this.len = 0;
      this.promptArmed = false;
      this.stats.prompts++;
      this.stats.framingBytes += 2;
      this.sink.prompt();
    }
  }

  private emitLine(): void {
    let s = "";
    for (let i = 0; i < this.len; i++) s += String.fromCharCode(this.lineBuf[i]);
    this.stats.lines++;
    this.stats.lineBytes += this.len;
    this.len = 0;
    this.sink.line(s);
  }

  private flushGarbage(): void {
    if (this.garbage === 0) return;
    const n = this.garbage;
    this.garbage = 0;
    this.report(AtDiscard.garbage, n);
  }

  private report(reason: AtDiscardReason, n: number): void {
    this.stats.discards++;
    this.stats.discardedBytes += n;
    this.sink.discard(reason, n);
  }
}
