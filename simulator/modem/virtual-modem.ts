// A virtual SIM800 on a virtual UART: the home unit's firmware writes AT command lines to
// `modem.uart` and gets back, after realistic latencies on the injected Clock, the bytes a real
// SIM800 would send — echo, information lines, final results, "> " prompts, raw socket blocks and
// unsolicited result codes. AT+CIPSTART opens a real TCP connection (node:net by default).
//
// Reply texts follow the SIM800 Series AT Command Manual V1.09 and the driver's table
// (firmware/base/modem/dialect-sim800.ts). Every response line is framed "\r\n<text>\r\n"
// (ATV1); the echo (ATE1, the power-on default) repeats each received byte as it arrives.
//
// The TCP/IP application state machine is the manual's single-connection one (§8.2.2 states):
//
//   IP INITIAL ─CSTT─▶ IP START ─CIICR─▶ IP GPRSACT ─CIFSR─▶ IP STATUS ─CIPSTART─▶ TCP CONNECTING
//   TCP CONNECTING ─(handshake)─▶ CONNECT OK | TCP CLOSED (CONNECT FAIL)
//   CONNECT OK ─CIPCLOSE / far end closes─▶ TCP CLOSED ─CIPSTART─▶ TCP CONNECTING
//   any context state ─packet data lost─▶ PDP DEACT ("+PDP: DEACT")     any ─CIPSHUT─▶ IP INITIAL
//
// State changes happen when the command line arrives; only the bytes are delayed. Output goes
// through one ordered queue, so replies and URCs never overtake each other.

import type { Clock, Uart } from "../../firmware/hal/hal";
import { type AtCommandLine, AtForm, intArg, parseAtLine } from "./at-command-line";
import { ModemFaults } from "./faults";
import { type ModemLatency, SIM800_LATENCY } from "./latency";
import {
  CallState,
  type Network,
  type NetworkEndpoint,
  type Subscriber,
  type VoiceCall,
} from "./network";
import { SeededRandom } from "./seeded-random";
import { SmsStore } from "./sms-store";
import { NodeTcpConnector, type TcpConnection, type TcpConnector } from "./tcp-connector";

export const IpState = {
  initial: "IP INITIAL",
  start: "IP START",
  config: "IP CONFIG",
  gprsAct: "IP GPRSACT",
  status: "IP STATUS",
  connecting: "TCP CONNECTING",
  connected: "CONNECT OK",
  closed: "TCP CLOSED",
  pdpDeact: "PDP DEACT",
} as const;

export type IpStateValue = (typeof IpState)[keyof typeof IpState];

export type SimState = "ready" | "absent" | "pin";

export interface VirtualModemOptions {
  clock: Clock;
  network: Network;
  /** This SIM's number (MSISDN), e.g. "+37120000001". */
  number: string;
  /** The network area the unit is in; null = always covered. */
  area: string | null;
  /** Replaces entries of SIM800_LATENCY. */
  latency?: Partial<ModemLatency>;
  /** Seeds the latency jitter. */
  seed?: number;
  faults?: ModemFaults;
  /** Default: real TCP (node:net) with the manual's 75 s connect limit. */
  tcp?: TcpConnector;
  sim?: SimState;
  /** SMS slots on the SIM. Default 30. */
  smsSlots?: number;
  /** Received socket bytes the modem holds before it stops reading the socket. Default 8192. */
  rxBufferBytes?: number;
  /** The address AT+CIFSR reports. */
  ip?: string;
  /** Start booting at construction (as if PWRKEY were held). Default true. */
  autoBoot?: boolean;
}

export interface ModemStats {
  commands: number;
  errors: number;
  urcs: number;
  bytesToUnit: number;
  bytesFromUnit: number;
  /** Bytes that arrived while the modem was off or still booting (lost). */
  bytesLost: number;
  tcpOpens: number;
  tcpBytesSent: number;
  tcpBytesReceived: number;
  smsSent: number;
  smsReceived: number;
  /** Incoming SMS refused for a full memory (the network retries later). */
  smsRefused: number;
}

/** The longest command line the SIM800 takes (manual §1.4.2). */
const MAX_LINE = 556;
/** AT+CIPSEND=? reports 1460 for a single connection; also the largest CIPRXGET block. */
const MAX_SEGMENT = 1460;
export const RING_EVERY_MS = 3000;
const CTRL_Z = 0x1a;
const ESC = 0x1b;
const CR = 13;
const LF = 10;
const BACKSPACE = 8;
const RTC_DEFAULT_MS = Date.UTC(2004, 0, 1);

const Power = { off: 0, booting: 1, on: 2 } as const;
const Input = { command: 0, ipData: 1, smsText: 2 } as const;

interface Connection {
  tcp: TcpConnection | null;
  /** When the last scheduled byte towards the unit / the network is due (monotonic ms): a
   * radio link delivers a byte stream in order, however the per-chunk latency is jittered. */
  downDue: number;
  upDue: number;
}

interface Pending {
  at: number;
  bytes: Uint8Array;
}

function latin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  return b;
}

function framed(lines: string[]): string {
  let s = "";
  for (let i = 0; i < lines.length; i++) s += "\r\n" + lines[i] + "\r\n";
  return s;
}

function two(n: number): string {
  return (n < 10 ? "0" : "") + n;
}

