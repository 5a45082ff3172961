// The cellular network behind the virtual modems: areas (cells several units share), each
// subscriber's coverage, packet data and signal, scheduled outage windows, SMS routing between
// numbers (modems and the SMS gateway) with store-and-forward while a phone is out of coverage,
// and voice calls. Outages are counted, so overlapping windows (one on the area, one on the unit)
// end independently.

import type { Clock } from "../../firmware/hal/hal";

export const Outage = {
  /** GPRS is gone (the PDP context drops) but the unit stays registered: SMS still work. */
  packet: "packet",
  /** No cell at all: not registered, no SMS, no packet data. */
  coverage: "coverage",
} as const;

export type OutageKind = (typeof Outage)[keyof typeof Outage];

/** What a modem or the SMS gateway exposes to the network. */
export interface NetworkEndpoint {
  readonly number: string;
  /** An SMS for this number. false: not accepted now (memory full, powered off) — kept for later. */
  deliverSms(from: string, text: string): boolean;
  /** A call rings for this number. false: busy or unreachable. */
  incomingCall(call: VoiceCall): boolean;
  /** Coverage, packet data or signal of this subscriber changed. */
  networkChanged(): void;
}

export interface AreaOptions {
  /** CSQ <rssi> 0–31 in this area. */
  signal?: number;
  /** Local time zone in quarter hours (NITZ, +CCLK, SMS stamps). */
  zoneQuarters?: number;
  /** Daylight saving in effect (NITZ "DST: n"): 0, 1 or 2 hours. */
  dst?: number;
  /** Whether the operator sends network time (NITZ). */
  nitz?: boolean;
  /** Registered as roaming (+CREG stat 5 instead of 1). */
  roaming?: boolean;
}

class OutageCounts {
  packet = 0;
  coverage = 0;
}

/** A cell area several units share: an area-wide outage hits every unit in it. */
export class Area {
  readonly name: string;
  signal: number;
  zoneQuarters: number;
  dst: number;
  nitz: boolean;
  roaming: boolean;
  readonly members: Subscriber[] = [];
  private readonly down = new OutageCounts();

  constructor(name: string, o: AreaOptions) {
    this.name = name;
    this.signal = o.signal ?? 20;
    this.zoneQuarters = o.zoneQuarters ?? 0;
    this.dst = o.dst ?? 0;
    this.nitz = o.nitz ?? true;
    this.roaming = o.roaming ?? false;
  }

  /** Starts an outage of this kind (counted: call endOutage once per begin). */
  beginOutage(kind: OutageKind): void {
    this.down[kind]++;
    this.changed();
  }

  endOutage(kind: OutageKind): void {
    if (this.down[kind] > 0) this.down[kind]--;
    this.changed();
  }

  isDown(kind: OutageKind): boolean {
    return this.down[kind] > 0;
  }

  /** New CSQ rssi for the whole area (0–31; 99 = not detectable). */
  setSignal(rssi: number): void {
    this.signal = rssi;
    this.changed();
  }

  private changed(): void {
    for (let i = 0; i < this.members.length; i++) this.members[i].changed();
  }
}

/** One SIM on the network: its number, area, own outages and signal offset. */
export class Subscriber {
  readonly number: string;
  readonly endpoint: NetworkEndpoint;
  readonly area: Area | null;
  /** Added to the area's signal (a unit in a basement). */
  signalOffset = 0;
  private readonly down = new OutageCounts();
  private readonly network: Network;

  constructor(network: Network, endpoint: NetworkEndpoint, area: Area | null) {
    this.network = network;
    this.number = endpoint.number;
    this.endpoint = endpoint;
    this.area = area;
  }

  beginOutage(kind: OutageKind): void {
    this.down[kind]++;
    this.changed();
  }

  endOutage(kind: OutageKind): void {
    if (this.down[kind] > 0) this.down[kind]--;
    this.changed();
  }

  setSignalOffset(db: number): void {
    this.signalOffset = db;
    this.changed();
  }

  hasCoverage(): boolean {
    return this.down.coverage === 0 && (this.area === null || !this.area.isDown(Outage.coverage));
  }

  hasPacketData(): boolean {
    if (!this.hasCoverage() || this.down.packet > 0) return false;
    return this.area === null || !this.area.isDown(Outage.packet);
  }

  /** CSQ <rssi>: 0–31, 99 when there is no cell. */
  csq(): number {
    if (!this.hasCoverage()) return 99;
    const s = (this.area === null ? 31 : this.area.signal) + this.signalOffset;
    return Math.min(31, Math.max(0, s));
  }

  /** @internal Area or own state changed. */
  changed(): void {
    this.endpoint.networkChanged();
    this.network.retryPending(this);
  }
}

export const CallState = {
  ringing: "ringing",
  active: "active",
  ended: "ended",
} as const;

export type CallStateValue = (typeof CallState)[keyof typeof CallState];

