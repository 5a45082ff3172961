// The AT command/response engine (Espruino's AT module and zigbee-herdsman's "waitress", in
// one small queue): one command on the wire at a time, each with its own timeout and retries;
// unsolicited result codes (URCs) dispatched whenever they arrive — between commands, or between
// the lines of a response, or while a command waits for its "> " prompt.
//
// Which line is what, checked in this order for every line the parser produces:
//   1. the line after a header the active command marked `bodyAfter` (an SMS text): the command's
//      — so an SMS that reads "RING" is never taken for a call;
//   2. the echo of the active command (before ATE0 takes effect): ignored;
//   3. a line the active command `claims` (a prefix, e.g. "+CREG:" for AT+CREG?): the command's;
//   4. a line an earlier command still `await`s (SIM800's "CONNECT OK" after AT+CIPSTART's OK);
//   5. a URC the onUrc function knows;
//   6. while a command is active: its final result (OK, ERROR, +CME ERROR: n, +CMS ERROR: n, or
//      the command's own `ends`/`fails`), else an information line of that command;
//   7. otherwise an unknown unsolicited line: counted and passed to onUnknown.
//
// Command states: queued → written → (prompt → payload written) → final → [awaiting] → done.
// A timeout or an error (not a `fails` line) re-sends the command while retries remain.
// Device code: callbacks, no Promises, no Map.

import { concatBytes, startsWith } from "@em-platform/protocol/core/bytes";
import type { Clock, Uart } from "../../hal/hal";
import { type AtDiscardReason, AtLineParser } from "./at-line-parser";

/** Outcome of a command. */
export const AtStatus = {
  ok: "ok",
  /** ERROR */
  error: "error",
  /** +CME ERROR: n (code holds n) */
  cme: "cme",
  /** +CMS ERROR: n (code holds n) */
  cms: "cms",
  /** One of the command's own failure lines (final holds it). */
  fail: "fail",
  timeout: "timeout",
  /** Dropped by abortAll (modem restart). */
  aborted: "aborted",
  /** A raw-block header announced a length the parser cannot hold. */
  badLength: "bad_length",
} as const;

export type AtStatusValue = (typeof AtStatus)[keyof typeof AtStatus];

export interface AtResult {
  ok: boolean;
  status: AtStatusValue;
  /** +CME/+CMS error number, else -1. */
  code: number;
  /** The information and claimed lines, in order, without the final line. */
  lines: string[];
  /** The final line ("OK", "SEND OK", "CONNECT OK", "ERROR" …); "" after a timeout. */
  final: string;
  /** The raw blocks read, joined (socket reads); null when there were none. */
  data: Uint8Array | null;
  /** How many times the command was written. */
  attempts: number;
}

export interface AtCommand {
  /** The command line without its CR, e.g. "AT+CSQ". */
  text: string;
  /** From writing the command (and again from writing its payload) to its final line. */
  timeoutMs: number;
  /** Extra attempts after a timeout or ERROR/+CME/+CMS. 0 for anything not idempotent. */
  retries: number;
  /** Prefixes of response lines that belong to this command even if they look like URCs. */
  claims: string[];
  /** Final lines meaning success (prefix match). Default ["OK"]; "*" = any non-URC line. */
  ends: string[];
  /** Final lines meaning failure, beyond ERROR / +CME ERROR / +CMS ERROR (prefix match). */
  fails: string[];
  /** Sent after the "> " prompt; null: the command has no prompt. */
  payload: Uint8Array | null;
  /** After a claimed line with this prefix, the next line is text for the command. "" = none. */
  bodyAfter: string;
  /** After a claimed line with this prefix, a raw block follows; rawLength reads its length. */
  rawAfter: string;
  rawLength: ((line: string) => number) | null;
  /** After the success final, wait (without holding the queue) for one of these lines … */
  awaitOk: string[];
  /** … or one of these (failure) … */
  awaitFail: string[];
  /** … for at most this long. */
  awaitMs: number;
  done: (r: AtResult) => void;
}