/** "yy/MM/dd,hh:mm:ss±zz" for a local time (ms) and a zone in quarter hours. */
export function stampText(localMs: number, zoneQuarters: number): string {
  const d = new Date(localMs);
  const z = Math.abs(zoneQuarters);
  return (
    two(d.getUTCFullYear() % 100) +
    "/" +
    two(d.getUTCMonth() + 1) +
    "/" +
    two(d.getUTCDate()) +
    "," +
    two(d.getUTCHours()) +
    ":" +
    two(d.getUTCMinutes()) +
    ":" +
    two(d.getUTCSeconds()) +
    (zoneQuarters < 0 ? "-" : "+") +
    two(z)
  );
}

export class VirtualModem implements NetworkEndpoint {
  readonly number: string;
  readonly clock: Clock;
  readonly network: Network;
  readonly subscriber: Subscriber;
  readonly latency: ModemLatency;
  readonly faults: ModemFaults;
  readonly sms: SmsStore;
  readonly stats: ModemStats = {
    commands: 0,
    errors: 0,
    urcs: 0,
    bytesToUnit: 0,
    bytesFromUnit: 0,
    bytesLost: 0,
    tcpOpens: 0,
    tcpBytesSent: 0,
    tcpBytesReceived: 0,
    smsSent: 0,
    smsReceived: 0,
    smsRefused: 0,
  };
  /** The firmware's side of the serial line. */
  readonly uart: Uart;
  sim: SimState;

  private readonly tcp: TcpConnector;
  private readonly rng: SeededRandom;
  private readonly rxLimit: number;
  private readonly ip: string;
  private sink: ((chunk: Uint8Array) => void) | null = null;
  private readonly timers: { [id: number]: boolean } = {};
  private readonly out: Pending[] = [];
  private outTimer = 0;
  private lastOutAt = 0;

  // Everything below is lost on a reboot.
  private power: number = Power.off;
  private echo = true;
  private cmee = 0;
  private creg = 0;
  private clip = 0;
  private cmgf = 0;
  private cnmiMt = 0;
  private clts = 0;
  private rxMode = 0;
  /** AT+CIPSSL: the next CIPSTART is TLS. */
  private ssl = 0;
  private autoAnswer = 0;
  private simReady = false;
  private smsReady = false;
  private registered = false;
  private regTimer = 0;
  private ipState: IpStateValue = IpState.initial;
  private apn = "";
  private conn: Connection | null = null;
  private rx: Uint8Array[] = [];
  private rxTotal = 0;
  private rxAnnounced = false;
  private rxPaused = false;
  private input: number = Input.command;
  private line = "";
  private dataWant = 0;
  private data: number[] = [];
  private smsTo = "";
  private messageRef = 0;
  private call: VoiceCall | null = null;
  private ringTimer = 0;
  private rings = 0;
  private rtcLocalMs = RTC_DEFAULT_MS;
  private rtcZone = 0;
  private rtcAt = 0;

  constructor(o: VirtualModemOptions) {
    this.number = o.number;
    this.clock = o.clock;
    this.network = o.network;
    this.latency = Object.assign({}, SIM800_LATENCY, o.latency ?? {});
    this.faults = o.faults ?? new ModemFaults({});
    this.tcp = o.tcp ?? new NodeTcpConnector(75000);
    this.rng = new SeededRandom(o.seed ?? 7);
    this.sim = o.sim ?? "ready";
    this.sms = new SmsStore(o.smsSlots ?? 30);
    this.rxLimit = o.rxBufferBytes ?? 8192;
    this.ip = o.ip ?? "10.120.7.21";
    this.uart = {
      write: (d) => this.receive(d),
      onData: (fn) => {
        this.sink = fn;
      },
    };
    this.subscriber = o.network.attach(this, o.area === null ? null : o.network.area(o.area));
    if (o.autoBoot ?? true) this.powerOn();
  }

  // ---- power ---------------------------------------------------------------------------------

  /** PWRKEY: boots (no-op when already on or booting). */
  powerOn() {
    if (this.power !== Power.off) return;
    this.power = Power.booting;
    this.rtcLocalMs = RTC_DEFAULT_MS;
    this.rtcZone = 0;
    this.rtcAt = this.clock.monotonic();
    const l = this.latency;
    this.after(l.rdyMs, () => {
      this.power = Power.on;
      this.urc("RDY");
    });
    this.after(l.simMs, () => {
      this.urc("+CFUN: 1");
      if (this.sim === "absent") this.urc("+CPIN: NOT INSERTED");
      else if (this.sim === "pin") this.urc("+CPIN: SIM PIN");
      else {
        this.urc("+CPIN: READY");
        this.simReady = true;
        this.networkChanged();
      }
    });
    if (this.sim !== "ready") return this.scheduleRandomFaults();
    this.after(l.callReadyMs, () => this.urc("Call Ready"));
    this.after(l.smsReadyMs, () => {
      this.urc("SMS Ready");
      this.smsReady = true;
      this.network.retryPending(this.subscriber);
    });
    this.scheduleRandomFaults();
  }

  /** Power cut (or AT+CPOWD): everything in flight is lost, the socket is dropped. */
  powerOff() {
    this.resetVolatile();
    this.power = Power.off;
  }

  /** A spontaneous reset: state lost, then the boot lines ("RDY" …) again. */
  reboot() {
    this.faults.counts.reboots++;
    this.powerOff();
    this.powerOn();
  }

  /** The far end (or a middlebox) drops the TCP connection: "CLOSED" follows. */
  dropConnection(): boolean {
    const c = this.conn;
    if (c === null || this.ipState !== IpState.connected) return false;
    this.faults.counts.socketDrops++;
    if (c.tcp !== null) c.tcp.destroy();
    this.remoteClosed(c);
    return true;
  }

  isOn(): boolean {
    return this.power === Power.on;
  }