/** One voice call from a number to a subscriber. */
export class VoiceCall {
  readonly from: string;
  readonly to: string;
  state: CallStateValue = CallState.ringing;
  /** "caller", "callee" or "network" once ended. */
  endedBy = "";
  private readonly listeners: (() => void)[] = [];

  constructor(from: string, to: string) {
    this.from = from;
    this.to = to;
  }

  /** The callee took the call (ATA). */
  answer(): boolean {
    if (this.state !== CallState.ringing) return false;
    this.state = CallState.active;
    return true;
  }

  /** Ends the call; `by` is "caller" (the far end hangs up), "callee" or "network". */
  end(by: string): void {
    if (this.state === CallState.ended) return;
    this.state = CallState.ended;
    this.endedBy = by;
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]();
  }

  onEnd(fn: () => void): void {
    this.listeners.push(fn);
  }
}

interface PendingSms {
  from: string;
  text: string;
}

export interface NetworkOptions {
  clock: Clock;
  /** Submit → delivery to a reachable recipient. Default 1500 ms. */
  smsDelayMs?: number;
  /** Unanswered calls end after this long (the caller gives up). Default 30 s. */
  callTimeoutMs?: number;
}

export class Network {
  readonly clock: Clock;
  readonly smsDelayMs: number;
  readonly callTimeoutMs: number;
  private readonly areas: { [name: string]: Area } = {};
  private readonly subscribers: { [number: string]: Subscriber } = {};
  private readonly pending: { [number: string]: PendingSms[] } = {};

  constructor(o: NetworkOptions) {
    this.clock = o.clock;
    this.smsDelayMs = o.smsDelayMs ?? 1500;
    this.callTimeoutMs = o.callTimeoutMs ?? 30000;
  }

  /** The area with this name, created with `o` the first time. */
  area(name: string, o?: AreaOptions): Area {
    let a = this.areas[name];
    if (a === undefined) {
      a = new Area(name, o ?? {});
      this.areas[name] = a;
    }
    return a;
  }

  /** Puts a number on the network; `area` null = always covered (a fixed gateway). */
  attach(endpoint: NetworkEndpoint, area: Area | null): Subscriber {
    if (this.subscribers[endpoint.number] !== undefined)
      throw new Error("number already attached: " + endpoint.number);
    const s = new Subscriber(this, endpoint, area);
    this.subscribers[endpoint.number] = s;
    if (area !== null) area.members.push(s);
    return s;
  }

  subscriber(number: string): Subscriber | null {
    return this.subscribers[number] ?? null;
  }

  /**
   * An outage window: `target` (an Area or one Subscriber) loses `kind` after afterMs, for
   * durationMs. Runs on the network's clock, so it is deterministic under virtual time.
   */
  scheduleOutage(
    target: Area | Subscriber,
    kind: OutageKind,
    afterMs: number,
    durationMs: number,
  ): void {
    this.clock.setTimeout(() => {
      target.beginOutage(kind);
      this.clock.setTimeout(() => target.endOutage(kind), durationMs);
    }, afterMs);
  }

  /**
   * Submits an SMS. false when `to` is not on the network. A recipient out of coverage (or not
   * accepting) gets it when it is reachable again, as an SMSC would retry.
   */
  sendSms(from: string, to: string, text: string): boolean {
    const s = this.subscribers[to];
    if (s === undefined) return false;
    this.clock.setTimeout(() => this.deliver(s, { from: from, text: text }), this.smsDelayMs);
    return true;
  }

  /** Rings `to` from `from`; null when `to` is unknown, out of coverage or busy. */
  call(from: string, to: string): VoiceCall | null {
    const s = this.subscribers[to];
    if (s === undefined || !s.hasCoverage()) return null;
    const call = new VoiceCall(from, to);
    if (!s.endpoint.incomingCall(call)) return null;
    // The caller gives up on an unanswered call; after an answer the timer finds nothing to do.
    this.clock.setTimeout(() => {
      if (call.state === CallState.ringing) call.end("caller");
    }, this.callTimeoutMs);
    return call;
  }

  /** SMS waiting for a recipient to become reachable. */
  pendingFor(number: string): number {
    const p = this.pending[number];
    return p === undefined ? 0 : p.length;
  }

  /** @internal A subscriber's state changed: try its queued messages. */
  retryPending(s: Subscriber): void {
    const p = this.pending[s.number];
    if (p === undefined || p.length === 0 || !s.hasCoverage()) return;
    delete this.pending[s.number];
    for (let i = 0; i < p.length; i++) {
      const m = p[i];
      this.clock.setTimeout(() => this.deliver(s, m), this.smsDelayMs);
    }
  }

  private deliver(s: Subscriber, m: PendingSms): void {
    if (s.hasCoverage() && s.endpoint.deliverSms(m.from, m.text)) return;
    let p = this.pending[s.number];
    if (p === undefined) {
      p = [];
      this.pending[s.number] = p;
    }
    p.push(m);
  }
}