/** A command with the common defaults: final "OK", no prompt, no body, no raw data, no await. */
export function atCommand(text: string, timeoutMs: number, retries: number): AtCommand {
  return {
    text: text,
    timeoutMs: timeoutMs,
    retries: retries,
    claims: [],
    ends: ["OK"],
    fails: [],
    payload: null,
    bodyAfter: "",
    rawAfter: "",
    rawLength: null,
    awaitOk: [],
    awaitFail: [],
    awaitMs: 0,
    done: ignoreResult,
  };
}

function ignoreResult(_r: AtResult): void {}

function noUrc(_line: string): boolean {
  return false;
}

export function matchAny(line: string, prefixes: string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (startsWith(line, prefixes[i])) return true;
  return false;
}

/** The number after "+CME ERROR: " style prefixes; -1 when absent or not a number. */
function errorNumber(line: string, prefixLength: number): number {
  let v = 0;
  let digits = 0;
  for (let i = prefixLength; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 && digits === 0) continue;
    if (c < 48 || c > 57 || digits > 6) return -1;
    v = v * 10 + (c - 48);
    digits++;
  }
  return digits > 0 ? v : -1;
}

interface Active {
  cmd: AtCommand;
  attempts: number;
  lines: string[];
  blocks: Uint8Array[];
  timer: number;
  bodyPending: boolean;
  payloadSent: boolean;
}

interface Awaiting {
  cmd: AtCommand;
  result: AtResult;
  timer: number;
}

export interface AtEngineStats {
  commands: number;
  timeouts: number;
  retries: number;
  urcs: number;
  unknown: number;
  unexpectedPrompts: number;
  unexpectedData: number;
  discards: number;
  discardedBytes: number;
}

export interface AtEngineOptions {
  uart: Uart;
  clock: Clock;
  /** Longest line kept; longer ones are discarded (reported). */
  maxLine: number;
  /** Largest raw block (socket read size). */
  maxData: number;
  /** Pause before re-sending after a timeout or error, and after any timeout before the next
   * command (a late answer to the timed-out command lands in the gap, not in the next one). */
  settleMs: number;
}

const CR_BYTE = new Uint8Array([13]);

export class AtEngine {
  readonly parser: AtLineParser;
  readonly stats: AtEngineStats = {
    commands: 0,
    timeouts: 0,
    retries: 0,
    urcs: 0,
    unknown: 0,
    unexpectedPrompts: 0,
    unexpectedData: 0,
    discards: 0,
    discardedBytes: 0,
  };
  private readonly o: AtEngineOptions;
  private readonly queue: AtCommand[] = [];
  private urcFn: (line: string) => boolean = noUrc;
  private readonly awaiting: Awaiting[] = [];
  private active: Active | null = null;
  private settleTimer = 0;
  private unknownFn: ((line: string) => void) | null = null;
  private discardFn: ((reason: AtDiscardReason, count: number) => void) | null = null;

  constructor(o: AtEngineOptions) {
    this.o = o;
    this.parser = new AtLineParser(
      {
        line: (s) => this.onLine(s),
        prompt: () => this.onPrompt(),
        data: (b) => this.onData(b),
        discard: (reason, n) => this.discarded(reason, n),
      },
      o.maxLine,
      o.maxData,
    );
    o.uart.onData((chunk) => this.parser.push(chunk));
  }

  /** fn gets every line no command claims or awaits, and answers whether it was a URC it knows.
   * One function for them all, not a handler per prefix: on Espruino each registered closure
   * and its record cost ~10 variables for the life of the unit. */
  onUrc(fn: (line: string) => boolean): void {
    this.urcFn = fn;
  }

  onUnknown(fn: (line: string) => void): void {
    this.unknownFn = fn;
  }

  onDiscard(fn: (reason: AtDiscardReason, count: number) => void): void {
    this.discardFn = fn;
  }

  /** Queues a command; it runs after those queued before it. */
  send(cmd: AtCommand): void {
    this.queue.push(cmd);
    this.pump();
  }

  /** Queues a command ahead of every queued one (it still waits for the one on the wire). */
  sendFirst(cmd: AtCommand): void {
    this.queue.unshift(cmd);
    this.pump();
  }

  /** A command is on the wire, or queued. */
  busy(): boolean {
    return this.active !== null || this.queue.length > 0;
  }