  /** For tests and the simulator's observers. */
  snapshot(): {
    ipState: IpStateValue;
    registered: boolean;
    echo: boolean;
    rxBuffered: number;
    inCall: boolean;
    storedSms: number;
  } {
    return {
      ipState: this.ipState,
      registered: this.registered,
      echo: this.echo,
      rxBuffered: this.rxTotal,
      inCall: this.call !== null,
      storedSms: this.sms.count(),
    };
  }

  private resetVolatile() {
    for (const id of Object.keys(this.timers)) this.clock.clearTimeout(Number(id));
    for (const id of Object.keys(this.timers)) delete this.timers[Number(id)];
    if (this.outTimer) this.clock.clearTimeout(this.outTimer);
    this.outTimer = 0;
    this.out.length = 0;
    if (this.conn !== null && this.conn.tcp !== null) this.conn.tcp.destroy();
    this.conn = null;
    const call = this.call;
    this.call = null;
    if (call !== null) call.end("network");
    this.echo = true;
    this.cmee = 0;
    this.creg = 0;
    this.clip = 0;
    this.cmgf = 0;
    this.cnmiMt = 0;
    this.clts = 0;
    this.rxMode = 0;
    this.ssl = 0;
    this.autoAnswer = 0;
    this.simReady = false;
    this.smsReady = false;
    this.registered = false;
    this.regTimer = 0;
    this.ipState = IpState.initial;
    this.apn = "";
    this.clearRx();
    this.input = Input.command;
    this.line = "";
    this.data = [];
    this.ringTimer = 0;
  }

  private scheduleRandomFaults() {
    const f = this.faults;
    const drop = f.nextGap(f.socketDropMeanMs);
    if (drop > 0)
      this.after(drop, () => {
        this.dropConnection();
        this.scheduleRandomFaults();
      });
    const reboot = f.nextGap(f.rebootMeanMs);
    if (reboot > 0) this.after(reboot, () => this.reboot());
  }

  // ---- timers and output ---------------------------------------------------------------------

  private after(ms: number, fn: () => void): number {
    const id = this.clock.setTimeout(() => {
      delete this.timers[id];
      fn();
    }, ms);
    this.timers[id] = true;
    return id;
  }

  private cancel(id: number) {
    if (id === 0 || !this.timers[id]) return;
    delete this.timers[id];
    this.clock.clearTimeout(id);
  }

  /** Runs fn after a jittered delay, but never before the previous chunk of the same stream. */
  private inOrder(conn: Connection, dir: "downDue" | "upDue", ms: number, fn: () => void): void {
    const now = this.clock.monotonic();
    const at = Math.max(now + this.jittered(ms), conn[dir]);
    conn[dir] = at;
    this.after(at - now, fn);
  }

  private jittered(ms: number): number {
    const j = this.latency.jitter;
    if (ms <= 0 || j <= 0) return ms;
    return Math.round(ms * (1 + j * (2 * this.rng.next() - 1)));
  }

  /** Queues bytes for the unit `delayMs` from now, never before what is already queued. */
  private emit(bytes: Uint8Array, delayMs: number) {
    const now = this.clock.monotonic();
    let at = Math.max(this.lastOutAt, now + delayMs);
    if (this.latency.baud > 0) at += (bytes.length * 10000) / this.latency.baud;
    this.lastOutAt = at;
    this.out.push({ at: at, bytes: bytes });
    if (this.outTimer === 0) this.armOut();
  }

  private armOut() {
    const wait = Math.max(0, Math.ceil(this.out[0].at - this.clock.monotonic()));
    this.outTimer = this.clock.setTimeout(() => this.flushOut(), wait);
  }

  private flushOut() {
    this.outTimer = 0;
    const now = this.clock.monotonic();
    while (this.out.length > 0 && this.out[0].at <= now + 1) {
      const p = this.out.shift() as Pending;
      const bytes = this.faults.filter(p.bytes);
      this.stats.bytesToUnit += bytes.length;
      if (bytes.length > 0 && this.sink !== null) this.sink(bytes);
    }
    if (this.out.length > 0 && this.outTimer === 0) this.armOut();
  }

  /** A command's response: information lines, then the final line (when not ""). */
  private reply(delayMs: number, lines: string[], final: string) {
    const all = final === "" ? lines : lines.concat([final]);
    const d = this.jittered(delayMs) + this.faults.extraDelay();
    const garbage = this.faults.garbageLine();
    if (garbage !== null) this.emit(garbage, d);
    this.emit(latin1(framed(all)), d);
  }

  private ok(delayMs: number) {
    this.reply(delayMs, [], "OK");
  }

  private error(delayMs: number) {
    this.stats.errors++;
    this.reply(delayMs, [], "ERROR");
  }

  /** +CME ERROR in the form AT+CMEE selects (0: plain ERROR, 1: number, 2: text). */
  private cmeError(delayMs: number, code: number, text: string) {
    this.stats.errors++;
    const line = this.cmee === 0 ? "ERROR" : "+CME ERROR: " + (this.cmee === 1 ? code : text);
    this.reply(delayMs, [], line);
  }

  private cmsError(delayMs: number, code: number, text: string) {
    this.stats.errors++;
    const line = this.cmee === 0 ? "ERROR" : "+CMS ERROR: " + (this.cmee === 1 ? code : text);
    this.reply(delayMs, [], line);
  }

  private urc(line: string) {
    this.urcAfter(line, 0);
  }

  private urcAfter(line: string, delayMs: number) {
    this.stats.urcs++;
    this.emit(latin1(framed([line])), delayMs);
  }

  // ---- input from the unit -------------------------------------------------------------------

