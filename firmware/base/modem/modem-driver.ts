// The home unit's GSM modem: bring-up, the packet context, recovery, and the TcpLink, SMS and
// call policies on top. States and the recovery ladder are tabled in README-modem.md.
//
//   off ─start─▶ booting ─▶ syncing ─▶ setup ─▶ sim_check ─▶ registering ─▶ attaching ─▶ context_up ─▶ ready
//
// Recovery ladder, each rung after `tries` failures of the one below, each wait an exponential
// backoff with jitter (backoff.ts):
//   1. socket:  a failed open/send or a remote close shuts the socket gate for socketBackoff;
//               the user's next open waits for it.
//   2. context: after socketTries socket failures (or a failed attach/context, or +PDP: DEACT):
//               context_wait for contextBackoff, then attach + CIPSHUT/CSTT/CIICR/CIFSR again.
//   3. reset:   after contextTries context cycles (or a dead/failed bring-up, or a power-down
//               URC): reset_wait for resetBackoff, then resetModem() and the whole bring-up.
// Bytes received on the socket prove the path works and clear the ladder.
//
// Every state entry bumps `epoch`; callbacks of commands and timers from an earlier state check
// it and do nothing, so an abandoned sequence cannot move the machine.

import { startsWith } from "@em-platform/protocol/core/bytes";
import type { Clock, Uart } from "../../hal/hal";
import type { TcpLink } from "../net/tcp-link";
import { AtEngine, type AtResult, atCommand, matchAny } from "./at-engine";
import { type Backoff, backoffDelay } from "./backoff";
import {
  type DialectStep,
  fieldsAfterColon,
  fillStep,
  type ModemDialect,
  parseCount,
} from "./modem-dialect";
import { ModemSocket } from "./modem-socket";
import { networkTimeMs, TimeReject } from "./network-time";
import { SmsPolicy } from "./sms";
import { CallPolicy } from "./voice-policy";

export const ModemState = {
  off: "off",
  booting: "booting",
  syncing: "syncing",
  setup: "setup",
  simCheck: "sim_check",
  registering: "registering",
  attaching: "attaching",
  contextUp: "context_up",
  ready: "ready",
  contextWait: "context_wait",
  resetWait: "reset_wait",
} as const;

export type ModemStateValue = (typeof ModemState)[keyof typeof ModemState];

export interface ModemTimings {
  /** Timeout of one "AT" probe while syncing. */
  syncProbeMs: number;
  simRetryMs: number;
  /** +CPIN? polls before the SIM is declared failed (→ reset rung). */
  simTries: number;
  regPollMs: number;
  /** No registration for this long → reset rung. */
  regTimeoutMs: number;
  signalPollMs: number;
  /** How long link.open() waits for the context before done(false). */
  openWaitMs: number;
  /** Socket failures before the context rung. */
  socketTries: number;
  /** Context cycles without success before the reset rung. */
  contextTries: number;
  socketBackoff: Backoff;
  contextBackoff: Backoff;
  resetBackoff: Backoff;
  clipWaitMs: number;
  ringGapMs: number;
}

/** How often the modem's clock is read again while registered. */
export const CLOCK_REFRESH_MS = 86400000;

export const DEFAULT_MODEM_TIMINGS: ModemTimings = {
  syncProbeMs: 500,
  simRetryMs: 2000,
  simTries: 10,
  regPollMs: 5000,
  regTimeoutMs: 180000,
  signalPollMs: 60000,
  openWaitMs: 120000,
  socketTries: 3,
  contextTries: 2,
  socketBackoff: { baseMs: 2000, capMs: 60000, jitter: 0.25 },
  contextBackoff: { baseMs: 10000, capMs: 300000, jitter: 0.25 },
  resetBackoff: { baseMs: 30000, capMs: 600000, jitter: 0.25 },
  clipWaitMs: 4000,
  ringGapMs: 8000,
};