  queued(): number {
    return this.queue.length + (this.active !== null ? 1 : 0);
  }

  /** Fails the active, queued and awaiting commands with "aborted" (the modem is restarting)
   * and drops any partial input. Their callbacks may queue new commands. */
  abortAll(): void {
    const dropped: AtCommand[] = [];
    const results: AtResult[] = [];
    const a = this.active;
    if (a !== null) {
      this.o.clock.clearTimeout(a.timer);
      dropped.push(a.cmd);
      results.push(this.result(a, AtStatus.aborted, -1, ""));
      this.active = null;
    }
    for (let i = 0; i < this.awaiting.length; i++) {
      this.o.clock.clearTimeout(this.awaiting[i].timer);
      dropped.push(this.awaiting[i].cmd);
      results.push(this.awaiting[i].result);
      this.awaiting[i].result.ok = false;
      this.awaiting[i].result.status = AtStatus.aborted;
    }
    this.awaiting.splice(0, this.awaiting.length);
    for (let i = 0; i < this.queue.length; i++) {
      dropped.push(this.queue[i]);
      results.push({
        ok: false,
        status: AtStatus.aborted,
        code: -1,
        lines: [],
        final: "",
        data: null,
        attempts: 0,
      });
    }
    this.queue.splice(0, this.queue.length);
    if (this.settleTimer) this.o.clock.clearTimeout(this.settleTimer);
    this.settleTimer = 0;
    this.parser.reset();
    for (let i = 0; i < dropped.length; i++) dropped[i].done(results[i]);
  }

  private pump(): void {
    if (this.active !== null || this.settleTimer || this.queue.length === 0) return;
    const cmd = this.queue.shift() as AtCommand;
    this.stats.commands++;
    this.active = {
      cmd: cmd,
      attempts: 0,
      lines: [],
      blocks: [],
      timer: 0,
      bodyPending: false,
      payloadSent: false,
    };
    this.write(this.active);
  }

  private write(a: Active): void {
    a.attempts++;
    a.lines = [];
    a.blocks = [];
    a.bodyPending = false;
    a.payloadSent = false;
    this.parser.armPrompt(a.cmd.payload !== null);
    this.o.uart.write(asciiBytes(a.cmd.text));
    this.o.uart.write(CR_BYTE);
    a.timer = this.o.clock.setTimeout(() => this.onTimeout(a), a.cmd.timeoutMs);
  }

  private onTimeout(a: Active): void {
    if (this.active !== a) return;
    a.timer = 0;
    this.stats.timeouts++;
    // A half-read block or line belongs to the command that gave up.
    this.parser.reset();
    this.retryOrFinish(a, AtStatus.timeout, -1, "");
  }

  private retryOrFinish(a: Active, status: AtStatusValue, code: number, final: string): void {
    if (a.timer) this.o.clock.clearTimeout(a.timer);
    a.timer = 0;
    if (a.attempts <= a.cmd.retries) {
      this.stats.retries++;
      // Re-send after a pause, still as the active command.
      a.timer = this.o.clock.setTimeout(() => {
        if (this.active === a) this.write(a);
      }, this.o.settleMs);
      return;
    }
    this.finish(a, status, code, final);
  }

  private result(a: Active, status: AtStatusValue, code: number, final: string): AtResult {
    let data: Uint8Array | null = null;
    if (a.blocks.length === 1) data = a.blocks[0];
    else if (a.blocks.length > 1) data = concatBytes(a.blocks);
    return {
      ok: status === AtStatus.ok,
      status: status,
      code: code,
      lines: a.lines,
      final: final,
      data: data,
      attempts: a.attempts,
    };
  }

  private finish(a: Active, status: AtStatusValue, code: number, final: string): void {
    if (a.timer) this.o.clock.clearTimeout(a.timer);
    a.timer = 0;
    this.active = null;
    this.parser.armPrompt(false);
    const r = this.result(a, status, code, final);
    const cmd = a.cmd;
    if (status === AtStatus.timeout) {
      this.settleTimer = this.o.clock.setTimeout(() => {
        this.settleTimer = 0;
        this.pump();
      }, this.o.settleMs);
    }
    if (r.ok && (cmd.awaitOk.length > 0 || cmd.awaitFail.length > 0)) {
      const w: Awaiting = { cmd: cmd, result: r, timer: 0 };
      w.timer = this.o.clock.setTimeout(() => this.endAwait(w, AtStatus.timeout, ""), cmd.awaitMs);
      this.awaiting.push(w);
    } else cmd.done(r);
    this.pump();
  }