  private receive(chunk: Uint8Array) {
    this.stats.bytesFromUnit += chunk.length;
    if (this.power !== Power.on) {
      this.stats.bytesLost += chunk.length;
      return;
    }
    const echoed: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.input === Input.ipData) this.ipDataByte(b, echoed);
      else if (this.input === Input.smsText) this.smsTextByte(b, echoed);
      else this.commandByte(b, echoed);
    }
    if (echoed.length > 0) this.emit(Uint8Array.from(echoed), 0);
  }

  private commandByte(b: number, echoed: number[]) {
    if (this.echo) echoed.push(b);
    if (b === LF) return;
    if (b === BACKSPACE) {
      this.line = this.line.substring(0, this.line.length - 1);
      return;
    }
    if (b !== CR) {
      if (this.line.length <= MAX_LINE) this.line += String.fromCharCode(b);
      return;
    }
    const text = this.line;
    this.line = "";
    if (echoed.length > 0) {
      // The echo of a line goes out before its response.
      this.emit(Uint8Array.from(echoed), 0);
      echoed.length = 0;
    }
    if (text.length > MAX_LINE) return this.error(this.latency.commandMs);
    this.commandLine(text);
  }

  private ipDataByte(b: number, echoed: number[]) {
    if (this.echo) echoed.push(b);
    if (this.dataWant === 0 && b === ESC) {
      this.input = Input.command;
      this.data = [];
      return this.ok(this.latency.commandMs);
    }
    if (this.dataWant === 0 && b === CTRL_Z) return this.finishIpSend();
    this.data.push(b);
    if (this.dataWant > 0 && this.data.length === this.dataWant) this.finishIpSend();
  }

  private smsTextByte(b: number, echoed: number[]) {
    if (this.echo && b !== CTRL_Z && b !== ESC) echoed.push(b);
    if (b === ESC) {
      this.input = Input.command;
      this.data = [];
      return this.ok(this.latency.commandMs);
    }
    if (b === CTRL_Z) return this.finishSms();
    this.data.push(b);
  }

  private commandLine(text: string) {
    const cmd = parseAtLine(text);
    if (cmd === null) return;
    this.stats.commands++;
    if (this.faults.takeSilence()) return;
    if (this.faults.takeError()) return this.error(this.latency.commandMs);
    this.dispatch(cmd);
  }

  private dispatch(c: AtCommandLine) {
    const l = this.latency;
    switch (c.name) {
      case "":
      case "&W":
      case "V":
      case "Q":
        return this.ok(l.commandMs);
      case "E":
        return this.setFlag(c, (v) => (this.echo = v === 1), 1);
      case "Z":
        this.echo = true;
        return this.ok(l.commandMs);
      case "I":
        return this.reply(l.commandMs, ["SIM800 R14.18"], "OK");
      case "S0":
        if (c.form === AtForm.read) return this.reply(l.commandMs, [String(this.autoAnswer)], "OK");
        return this.setFlag(c, (v) => (this.autoAnswer = v), 255);
      case "A":
        return this.answer();
      case "H":
        return this.hangUp();
      case "+CMEE":
        if (c.form === AtForm.read) return this.reply(l.commandMs, ["+CMEE: " + this.cmee], "OK");
        return this.setFlag(c, (v) => (this.cmee = v), 2);
      case "+CLIP":
        if (c.form === AtForm.read)
          return this.reply(l.commandMs, ["+CLIP: " + this.clip + ",1"], "OK");
        return this.setFlag(c, (v) => (this.clip = v), 1);
      case "+CMGF":
        if (c.form === AtForm.read) return this.reply(l.commandMs, ["+CMGF: " + this.cmgf], "OK");
        return this.setFlag(c, (v) => (this.cmgf = v), 1);
      case "+CNMI":
        return this.cnmi(c);
      case "+CREG":
        return this.cregCommand(c);
      case "+CLTS":
        if (c.form === AtForm.read) return this.reply(l.commandMs, ["+CLTS: " + this.clts], "OK");
        return this.setFlag(c, (v) => (this.clts = v), 1);
      case "+CIPMUX":
        if (c.form === AtForm.read) return this.reply(l.commandMs, ["+CIPMUX: 0"], "OK");
        // Only single-connection mode is modelled.
        return this.setFlag(c, () => {}, 0);
      case "+CPIN":
        return this.cpin(c);
      case "+CSQ":
        return this.csq();
      case "+CCLK":
        return this.cclk(c);
      case "+CFUN":
        return this.cfun(c);
      case "+CPOWD":
        return this.cpowd();
      case "+GSN":
        return this.reply(l.commandMs, ["869170031234567"], "OK");
      case "+CCID":
        return this.reply(l.commandMs, ["8937102100001234567F"], "OK");
      case "+CGATT":
        return this.cgatt(c);
      case "+CIPSHUT":
        return this.cipshut();
      case "+CSTT":
        return this.cstt(c);
      case "+CIICR":
        return this.ciicr();
      case "+CIFSR":
        return this.cifsr();
      case "+CIPSTATUS":
        this.reply(l.queryMs, [], "OK");
        return this.reply(0, ["STATE: " + this.ipState], "");
      case "+CIPSSL":
        if (c.form === AtForm.read) return this.reply(l.commandMs, ["+CIPSSL: " + this.ssl], "OK");
        // Taken only with no connection open or opening, as CIPMUX is.
        if (this.ipState === IpState.connected || this.ipState === IpState.connecting)
          return this.error(l.commandMs);
        return this.setFlag(c, (v) => (this.ssl = v), 1);
      case "+CIPSTART":
        return this.cipstart(c);
      case "+CIPSEND":
        return this.cipsend(c);
      case "+CIPRXGET":
        return this.ciprxget(c);
      case "+CIPCLOSE":
        return this.cipclose();
      case "+CMGS":
        return this.cmgs(c);
      case "+CMGR":
        return this.cmgr(c);
      case "+CMGD":
        return this.cmgd(c);
      case "+CMGL":
        return this.cmgl(c);
      default:
        return this.error(l.commandMs);
    }
  }

  /** A set command with one numeric argument in [0, max]. */
  private setFlag(c: AtCommandLine, apply: (v: number) => void, max: number) {
    const v = c.form === AtForm.exec ? 0 : intArg(c.args, 0);
    if (c.form === AtForm.test || !(v >= 0 && v <= max)) return this.error(this.latency.commandMs);
    apply(v);
    this.ok(this.latency.commandMs);
  }

  // ---- network, SIM, clock -------------------------------------------------------------------

  private cnmi(c: AtCommandLine) {
    if (c.form === AtForm.read)
      return this.reply(this.latency.commandMs, ["+CNMI: 2," + this.cnmiMt + ",0,0,0"], "OK");
    const mt = intArg(c.args, 1);
    if (c.form !== AtForm.set || !(mt >= 0 && mt <= 3)) return this.error(this.latency.commandMs);
    this.cnmiMt = mt;
    this.ok(this.latency.commandMs);
  }

  private regStat(): number {
    if (this.registered)
      return this.subscriber.area !== null && this.subscriber.area.roaming ? 5 : 1;
    return this.simReady ? 2 : 0;
  }

  private cregLine(): string {
    // The URC carries no <n>, unlike the AT+CREG? reply.
    const s = "+CREG: " + this.regStat();
    return this.creg === 2 && this.registered ? s + ',"1A2B","3C4D"' : s;
  }

  private cregCommand(c: AtCommandLine) {
    if (c.form === AtForm.read) {
      const s = "+CREG: " + this.creg + "," + this.regStat();
      return this.reply(
        this.latency.queryMs,
        [this.creg === 2 && this.registered ? s + ',"1A2B","3C4D"' : s],
        "OK",
      );
    }
    this.setFlag(c, (v) => (this.creg = v), 2);
  }

  private cpin(c: AtCommandLine) {
    const d = this.latency.queryMs;
    if (c.form !== AtForm.read) return this.error(d);
    if (this.sim === "absent") return this.cmeError(d, 10, "SIM not inserted");
    if (this.sim === "pin") return this.reply(d, ["+CPIN: SIM PIN"], "OK");
    if (!this.simReady) return this.cmeError(d, 14, "SIM busy");
    this.reply(d, ["+CPIN: READY"], "OK");
  }

  private csq() {
    const rssi = this.registered ? this.subscriber.csq() : 99;
    this.reply(this.latency.queryMs, ["+CSQ: " + rssi + "," + (rssi === 99 ? 99 : 0)], "OK");
  }

  private rtcNowLocal(): number {
    return this.rtcLocalMs + (this.clock.monotonic() - this.rtcAt);
  }

  private cclk(c: AtCommandLine) {
    const d = this.latency.queryMs;
    if (c.form === AtForm.read)
      return this.reply(d, ['+CCLK: "' + stampText(this.rtcNowLocal(), this.rtcZone) + '"'], "OK");
    const m =
      c.form === AtForm.set
        ? /^(\d\d)\/(\d\d)\/(\d\d),(\d\d):(\d\d):(\d\d)([+-]\d\d)$/.exec(c.args.join(","))
        : null;
    if (m === null) return this.error(d);
    const n = m.slice(1, 7).map((x) => Number.parseInt(x, 10));
    this.rtcLocalMs = Date.UTC(2000 + n[0], n[1] - 1, n[2], n[3], n[4], n[5]);
    this.rtcZone = Number.parseInt(m[7], 10);
    this.rtcAt = this.clock.monotonic();
    this.ok(d);
  }

  private cfun(c: AtCommandLine) {
    if (c.form === AtForm.read) return this.reply(this.latency.queryMs, ["+CFUN: 1"], "OK");
    // AT+CFUN=1,1: the usual software reset.
    if (c.form === AtForm.set && c.args[0] === "1" && c.args[1] === "1") {
      this.ok(this.latency.commandMs);
      this.after(this.latency.commandMs + 50, () => {
        this.powerOff();
        this.powerOn();
      });
      return;
    }
    if (c.form === AtForm.set && c.args[0] === "1") return this.ok(this.latency.commandMs);
    this.error(this.latency.commandMs);
  }

  private cpowd() {
    this.urc("NORMAL POWER DOWN");
    this.after(this.latency.commandMs + 50, () => this.powerOff());
  }

  /** Coverage, packet data or the SIM changed: registration, context and calls follow. */
  networkChanged() {
    if (this.power === Power.off) return;
    const covered = this.simReady && this.subscriber.hasCoverage();
    if (!covered) {
      this.cancel(this.regTimer);
      this.regTimer = 0;
      if (this.registered) {
        this.registered = false;
        if (this.creg > 0) this.urc(this.cregLine());
      }
      const call = this.call;
      if (call !== null) call.end("network");
    } else if (!this.registered && this.regTimer === 0) {
      this.regTimer = this.after(this.latency.registerMs, () => this.registerNow());
    }
    if (!this.subscriber.hasPacketData() && this.contextActive()) this.pdpDeact();
  }

  private registerNow() {
    this.regTimer = 0;
    this.registered = true;
    if (this.creg > 0) this.urc(this.cregLine());
    const area = this.subscriber.area;
    if (this.clts === 1 && area !== null && area.nitz)
      this.after(this.latency.nitzMs, () => this.nitz());
    this.network.retryPending(this.subscriber);
  }

  /** NITZ as a SIM800 with AT+CLTS=1 prints it: UTC fields, zone in quarter hours, DST. */
  private nitz() {
    const area = this.subscriber.area;
    if (!this.registered || area === null) return;
    const utc = this.network.clock.now();
    const d = new Date(utc);
    const z = area.zoneQuarters;
    this.urc(
      "*PSUTTZ: " +
        d.getUTCFullYear() +
        "," +
        (d.getUTCMonth() + 1) +
        "," +
        d.getUTCDate() +
        "," +
        d.getUTCHours() +
        "," +
        d.getUTCMinutes() +
        "," +
        d.getUTCSeconds() +
        ',"' +
        (z < 0 ? "-" : "+") +
        Math.abs(z) +
        '",' +
        area.dst,
    );
    this.urc("DST: " + area.dst);
    this.rtcLocalMs = utc + z * 900000;
    this.rtcZone = z;
    this.rtcAt = this.clock.monotonic();
  }

  // ---- packet data ---------------------------------------------------------------------------

  private contextActive(): boolean {
    const s = this.ipState;
    return s !== IpState.initial && s !== IpState.start && s !== IpState.pdpDeact;
  }

  private pdpDeact() {
    this.dropSocket();
    this.clearRx();
    this.ipState = IpState.pdpDeact;
    this.urc("+PDP: DEACT");
  }

  private dropSocket() {
    if (this.conn !== null && this.conn.tcp !== null) this.conn.tcp.destroy();
    this.conn = null;
  }

  private clearRx() {
    this.rx = [];
    this.rxTotal = 0;
    this.rxAnnounced = false;
    this.rxPaused = false;
  }

  private cgatt(c: AtCommandLine) {
    const l = this.latency;
    const attached = this.registered && this.subscriber.hasPacketData();
    if (c.form === AtForm.read)
      return this.reply(l.queryMs, ["+CGATT: " + (attached ? 1 : 0)], "OK");
    const v = intArg(c.args, 0);
    if (c.form !== AtForm.set || !(v === 0 || v === 1)) return this.error(l.commandMs);
    if (v === 0) {
      if (this.contextActive()) this.pdpDeact();
      return this.ok(l.attachMs);
    }
    if (!attached) return this.error(l.attachMs);
    this.ok(l.attachMs);
  }

  private cipshut() {
    this.dropSocket();
    this.clearRx();
    this.ipState = IpState.initial;
    this.reply(this.latency.shutMs, [], "SHUT OK");
  }

  private cstt(c: AtCommandLine) {
    const d = this.latency.ipMs;
    if (c.form === AtForm.read) return this.reply(d, ['+CSTT: "' + this.apn + '","",""'], "OK");
    if (c.form !== AtForm.set || this.ipState !== IpState.initial) return this.error(d);
    this.apn = c.args[0] ?? "";
    this.ipState = IpState.start;
    this.ok(d);
  }

  private ciicr() {
    const d = this.latency.contextMs;
    if (this.ipState !== IpState.start) return this.error(this.latency.commandMs);
    if (!this.registered || !this.subscriber.hasPacketData()) {
      this.ipState = IpState.pdpDeact;
      return this.error(d);
    }
    this.ipState = IpState.gprsAct;
    this.ok(d);
  }

  private cifsr() {
    const d = this.latency.ipMs;
    if (!this.contextActive() || this.ipState === IpState.config) return this.error(d);
    if (this.ipState === IpState.gprsAct) this.ipState = IpState.status;
    this.reply(d, [this.ip], "");
  }

  private cipstart(c: AtCommandLine) {
    const l = this.latency;
    const port = intArg(c.args, 2);
    if (c.form !== AtForm.set || c.args.length !== 3 || c.args[0].toUpperCase() !== "TCP")
      return this.error(l.commandMs);
    if (!(port >= 1 && port <= 65535) || c.args[1] === "") return this.error(l.commandMs);
    const s = this.ipState;
    if (s === IpState.connected || s === IpState.connecting)
      return this.reply(l.openOkMs, [], "ALREADY CONNECT");
    // IP INITIAL brings the context up implicitly (with the APN last set, or the default).
    if (s !== IpState.initial && s !== IpState.status && s !== IpState.closed)
      return this.error(l.commandMs);
    this.ok(l.openOkMs);
    this.clearRx();
    const conn: Connection = { tcp: null, downDue: 0, upDue: 0 };
    this.conn = conn;
    this.ipState = IpState.connecting;
    this.stats.tcpOpens++;
    if (!this.registered || !this.subscriber.hasPacketData()) {
      this.after(l.connectMs, () => this.connectFailed(conn));
      return;
    }
    const started = this.clock.monotonic();
    conn.tcp = this.tcp.connect(
      c.args[1],
      port,
      {
        connected: () => {
          // The radio's round trips come on top of the real handshake.
          const rest = Math.max(0, l.connectMs - (this.clock.monotonic() - started));
          this.after(this.jittered(rest), () => {
            if (this.conn !== conn) return;
            this.ipState = IpState.connected;
            this.urc("CONNECT OK");
          });
        },
        failed: () => this.after(this.jittered(l.connectMs), () => this.connectFailed(conn)),
        data: (chunk) =>
          this.inOrder(conn, "downDue", l.downlinkMs, () => this.socketData(conn, chunk)),
        closed: () => this.inOrder(conn, "downDue", l.downlinkMs, () => this.remoteClosed(conn)),
      },
      this.ssl === 1,
    );
  }

  private connectFailed(conn: Connection) {
    if (this.conn !== conn) return;
    this.conn = null;
    this.ipState = IpState.closed;
    this.urc("STATE: " + IpState.closed);
    this.urc("CONNECT FAIL");
  }

  private socketData(conn: Connection, chunk: Uint8Array) {
    if (this.conn !== conn) return;
    this.stats.tcpBytesReceived += chunk.length;
    if (this.rxMode === 0) {
      // Without AT+CIPRXGET=1 the SIM800 writes received bytes straight to the UART.
      this.emit(chunk, 0);
      return;
    }
    this.rx.push(chunk);
    this.rxTotal += chunk.length;
    if (this.rxTotal >= this.rxLimit && conn.tcp !== null && !this.rxPaused) {
      this.rxPaused = true;
      conn.tcp.pause();
    }
    if (!this.rxAnnounced) {
      this.rxAnnounced = true;
      this.urc("+CIPRXGET: 1");
    }
  }

  private remoteClosed(conn: Connection) {
    if (this.conn !== conn) return;
    this.conn = null;
    // Bytes already buffered stay readable until the next CIPSTART or CIPSHUT.
    this.ipState = IpState.closed;
    this.urc("CLOSED");
  }

  private cipsend(c: AtCommandLine) {
    const l = this.latency;
    if (c.form === AtForm.test) return this.reply(l.commandMs, ["+CIPSEND: " + MAX_SEGMENT], "OK");
    let n = 0;
    if (c.form === AtForm.set) {
      n = intArg(c.args, 0);
      if (!(n >= 1 && n <= MAX_SEGMENT)) return this.error(l.commandMs);
    } else if (c.form !== AtForm.exec) return this.error(l.commandMs);
    if (this.ipState !== IpState.connected) return this.error(l.commandMs);
    this.input = Input.ipData;
    this.dataWant = n;
    this.data = [];
    this.emit(latin1("\r\n> "), this.jittered(l.promptMs));
  }

  private finishIpSend() {
    const l = this.latency;
    const payload = Uint8Array.from(this.data);
    this.data = [];
    this.input = Input.command;
    const conn = this.conn;
    if (conn === null || conn.tcp === null || this.ipState !== IpState.connected) {
      this.stats.errors++;
      return this.reply(l.commandMs, [], "SEND FAIL");
    }
    this.inOrder(conn, "upDue", l.uplinkMs, () => {
      if (this.conn !== conn || conn.tcp === null) return;
      this.stats.tcpBytesSent += payload.length;
      conn.tcp.write(payload);
    });
    this.reply(l.sendAckMs, [], "SEND OK");
  }

  private ciprxget(c: AtCommandLine) {
    const d = this.latency.readMs;
    if (c.form === AtForm.read) return this.reply(d, ["+CIPRXGET: " + this.rxMode], "OK");
    const mode = intArg(c.args, 0);
    if (c.form !== AtForm.set || Number.isNaN(mode)) return this.error(d);
    if (mode === 0 || mode === 1) {
      this.rxMode = mode;
      return this.ok(this.latency.commandMs);
    }
    if (this.rxMode !== 1) return this.error(d);
    const readable = this.ipState === IpState.connected || this.rxTotal > 0;
    if (mode === 4) {
      if (!readable) return this.error(d);
      return this.reply(d, ["+CIPRXGET: 4," + this.rxTotal], "OK");
    }
    const want = intArg(c.args, 1);
    if ((mode !== 2 && mode !== 3) || !(want >= 1 && want <= MAX_SEGMENT) || !readable)
      return this.error(d);
    const limit = mode === 3 ? Math.floor(want / 2) : want;
    const block = this.takeRx(Math.min(limit, this.rxTotal));
    const head = "\r\n+CIPRXGET: " + mode + "," + block.length + "," + this.rxTotal + "\r\n";
    const delay = this.jittered(d) + this.faults.extraDelay();
    this.emit(latin1(head), delay);
    if (mode === 2) this.emit(block, delay);
    else this.emit(latin1(Buffer.from(block).toString("hex").toUpperCase()), delay);
    this.emit(latin1("\r\nOK\r\n"), delay);
    if (this.rxTotal === 0) this.rxAnnounced = false;
  }

  private takeRx(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const head = this.rx[0];
      const k = Math.min(head.length, n - o);
      out.set(head.subarray(0, k), o);
      o += k;
      if (k === head.length) this.rx.shift();
      else this.rx[0] = head.subarray(k);
    }
    this.rxTotal -= n;
    const conn = this.conn;
    if (this.rxPaused && this.rxTotal < this.rxLimit && conn !== null && conn.tcp !== null) {
      this.rxPaused = false;
      conn.tcp.resume();
    }
    return out;
  }

  private cipclose() {
    const s = this.ipState;
    if (s !== IpState.connected && s !== IpState.connecting)
      return this.error(this.latency.commandMs);
    this.dropSocket();
    this.clearRx();
    this.ipState = IpState.closed;
    this.reply(this.latency.closeMs, [], "CLOSE OK");
  }

  // ---- SMS -----------------------------------------------------------------------------------

  private smsUsable(): boolean {
    if (this.sim === "absent") {
      this.cmsError(this.latency.commandMs, 310, "SIM not inserted");
      return false;
    }
    if (!this.smsReady) {
      this.cmsError(this.latency.commandMs, 302, "operation not allowed");
      return false;
    }
    return true;
  }

  private cmgs(c: AtCommandLine) {
    if (!this.smsUsable()) return;
    if (c.form !== AtForm.set || this.cmgf !== 1 || c.args[0] === "")
      return this.cmsError(this.latency.commandMs, 302, "operation not allowed");
    this.smsTo = c.args[0];
    this.input = Input.smsText;
    this.data = [];
    this.emit(latin1("\r\n> "), this.jittered(this.latency.promptMs));
  }

  private finishSms() {
    let text = "";
    for (let i = 0; i < this.data.length; i++) text += String.fromCharCode(this.data[i]);
    this.data = [];
    this.input = Input.command;
    const d = this.latency.smsSendMs;
    if (!this.registered) return this.cmsError(d, 331, "no network service");
    this.messageRef = (this.messageRef + 1) & 255;
    const to = this.smsTo;
    this.after(d, () => {
      this.stats.smsSent++;
      this.network.sendSms(this.number, to, text);
    });
    this.reply(d, ["+CMGS: " + this.messageRef], "OK");
  }

  private stampNow(): string {
    const area = this.subscriber.area;
    const z = area === null ? 0 : area.zoneQuarters;
    return stampText(this.network.clock.now() + z * 900000, z);
  }

  /** The network hands over an SMS: stored on the SIM and announced with +CMTI. */
  deliverSms(from: string, text: string): boolean {
    if (this.power !== Power.on || !this.smsReady) return false;
    const stamp = this.stampNow();
    if (this.cnmiMt === 2 || this.cnmiMt === 3) {
      this.stats.smsReceived++;
      this.urc('+CMT: "' + from + '","","' + stamp + '"\r\n' + text);
      return true;
    }
    const index = this.sms.add(from, text, stamp);
    if (index < 0) {
      this.stats.smsRefused++;
      return false;
    }
    this.stats.smsReceived++;
    if (this.cnmiMt === 1) this.urc('+CMTI: "SM",' + index);
    return true;
  }

  private smsHeader(status: boolean, m: { from: string; stamp: string }): string {
    return '"' + (status ? "REC READ" : "REC UNREAD") + '","' + m.from + '","","' + m.stamp + '"';
  }

  private cmgr(c: AtCommandLine) {
    if (!this.smsUsable()) return;
    const d = this.latency.smsReadMs;
    const m = this.sms.get(intArg(c.args, 0));
    if (c.form !== AtForm.set || m === undefined)
      return this.cmsError(d, 321, "invalid memory index");
    if (m === null) return this.ok(d);
    const wasRead = m.read;
    m.read = true;
    // The text follows its header line directly (27.005 §3.4.3): one CRLF, no blank line.
    this.reply(d, ["+CMGR: " + this.smsHeader(wasRead, m) + "\r\n" + m.text], "OK");
  }

  private cmgd(c: AtCommandLine) {
    if (!this.smsUsable()) return;
    const index = intArg(c.args, 0);
    const flag = c.args.length > 1 ? intArg(c.args, 1) : 0;
    if (c.form !== AtForm.set || !(flag >= 0 && flag <= 4))
      return this.cmsError(this.latency.smsReadMs, 302, "operation not allowed");
    if (flag > 0) {
      this.sms.removeWhere(flag);
      return this.ok(this.latency.smsListMs);
    }
    if (this.sms.get(index) === undefined)
      return this.cmsError(this.latency.smsReadMs, 321, "invalid memory index");
    this.sms.remove(index);
    this.ok(this.latency.smsReadMs);
  }

  private cmgl(c: AtCommandLine) {
    if (!this.smsUsable()) return;
    const d = this.latency.smsListMs;
    const which = c.form === AtForm.exec ? "REC UNREAD" : (c.args[0] ?? "").toUpperCase();
    if (which !== "ALL" && which !== "REC UNREAD" && which !== "REC READ")
      return this.cmsError(d, 302, "operation not allowed");
    const lines: string[] = [];
    const all = this.sms.list();
    for (let i = 0; i < all.length; i++) {
      const m = all[i];
      if ((which === "REC UNREAD" && m.read) || (which === "REC READ" && !m.read)) continue;
      lines.push("+CMGL: " + m.index + "," + this.smsHeader(m.read, m) + "\r\n" + m.text);
      m.read = true;
    }
    this.reply(d, lines, "OK");
  }

  // ---- voice calls ---------------------------------------------------------------------------

  /** The network rings this unit. */
  incomingCall(call: VoiceCall): boolean {
    if (this.power !== Power.on || !this.registered || this.call !== null) return false;
    this.call = call;
    this.rings = 0;
    call.onEnd(() => {
      if (this.call !== call) return;
      this.call = null;
      this.cancel(this.ringTimer);
      this.ringTimer = 0;
      if (call.endedBy !== "callee") this.urc("NO CARRIER");
    });
    this.ring(call);
    return true;
  }

  private ring(call: VoiceCall) {
    if (this.call !== call || call.state !== CallState.ringing) return;
    this.rings++;
    this.urc("RING");
    if (this.clip === 1) {
      const type = call.from.charAt(0) === "+" ? 145 : 129;
      this.urc('+CLIP: "' + call.from + '",' + type + ',"",0,"",0');
    }
    if (this.autoAnswer > 0 && this.rings >= this.autoAnswer) {
      call.answer();
      return;
    }
    this.ringTimer = this.after(RING_EVERY_MS, () => this.ring(call));
  }

  private answer() {
    const call = this.call;
    if (call === null || call.state !== CallState.ringing)
      return this.reply(this.latency.callMs, [], "NO CARRIER");
    this.cancel(this.ringTimer);
    this.ringTimer = 0;
    call.answer();
    this.ok(this.latency.callMs);
  }

  private hangUp() {
    const call = this.call;
    if (call !== null) {
      this.cancel(this.ringTimer);
      this.ringTimer = 0;
      call.end("callee");
    }
    this.ok(this.latency.callMs);
  }
}