export interface ModemDriverOptions {
  uart: Uart;
  clock: Clock;
  dialect: ModemDialect;
  apn: string;
  apnUser: string;
  apnPass: string;
  /** Connections over the modem's TLS (SPEC §13). */
  tls: boolean;
  /** Power-cycles (or pulses the reset line of) the modem; done() once it is powered again. */
  resetModem: (done: () => void) => void;
  /** Uniform in [0, 1): the backoff jitter. */
  random: () => number;
  /** Centre numbers whose SMS are accepted. */
  smsAllowed: string[];
  /** Officer numbers whose calls ring. */
  callersAllowed: string[];
  /** Network time for the unit's clock, UTC ms. */
  onTime: (utcMs: number) => void;
  /** The bytes of an accepted SMS (a downlink envelope to verify). */
  onSms: (bytes: Uint8Array, sender: string) => void;
  ringing: (on: boolean) => void;
  inCall: (on: boolean) => void;
  /** Every state change (ready: the link can open). */
  onState: (state: ModemStateValue) => void;
  /** null: DEFAULT_MODEM_TIMINGS. */
  timings: ModemTimings | null;
}

export interface ModemStats {
  /** Bring-ups started (start() and every reset rung). */
  boots: number;
  readies: number;
  syncFailures: number;
  setupFailures: number;
  simFailures: number;
  registrationTimeouts: number;
  registrationLosses: number;
  contextFailures: number;
  pdpDeacts: number;
  /** Rung 1: socket failures counted by the ladder. */
  socketFailures: number;
  /** Rung 2 entries. */
  contextRecoveries: number;
  /** Rung 3 entries. */
  modemResets: number;
  /** RDY while running: the modem restarted on its own. */
  unexpectedReboots: number;
  powerDowns: number;
  timeUpdates: number;
  timeRejected: number;
  signalPolls: number;
}

const SETTLE_MS = 100;
const MAX_LINE = 256;

export class ModemDriver {
  state: ModemStateValue = ModemState.off;
  /** Last +CSQ rssi: 0–31, 99 = unknown. */
  csq = 99;
  /** Last registration status (+CREG stat), -1 before any. */
  registration = -1;
  readonly stats: ModemStats = {
    boots: 0,
    readies: 0,
    syncFailures: 0,
    setupFailures: 0,
    simFailures: 0,
    registrationTimeouts: 0,
    registrationLosses: 0,
    contextFailures: 0,
    pdpDeacts: 0,
    socketFailures: 0,
    contextRecoveries: 0,
    modemResets: 0,
    unexpectedReboots: 0,
    powerDowns: 0,
    timeUpdates: 0,
    timeRejected: 0,
    signalPolls: 0,
  };
  readonly engine: AtEngine;
  readonly socket: ModemSocket;
  /** The TCP connection for the MQTT client. */
  readonly link: TcpLink;
  readonly sms: SmsPolicy;
  readonly calls: CallPolicy;
  private readonly o: ModemDriverOptions;
  private readonly d: ModemDialect;
  private readonly t: ModemTimings;
  private epoch = 0;
  private timer = 0;
  private pollTimer = 0;
  private signalTimer = 0;
  private socketRun = 0;
  private contextRun = 0;
  private resetRun = 0;
  /** Stored SMS and the RTC are read once per boot, at the first registration. */
  private firstRegistration = true;

  constructor(o: ModemDriverOptions) {
    this.o = o;
    this.d = o.dialect;
    this.t = o.timings !== null ? o.timings : DEFAULT_MODEM_TIMINGS;
    const d = this.d;
    this.engine = new AtEngine({
      uart: o.uart,
      clock: o.clock,
      maxLine: MAX_LINE,
      maxData: d.maxRead,
      settleMs: SETTLE_MS,
    });
    this.socket = new ModemSocket(
      this.engine,
      d,
      o.clock,
      { failed: () => this.socketFailed(), worked: () => this.worked() },
      this.t.openWaitMs,
      o.tls,
    );
    this.link = this.socket;
    this.sms = new SmsPolicy({
      engine: this.engine,
      dialect: d,
      clock: o.clock,
      allowed: o.smsAllowed,
      onMessage: o.onSms,
    });
    this.calls = new CallPolicy({
      engine: this.engine,
      dialect: d,
      clock: o.clock,
      allowed: o.callersAllowed,
      ringing: o.ringing,
      inCall: o.inCall,
      clipWaitMs: this.t.clipWaitMs,
      ringGapMs: this.t.ringGapMs,
    });
    this.registerUrcs();
  }

  /** Powers the modem up and brings it to ready (then keeps it there). */
  start(): void {
    if (this.state === ModemState.off) this.boot();
  }