  private endAwait(w: Awaiting, status: AtStatusValue, final: string): void {
    const i = this.awaiting.indexOf(w);
    if (i < 0) return;
    this.awaiting.splice(i, 1);
    this.o.clock.clearTimeout(w.timer);
    if (status === AtStatus.timeout) this.stats.timeouts++;
    w.result.ok = status === AtStatus.ok;
    w.result.status = status;
    if (final !== "") w.result.final = final;
    w.cmd.done(w.result);
  }

  private onLine(line: string): void {
    const a = this.active;
    if (a !== null) {
      if (a.bodyPending) {
        a.bodyPending = false;
        a.lines.push(line);
        return;
      }
      if (line === a.cmd.text) return; // echo
    }
    const claimed = a !== null && matchAny(line, a.cmd.claims);
    if (!claimed) {
      for (let i = 0; i < this.awaiting.length; i++) {
        const w = this.awaiting[i];
        if (matchAny(line, w.cmd.awaitOk)) {
          this.endAwait(w, AtStatus.ok, line);
          return;
        }
        if (matchAny(line, w.cmd.awaitFail)) {
          this.endAwait(w, AtStatus.fail, line);
          return;
        }
      }
      if (this.urcFn(line)) {
        this.stats.urcs++;
        return;
      }
    }
    if (a === null) {
      this.stats.unknown++;
      if (this.unknownFn !== null) this.unknownFn(line);
      return;
    }
    const cmd = a.cmd;
    if (line === "ERROR") {
      this.retryOrFinish(a, AtStatus.error, -1, line);
      return;
    }
    if (startsWith(line, "+CME ERROR:")) {
      this.retryOrFinish(a, AtStatus.cme, errorNumber(line, 11), line);
      return;
    }
    if (startsWith(line, "+CMS ERROR:")) {
      this.retryOrFinish(a, AtStatus.cms, errorNumber(line, 11), line);
      return;
    }
    if (matchAny(line, cmd.fails)) {
      this.finish(a, AtStatus.fail, -1, line);
      return;
    }
    const anyEnds = cmd.ends.length === 1 && cmd.ends[0] === "*";
    if ((anyEnds || matchAny(line, cmd.ends)) && (cmd.payload === null || a.payloadSent)) {
      this.finish(a, AtStatus.ok, -1, line);
      return;
    }
    a.lines.push(line);
    if (!claimed) return;
    if (cmd.bodyAfter !== "" && startsWith(line, cmd.bodyAfter)) a.bodyPending = true;
    if (cmd.rawAfter !== "" && cmd.rawLength !== null && startsWith(line, cmd.rawAfter)) {
      if (!this.parser.expectData(cmd.rawLength(line)))
        this.finish(a, AtStatus.badLength, -1, line);
    }
  }

  private onPrompt(): void {
    const a = this.active;
    if (a === null || a.cmd.payload === null || a.payloadSent) {
      this.stats.unexpectedPrompts++;
      return;
    }
    a.payloadSent = true;
    this.o.uart.write(a.cmd.payload);
    // The payload restarts the clock: sending it over a slow link takes time of its own.
    this.o.clock.clearTimeout(a.timer);
    a.timer = this.o.clock.setTimeout(() => this.onTimeout(a), a.cmd.timeoutMs);
  }

  private onData(b: Uint8Array): void {
    if (this.active === null) {
      this.stats.unexpectedData++;
      return;
    }
    this.active.blocks.push(b);
  }

  private discarded(reason: AtDiscardReason, n: number): void {
    this.stats.discards++;
    this.stats.discardedBytes += n;
    if (this.discardFn !== null) this.discardFn(reason, n);
  }
}

/** Latin-1 bytes of an ASCII string (AT commands are ASCII). */
export function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  return b;
}
