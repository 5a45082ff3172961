// Incoming calls: only the supervising officer may call, and only the subject can answer.
//
// RING comes first, then (AT+CLIP=1) +CLIP: "<number>",<type>,… with the caller's number. An
// allowed number makes the unit ring audibly — ringing(true); the app drives the buzzer — and
// the call is answered (ATA) only when the app calls answerPressed() while it still rings: the
// unit never answers by itself (ATS0=0 in the dialect's setup keeps the modem from doing so
// too). Any other number, a withheld one (empty), or no +CLIP within clipWaitMs of the first RING
// is rejected at once with ATH, ahead of any queued command.
//
//   idle ─RING─▶ announced ─+CLIP allowed─▶ ringing ─answerPressed─▶ answering ─OK─▶ active
//     ▲              │ +CLIP other / no +CLIP in clipWaitMs             │ NO CARRIER   │
//     │              ▼                                                 ▼              │
//     └──────── rejecting (ATH) ◀───── NO CARRIER / BUSY / NO ANSWER, or no RING in ringGapMs
//
// ringing(false) follows every ringing(true): on answer, call end, ring gap, or reset().

import type { Clock } from "../../hal/hal";
import type { AtEngine, AtResult } from "./at-engine";
import { fieldsAfterColon, fillStep, type ModemDialect } from "./modem-dialect";
import { isAllowed } from "./sms";

export const CallState = {
  idle: "idle",
  announced: "announced",
  ringing: "ringing",
  answering: "answering",
  active: "active",
  rejecting: "rejecting",
} as const;

export type CallStateValue = (typeof CallState)[keyof typeof CallState];

export interface CallStats {
  rings: number;
  rejected: number;
  answered: number;
  /** Allowed calls that ended (or stopped ringing) before the button was pressed. */
  missed: number;
}

export interface CallOptions {
  engine: AtEngine;
  dialect: ModemDialect;
  clock: Clock;
  /** The officer numbers, exactly as +CLIP presents them. */
  allowed: string[];
  /** Ring audibly (true) or stop (false). */
  ringing: (on: boolean) => void;
  /** A call was answered (true) or has ended (false). */
  inCall: (on: boolean) => void;
  /** Longest wait for +CLIP after the first RING. */
  clipWaitMs: number;
  /** A ringing call with no RING for this long has been given up by the caller. */
  ringGapMs: number;
}

export class CallPolicy {
  state: CallStateValue = CallState.idle;
  /** The number of the call being announced or held, "" when none. */
  caller = "";
  readonly stats: CallStats = { rings: 0, rejected: 0, answered: 0, missed: 0 };
  private readonly o: CallOptions;
  private timer = 0;
  private call = 0;

  constructor(o: CallOptions) {
    this.o = o;
  }

  /** The RING URC. */
  ring(): void {
    this.stats.rings++;
    if (this.state === CallState.idle) {
      this.state = CallState.announced;
      this.arm(this.o.clipWaitMs);
    } else if (this.state === CallState.ringing) this.arm(this.o.ringGapMs);
  }

  /** The caller-id URC. */
  callerId(line: string): void {
    if (this.state !== CallState.idle && this.state !== CallState.announced) return;
    const number = fieldsAfterColon(line)[0] || "";
    this.caller = number;
    if (!isAllowed(this.o.allowed, number)) {
      this.reject();
      return;
    }
    this.state = CallState.ringing;
    this.arm(this.o.ringGapMs);
    this.o.ringing(true);
  }

  /** The subject pressed the answer button. True if that answered a ringing call. */
  answerPressed(): boolean {
    if (this.state !== CallState.ringing) return false;
    this.disarm();
    this.state = CallState.answering;
    this.o.ringing(false);
    const call = ++this.call;
    const cmd = fillStep(this.o.dialect.answer, [], []);
    cmd.done = (r: AtResult) => {
      if (call !== this.call) return;
      if (r.ok) {
        this.state = CallState.active;
        this.stats.answered++;
        this.o.inCall(true);
      } else this.toIdle();
    };
    this.o.engine.sendFirst(cmd);
    return true;
  }

  /** A call-end URC (NO CARRIER, BUSY, NO ANSWER). */
  ended(): void {
    const was = this.state;
    if (was === CallState.idle || was === CallState.rejecting) return;
    this.call++;
    this.finish(was);
  }

  /** The modem restarted: whatever call there was is gone. */
  reset(): void {
    this.call++;
    this.finish(this.state);
  }

  private finish(was: CallStateValue): void {
    this.disarm();
    this.toIdle();
    if (was === CallState.ringing) {
      this.stats.missed++;
      this.o.ringing(false);
    } else if (was === CallState.active) this.o.inCall(false);
  }

  private reject(): void {
    this.disarm();
    this.state = CallState.rejecting;
    this.stats.rejected++;
    const call = ++this.call;
    const cmd = fillStep(this.o.dialect.hangUp, [], []);
    cmd.done = () => {
      if (call === this.call) this.toIdle();
    };
    this.o.engine.sendFirst(cmd);
  }

  private toIdle(): void {
    this.state = CallState.idle;
    this.caller = "";
  }

  private arm(ms: number): void {
    this.disarm();
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = 0;
      if (this.state === CallState.announced) this.reject();
      else if (this.state === CallState.ringing) this.finish(CallState.ringing);
    }, ms);
  }

  private disarm(): void {
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = 0;
  }
}