  /** Abandons everything; the modem is left as it is. */
  stop(): void {
    this.leave(ModemState.off);
    this.calls.reset();
  }

  /** The subject pressed the answer button; true if it answered a ringing allowed call. */
  answerPressed(): boolean {
    return this.calls.answerPressed();
  }

  /** Sends an envelope (an alarm uplink) as one SMS; done(false) when not registered. */
  sendSms(number: string, envelope: Uint8Array, done: (ok: boolean) => void): void {
    if (!this.registered()) {
      this.o.clock.setTimeout(() => done(false), 0);
      return;
    }
    this.sms.send(number, envelope, done);
  }

  /**
   * Registered on the network (SMS can go), whatever the packet context does. Waiting for a
   * modem reset counts too when the network last said registered: the modem has not been reset
   * yet, and a packet outage that walked the ladder up to rung 3 must not hold an alarm SMS for
   * up to the reset backoff (10 min).
   */
  registered(): boolean {
    const s = this.state;
    if (s === ModemState.resetWait) return this.registration === 1 || this.registration === 5;
    return (
      s === ModemState.attaching ||
      s === ModemState.contextUp ||
      s === ModemState.ready ||
      s === ModemState.contextWait
    );
  }

  /** Signal strength in dBm from the last +CSQ (27.007 §8.5), or 0 when unknown. */
  signalDbm(): number {
    return this.csq >= 0 && this.csq <= 31 ? -113 + 2 * this.csq : 0;
  }

  // ---- URCs ----

  private registerUrcs(): void {
    this.engine.onUrc((line) => this.urc(line));
  }

  /** The dialect's unsolicited lines, first match in this order. */
  private urc(line: string): boolean {
    const d = this.d;
    if (matchAny(line, d.bootUrcs)) this.modemBooted();
    else if (matchAny(line, d.powerDownUrcs)) this.poweredDown();
    else if (startsWith(line, d.regPrefix)) this.regLine(line);
    else if (matchAny(line, d.timeUrcs)) this.timeLine(line);
    else if (matchAny(line, d.contextLostUrcs)) this.contextLost();
    else if (startsWith(line, d.dataUrc)) this.socket.dataWaiting();
    else if (matchAny(line, d.closedUrcs)) this.remoteClosed();
    else if (startsWith(line, d.smsNewUrc)) this.sms.indication(line);
    else if (startsWith(line, d.ringUrc)) this.calls.ring();
    else if (startsWith(line, d.callerIdUrc)) this.calls.callerId(line);
    else if (matchAny(line, d.callEndUrcs)) this.calls.ended();
    else return false;
    return true;
  }

  private modemBooted(): void {
    const s = this.state;
    if (s === ModemState.booting) {
      // Up before bootMs ran out: no need to wait longer.
      this.sync();
      return;
    }
    if (s === ModemState.off || s === ModemState.syncing || s === ModemState.resetWait) return;
    this.stats.unexpectedReboots++;
    this.calls.reset();
    this.firstRegistration = true;
    this.sync();
  }

  private poweredDown(): void {
    const s = this.state;
    if (s === ModemState.off || s === ModemState.booting || s === ModemState.resetWait) return;
    this.stats.powerDowns++;
    this.calls.reset();
    this.climbToReset();
  }

  private contextLost(): void {
    if (this.state !== ModemState.ready && this.state !== ModemState.contextUp) return;
    this.stats.pdpDeacts++;
    this.contextFailed();
  }

  private remoteClosed(): void {
    this.socket.remoteClosed();
  }

  private timeLine(line: string): void {
    const ms = networkTimeMs(line);
    if (ms >= 0) {
      this.stats.timeUpdates++;
      this.o.onTime(ms);
    } else if (ms !== TimeReject.noTime) this.stats.timeRejected++;
  }

  /** +CREG: <stat> (URC, n=1) or +CREG: <n>,<stat>[,…] (query reply). */
  private regLine(line: string): void {
    const f = fieldsAfterColon(line);
    const stat = parseCount(f.length === 1 ? f[0] : f[1] || "");
    if (stat < 0) return;
    this.registration = stat;
    const on = stat === 1 || stat === 5;
    if (on && this.state === ModemState.registering) this.attach();
    else if (!on && this.registered()) {
      this.stats.registrationLosses++;
      this.registering();
    }
  }

