// What differs between modem families, as data: the driver (modem-driver.ts) speaks only
// through a ModemDialect, so a SIM7600- or BG96-class modem is a new table (see the comparison
// in dialect-sim800.ts), not a new driver.
//
// A step's text is a template: {apn} {user} {pass} {host} {port} {n} {index} {number} are
// filled in by fillStep(). Device code: plain objects, no spread (a new table copies fields).
// Neither `|` nor `~` may appear in a step's text or lines (they pack a step: DialectStep).

import { findText } from "@em-platform/protocol/core/bytes";
import { type AtCommand, atCommand } from "./at-engine";

/**
 * One AT command as the table describes it, packed in one string (the fields of AtCommand):
 * `text|timeoutMs|retries|claims|ends|fails|awaitOk|awaitFail|awaitMs`, a list's items joined by
 * `~`, empty trailing fields left off. A string, not an object of ten fields and five arrays:
 * measured on Espruino 2v29 the SIM800 table cost ~900 variables as objects, for the whole life
 * of the unit; a command is unpacked (fillStep) only while it runs. Build one with step().
 */
export type DialectStep = string;

export interface ModemDialect {
  name: string;
  /** After a power-on or reset, wait this long before the first AT (the UART is not up). */
  bootMs: number;
  /** "AT" probes (500 ms each) before the modem is declared dead. */
  syncTries: number;
  /** Lines a modem prints when it has just (re)booted on its own. */
  bootUrcs: string[];
  /** Lines announcing that the modem is switching itself off. */
  powerDownUrcs: string[];
  /** Settings after the first OK, in order; each must end OK. */
  setup: DialectStep[];

  simQuery: DialectStep;
  simReady: string;
  /** Registration query; its reply and the URC share `regPrefix`. */
  regQuery: DialectStep;
  regPrefix: string;
  signalQuery: DialectStep;
  signalPrefix: string;
  clockQuery: DialectStep;
  /** Lines that may carry network time (parsed by network-time.ts). */
  timeUrcs: string[];

  attach: DialectStep;
  /** Run after contextDown every time (SIM800 accepts CSTT only from IP INITIAL, i.e. after
   * CIPSHUT), so a context is always brought up from a known state. */
  contextUp: DialectStep[];
  contextDown: DialectStep;
  contextLostUrcs: string[];

  /** {host} {port}. */
  open: DialectStep;
  /** Sent before each `open` of a unit set for TLS: the next connection is TLS, the modem's own
   * (the unit's JavaScript never sees a handshake). It must end OK, or nothing is opened. */
  secure: DialectStep;
  /** {n}: prompt, then exactly n bytes. */
  send: DialectStep;
  maxSend: number;
  /** Data waiting to be read. */
  dataUrc: string;
  /** {n}: reads up to n bytes; the header line starts with readHeader and a raw block follows. */
  read: DialectStep;
  readHeader: string;
  /** Comma-separated fields after the header's colon: which holds the block length, which the
   * bytes still buffered (-1: not reported; read again until a read returns 0). */
  readLengthField: number;
  readLeftField: number;
  maxRead: number;
  close: DialectStep;
  closedUrcs: string[];

  /** {number}: prompt, then the text and Ctrl-Z. */
  smsSend: DialectStep;
  smsNewUrc: string;
  /** {index}: header (claims[0]) then the text line. */
  smsRead: DialectStep;
  smsDelete: DialectStep;
  /** Every stored message: header (claims[0]) + text line each. */
  smsList: DialectStep;
  /** In the read header: which comma-separated field is the sender (0-based). */
  smsReadSenderField: number;
  smsListSenderField: number;

  ringUrc: string;
  callerIdUrc: string;
  callEndUrcs: string[];
  answer: DialectStep;
  hangUp: DialectStep;
}

/**
 * A step: final OK unless `ends` says otherwise; `claims` are information lines it takes, `fails`
 * finals that fail it; `awaitOk`/`awaitFail` lines arriving after the final, within `awaitMs`.
 */
export function step(
  text: string,
  timeoutMs: number,
  retries: number,
  claims?: string[],
  ends?: string[],
  fails?: string[],
  awaitOk?: string[],
  awaitFail?: string[],
  awaitMs?: number,
): DialectStep {
  const f = [
    text,
    String(timeoutMs),
    String(retries),
    (claims || []).join("~"),
    (ends || []).join("~"),
    (fails || []).join("~"),
    (awaitOk || []).join("~"),
    (awaitFail || []).join("~"),
    String(awaitMs || 0),
  ];
  let n = f.length;
  while (n > 3 && (f[n - 1] === "" || f[n - 1] === "0")) n--;
  return f.slice(0, n).join("|");
}

/** The AT text of a step, its {key} placeholders unfilled. */
export function stepText(s: DialectStep): string {
  return s.split("|")[0];
}

function list(f: string[], i: number): string[] {
  return i < f.length && f[i] !== "" ? f[i].split("~") : [];
}

/** The step's text with each {key} replaced by its value. Not split() and not a bare indexOf():
 * on Espruino 2v29 split returns [] when the separator is 2+ characters longer than the text
 * ("ATE0"), and indexOf also "finds" a needle running past the end (findText, firmware/README.md
 * "Engine differences"). */
export function fillText(text: string, keys: string[], values: string[]): string {
  let t = text;
  for (let i = 0; i < keys.length; i++) {
    const k = "{" + keys[i] + "}";
    let at = findText(t, k, 0);
    while (at >= 0) {
      t = t.slice(0, at) + values[i] + t.slice(at + k.length);
      at = findText(t, k, at + values[i].length);
    }
  }
  return t;
}

/** An engine command from a step (the caller sets done, payload, bodyAfter, raw…). */
export function fillStep(s: DialectStep, keys: string[], values: string[]): AtCommand {
  const f = s.split("|");
  const c = atCommand(fillText(f[0], keys, values), Number(f[1]), Number(f[2]));
  c.claims = list(f, 3);
  const ends = list(f, 4);
  if (ends.length > 0) c.ends = ends;
  c.fails = list(f, 5);
  c.awaitOk = list(f, 6);
  c.awaitFail = list(f, 7);
  c.awaitMs = f.length > 8 ? Number(f[8]) : 0;
  return c;
}

/** The comma-separated fields after the first ':' of a line, spaces and quotes kept. */
export function fieldsAfterColon(line: string): string[] {
  const colon = line.indexOf(":");
  return splitFields(colon < 0 ? line : line.substring(colon + 1));
}

/** Splits on commas outside double quotes; strips the quotes and surrounding spaces. */
export function splitFields(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      out.push(trimSpaces(cur));
      cur = "";
    } else cur += c;
  }
  out.push(trimSpaces(cur));
  return out;
}

function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charAt(a) === " ") a++;
  while (b > a && s.charAt(b - 1) === " ") b--;
  return s.substring(a, b);
}

/** A non-negative decimal integer (at most 9 digits); -1 otherwise. */
export function parseCount(s: string): number {
  if (s.length === 0 || s.length > 9) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
