// Alarms out and commands in by SMS (SPEC §12), in 27.005 text mode.
//
// Out: the envelope as "EM1:" + base64url text; AT+CMGS="number" → "> " → text + Ctrl-Z (0x1A)
// → +CMGS: <mr> / OK. Never retried here (a retry could send the alarm twice; the app's queue
// decides, and the centre drops a duplicate by its seq anyway).
//
// In: +CMTI → AT+CMGR=<index> → the sender must be in the allow-list (exact match of the number
// as the network presents it, e.g. "+447700900123") → decodeSmsText → bytes to onMessage, where
// the app verifies the signature. The message is deleted (AT+CMGD=<index>) whatever the outcome,
// so the SIM never fills up and nothing is processed twice. At bring-up, AT+CMGL="ALL" reads what
// arrived while the unit was off; each listed message is handled the same way and deleted by its
// own index (a blanket delete could remove one that arrived between the list and the delete).

import { startsWith } from "@em-platform/protocol/core/bytes";
import { decodeSmsText, encodeSmsText, SMS_MAX_CHARS } from "@em-platform/protocol/core/sms-text";
import type { Clock } from "../../hal/hal";
import { type AtEngine, type AtResult, asciiBytes } from "./at-engine";
import { fieldsAfterColon, fillStep, type ModemDialect, parseCount } from "./modem-dialect";

const CTRL_Z = 0x1a;

export interface SmsStats {
  sent: number;
  sendFailed: number;
  /** Messages read (new and stored). */
  received: number;
  /** From a number not in the allow-list: dropped. */
  unknownSender: number;
  /** From an allowed number but not valid EM1 text: dropped. */
  badText: number;
  /** Handed to onMessage. */
  delivered: number;
  /** Reads that failed (the message is deleted anyway). */
  readFailed: number;
}

export interface SmsOptions {
  engine: AtEngine;
  dialect: ModemDialect;
  clock: Clock;
  /** Numbers whose messages are accepted (the centre's). */
  allowed: string[];
  /** The decoded bytes of an accepted message; the app verifies the envelope. */
  onMessage: (bytes: Uint8Array, sender: string) => void;
}

export class SmsPolicy {
  readonly stats: SmsStats = {
    sent: 0,
    sendFailed: 0,
    received: 0,
    unknownSender: 0,
    badText: 0,
    delivered: 0,
    readFailed: 0,
  };
  private readonly o: SmsOptions;

  constructor(o: SmsOptions) {
    this.o = o;
  }

  /** Sends one envelope as one SMS; done(true) once the modem reports +CMGS. */
  send(number: string, envelope: Uint8Array, done: (ok: boolean) => void): void {
    const text = encodeSmsText(envelope);
    if (text.length > SMS_MAX_CHARS) {
      this.stats.sendFailed++;
      this.o.clock.setTimeout(() => done(false), 0);
      return;
    }
    const cmd = fillStep(this.o.dialect.smsSend, ["number"], [number]);
    const payload = asciiBytes(text + String.fromCharCode(CTRL_Z));
    cmd.payload = payload;
    cmd.done = (r: AtResult) => {
      if (r.ok) this.stats.sent++;
      else this.stats.sendFailed++;
      done(r.ok);
    };
    this.o.engine.send(cmd);
  }

  /** The new-message URC: +CMTI: "SM",<index>. */
  indication(line: string): void {
    const index = parseCount(fieldsAfterColon(line)[1] || "");
    if (index >= 0) this.read(index);
  }

  /** Reads, handles and deletes every stored message. */
  readStored(): void {
    const d = this.o.dialect;
    const cmd = fillStep(d.smsList, [], []);
    const header = cmd.claims[0];
    cmd.bodyAfter = header;
    cmd.done = (r: AtResult) => {
      if (!r.ok) return;
      for (let i = 0; i < r.lines.length; i++) {
        if (!startsWith(r.lines[i], header)) continue;
        const f = fieldsAfterColon(r.lines[i]);
        const index = parseCount(f[0]);
        const text = i + 1 < r.lines.length ? r.lines[i + 1] : "";
        this.handle(f[d.smsListSenderField] || "", text);
        if (index >= 0) this.remove(index);
      }
    };
    this.o.engine.send(cmd);
  }

  private read(index: number): void {
    const d = this.o.dialect;
    const cmd = fillStep(d.smsRead, ["index"], [String(index)]);
    const header = cmd.claims[0];
    cmd.bodyAfter = header;
    cmd.done = (r: AtResult) => {
      let found = false;
      for (let i = 0; r.ok && i < r.lines.length; i++) {
        if (!startsWith(r.lines[i], header)) continue;
        found = true;
        const text = i + 1 < r.lines.length ? r.lines[i + 1] : "";
        this.handle(fieldsAfterColon(r.lines[i])[d.smsReadSenderField] || "", text);
        break;
      }
      if (!found) this.stats.readFailed++;
      this.remove(index);
    };
    this.o.engine.send(cmd);
  }

  private remove(index: number): void {
    this.o.engine.send(fillStep(this.o.dialect.smsDelete, ["index"], [String(index)]));
  }

  private handle(sender: string, text: string): void {
    this.stats.received++;
    if (!isAllowed(this.o.allowed, sender)) {
      this.stats.unknownSender++;
      return;
    }
    const r = decodeSmsText(text);
    if (!r.ok) {
      this.stats.badText++;
      return;
    }
    this.stats.delivered++;
    this.o.onMessage(r.value, sender);
  }
}

/** Exact match; an empty (withheld) number is never allowed. */
export function isAllowed(allowed: string[], number: string): boolean {
  if (number === "") return false;
  for (let i = 0; i < allowed.length; i++) if (allowed[i] === number) return true;
  return false;
}