  // ---- states ----

  /** Leaves the current state: cancels its timers and marks its callbacks stale. */
  private leave(next: ModemStateValue): number {
    this.epoch++;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    if (this.pollTimer) this.o.clock.clearInterval(this.pollTimer);
    this.timer = 0;
    this.pollTimer = 0;
    if (next !== ModemState.ready) this.socket.netDown();
    if (
      next === ModemState.off ||
      next === ModemState.booting ||
      next === ModemState.syncing ||
      next === ModemState.resetWait
    ) {
      if (this.signalTimer) this.o.clock.clearInterval(this.signalTimer);
      this.signalTimer = 0;
      this.engine.abortAll();
    }
    this.state = next;
    this.o.onState(next);
    return this.epoch;
  }

  private boot(): void {
    const e = this.leave(ModemState.booting);
    this.registration = -1;
    this.stats.boots++;
    this.firstRegistration = true;
    this.o.resetModem(() => {
      if (e !== this.epoch) return;
      this.timer = this.o.clock.setTimeout(() => {
        if (e === this.epoch) this.sync();
      }, this.d.bootMs);
    });
  }

  private sync(): void {
    const e = this.leave(ModemState.syncing);
    this.probe(e, 1);
  }

  private probe(e: number, n: number): void {
    const cmd = atCommand("AT", this.t.syncProbeMs, 0);
    cmd.done = (r: AtResult) => {
      if (e !== this.epoch) return;
      if (r.ok) this.setup();
      else if (n < this.d.syncTries) this.probe(e, n + 1);
      else {
        this.stats.syncFailures++;
        this.climbToReset();
      }
    };
    this.engine.send(cmd);
  }

  private setup(): void {
    const e = this.leave(ModemState.setup);
    this.steps(e, this.d.setup, 0, (ok) => {
      if (ok) {
        this.startSignalPolls();
        this.simCheck(1);
        return;
      }
      this.stats.setupFailures++;
      this.climbToReset();
    });
  }

  private simCheck(n: number): void {
    const e = n === 1 ? this.leave(ModemState.simCheck) : this.epoch;
    const cmd = fillStep(this.d.simQuery, [], []);
    cmd.done = (r: AtResult) => {
      if (e !== this.epoch) return;
      if (r.ok && hasLine(r.lines, this.d.simReady)) {
        this.registering();
        return;
      }
      if (n >= this.t.simTries) {
        this.stats.simFailures++;
        this.climbToReset();
        return;
      }
      this.timer = this.o.clock.setTimeout(() => {
        if (e === this.epoch) this.simCheck(n + 1);
      }, this.t.simRetryMs);
    };
    this.engine.send(cmd);
  }

  private registering(): void {
    const e = this.leave(ModemState.registering);
    this.timer = this.o.clock.setTimeout(() => {
      if (e !== this.epoch) return;
      this.stats.registrationTimeouts++;
      this.climbToReset();
    }, this.t.regTimeoutMs);
    this.pollTimer = this.o.clock.setInterval(() => {
      if (!this.engine.busy()) this.queryRegistration();
    }, this.t.regPollMs);
    this.queryRegistration();
  }

  private queryRegistration(): void {
    const cmd = fillStep(this.d.regQuery, [], []);
    cmd.done = (r: AtResult) => {
      for (let i = 0; i < r.lines.length; i++)
        if (startsWith(r.lines[i], this.d.regPrefix)) this.regLine(r.lines[i]);
    };
    this.engine.send(cmd);
  }

  private attach(): void {
    const e = this.leave(ModemState.attaching);
    const cmd = fillStep(this.d.attach, [], []);
    cmd.done = (r: AtResult) => {
      if (e !== this.epoch) return;
      if (r.ok) this.contextUp();
      else this.contextFailed();
    };
    this.engine.send(cmd);
    if (this.firstRegistration) {
      this.firstRegistration = false;
      this.sms.readStored();
      this.queryClock();
    }
  }

  private contextUp(): void {
    const e = this.leave(ModemState.contextUp);
    const down = fillStep(this.d.contextDown, [], []);
    down.done = (r: AtResult) => {
      if (e !== this.epoch) return;
      if (!r.ok) {
        this.contextFailed();
        return;
      }
      this.steps(e, this.d.contextUp, 0, (ok) => {
        if (ok) this.ready();
        else this.contextFailed();
      });
    };
    this.engine.send(down);
  }

  private ready(): void {
    this.leave(ModemState.ready);
    this.stats.readies++;
    this.socket.netReady();
  }

  private steps(e: number, list: DialectStep[], i: number, done: (ok: boolean) => void): void {
    if (i >= list.length) {
      done(true);
      return;
    }
    const o = this.o;
    const cmd = fillStep(list[i], ["apn", "user", "pass"], [o.apn, o.apnUser, o.apnPass]);
    cmd.done = (r: AtResult) => {
      if (e !== this.epoch) return;
      if (r.ok) this.steps(e, list, i + 1, done);
      else done(false);
    };
    this.engine.send(cmd);
  }

  private queryClock(): void {
    const cmd = fillStep(this.d.clockQuery, [], []);
    cmd.done = (r: AtResult) => {
      const prefix = cmd.claims[0];
      for (let i = 0; i < r.lines.length; i++)
        if (startsWith(r.lines[i], prefix)) this.timeLine(r.lines[i]);
    };
    this.engine.send(cmd);
  }

  private startSignalPolls(): void {
    if (this.signalTimer) return;
    this.signalTimer = this.o.clock.setInterval(() => {
      if (!this.engine.busy()) this.pollSignal();
    }, this.t.signalPollMs);
  }

  private pollSignal(): void {
    this.stats.signalPolls++;
    // Once a day the modem's clock is read again: NITZ keeps it (on each re-registration, where
    // the network sends it) while the unit's own clock drifts, and without a refresh the clock
    // keeper would call a week-old time unsynchronised. What it may move is bounded there.
    if (this.stats.signalPolls % Math.round(CLOCK_REFRESH_MS / this.t.signalPollMs) === 0)
      this.queryClock();
    const cmd = fillStep(this.d.signalQuery, [], []);
    cmd.done = (r: AtResult) => {
      for (let i = 0; i < r.lines.length; i++) {
        if (!startsWith(r.lines[i], this.d.signalPrefix)) continue;
        const v = parseCount(fieldsAfterColon(r.lines[i])[0]);
        if (v >= 0 && (v <= 31 || v === 99)) this.csq = v;
      }
    };
    this.engine.send(cmd);
  }

  // ---- the recovery ladder ----

  private worked(): void {
    this.socketRun = 0;
    this.contextRun = 0;
    this.resetRun = 0;
  }

  /** Rung 1: shut the socket gate for a backoff, or climb after socketTries. */
  private socketFailed(): void {
    this.stats.socketFailures++;
    this.socketRun++;
    if (this.socketRun >= this.t.socketTries) {
      this.socketRun = 0;
      this.contextFailed();
      return;
    }
    const wait = backoffDelay(this.t.socketBackoff, this.socketRun, this.o.random);
    this.socket.holdUntil(this.o.clock.monotonic() + wait);
  }

  /** Rung 2: context down, wait, attach and bring it up again; or climb after contextTries. */
  private contextFailed(): void {
    this.stats.contextFailures++;
    if (this.contextRun >= this.t.contextTries) {
      this.climbToReset();
      return;
    }
    this.contextRun++;
    this.stats.contextRecoveries++;
    const wait = backoffDelay(this.t.contextBackoff, this.contextRun, this.o.random);
    const e = this.leave(ModemState.contextWait);
    this.timer = this.o.clock.setTimeout(() => {
      if (e === this.epoch) this.attach();
    }, wait);
  }

  /** Rung 3: wait, then power-cycle and bring everything up again. */
  private climbToReset(): void {
    this.socketRun = 0;
    this.contextRun = 0;
    this.resetRun++;
    this.stats.modemResets++;
    const wait = backoffDelay(this.t.resetBackoff, this.resetRun, this.o.random);
    const e = this.leave(ModemState.resetWait);
    this.timer = this.o.clock.setTimeout(() => {
      if (e === this.epoch) this.boot();
    }, wait);
  }
}

function hasLine(lines: string[], text: string): boolean {
  for (let i = 0; i < lines.length; i++) if (lines[i] === text) return true;
  return false;
}
