// The home unit's MQTT 3.1.1 session with the centre's broker (SPEC §13), over one TcpLink.
// States and transitions are tabled in README-mqtt.md; in short:
//
//   idle ─start─▶ connecting-tcp ─open ok─▶ awaiting-connack ─CONNACK 0─▶ subscribing
//        ─SUBACK─▶ online ─stop─▶ closing ─DISCONNECT written─▶ idle
//   any connected state or connecting-tcp ─failure─▶ backoff ─delay─▶ connecting-tcp
//
// One connection, client id = unit id text, clean session 0, last will "offline" (retained,
// QoS 1) on the status topic, "online" published there after each CONNACK, the down topic
// subscribed at QoS 1. Outgoing QoS 1 publishes stay in an in-flight table (encoded bytes, kept
// for retransmission) until their PUBACK: resent with DUP=1 after every reconnect (§4.4) and
// when no PUBACK came within ackTimeoutMs. Time and randomness are injected (Clock, random).
//
// Device code (DEVICE-JS subset): no Promises, no Map; one timer at a time.

import { utf8Encode } from "@em-platform/protocol/core/bytes";
import { downlinkTopic, statusTopic, unitIdText } from "@em-platform/protocol/core/topics";
import type { Clock } from "../../hal/hal";
import type { TcpLink } from "../net/tcp-link";
import {
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  MqttType,
  setDup,
} from "./mqtt-packets";
import {
  type MqttInbound,
  type MqttInboundPublish,
  type MqttParseErrorCode,
  MqttParser,
} from "./mqtt-parser";

export const MqttState = {
  idle: 0,
  connectingTcp: 1,
  awaitingConnack: 2,
  subscribing: 3,
  online: 4,
  closing: 5,
  backoff: 6,
} as const;

export type MqttStateValue = (typeof MqttState)[keyof typeof MqttState];

export const MQTT_STATE_NAMES = [
  "idle",
  "connecting-tcp",
  "awaiting-connack",
  "subscribing",
  "online",
  "closing",
  "backoff",
];

/** Why a connection attempt or a connection ended (index into stats.failures). */
export const MqttFailure = {
  /** TcpLink.open said no (no network, DNS, refused). */
  openFailed: 1,
  /** A TcpLink.write was not accepted. */
  writeFailed: 2,
  /** The far end, the network or the modem closed the link. */
  linkClosed: 3,
  /** The broker sent a malformed packet or one out of order (detail: a MqttParseError code,
   * or 0 for a protocol-order violation). */
  protocolError: 4,
  /** No CONNACK or SUBACK within handshakeTimeoutMs. */
  handshakeTimeout: 5,
  /** CONNACK return code 1–5 (detail: the code, see ConnackCode). */
  refused: 6,
  /** SUBACK 0x80 for the down topic. */
  subscribeRefused: 7,
  /** Nothing received for 1.5 × keepalive. */
  keepaliveTimeout: 8,
} as const;

export type MqttFailureValue = (typeof MqttFailure)[keyof typeof MqttFailure];

/** CONNACK return codes (§3.2.2.3). */
export const ConnackCode = {
  accepted: 0,
  badProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

export interface MqttClientOptions {
  link: TcpLink;
  clock: Clock;
  /** Uniform in [0, 1): backoff jitter. The hardware RNG on a device, seeded in tests. */
  random: () => number;
  host: string;
  port: number;
  unitId: number;
  /** Default 60 s. */
  keepAliveS?: number;
  /** Outgoing QoS 1 publishes awaiting PUBACK, not counting the client's own status. Default 4. */
  inFlightLimit?: number;
  /** A publish not acknowledged this long is resent with DUP=1. Default 30 s. */
  ackTimeoutMs?: number;
  /** From TCP open to SUBACK (CONNACK and SUBACK each restart it). Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Default 2 s. */
  backoffMinMs?: number;
  /** Default 5 min. */
  backoffMaxMs?: number;
  /** Largest incoming Remaining Length accepted. Default 4096. */
  maxPacketBytes?: number;
  username?: string;
  password?: Uint8Array;
}

export interface MqttClientStats {
  connectAttempts: number;
  /** CONNACKs with return code 0. */
  connects: number;
  /** Of those, how many found the broker's session (session present = 1). */
  sessionsResumed: number;
  /** Failures, total and per MqttFailure value (index). */
  failureCount: number;
  failures: number[];
  lastFailure: number;
  lastFailureDetail: number;
  /** The last backoff delay chosen, ms. */
  lastBackoffMs: number;
  /** First transmissions of publishes (QoS 0 and 1, the status included). */
  published: number;
  /** PUBACKs that completed a publish. */
  acked: number;
  /** PUBACKs for no publish in flight (e.g. the second ack after a timeout resend). */
  strayAcks: number;
  /** DUP resends after a reconnect. */
  resentOnReconnect: number;
  /** DUP resends after ackTimeoutMs. */
  resentOnTimeout: number;
  /** PUBLISHes received on the down topic (duplicates included). */
  downlinks: number;
  /** PUBLISHes received on any other topic (acknowledged, not delivered). */
  foreignPublishes: number;
  pingsSent: number;
  pingResponses: number;
  bytesIn: number;
  bytesOut: number;
}

interface InFlight {
  packetId: number;
  /** The encoded PUBLISH, DUP set in place when it is resent. */
  packet: Uint8Array;
  /** null for the client's own status publish. */
  done: ((acked: boolean) => void) | null;
  sentAt: number;
}

const FAILURE_KINDS = 9;

function opt(v: number | undefined, fallback: number): number {
  return v === undefined ? fallback : v;
}

export class MqttClient {
  readonly stats: MqttClientStats;
  private readonly link: TcpLink;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly host: string;
  private readonly port: number;
  private readonly keepAliveMs: number;
  private readonly limit: number;
  private readonly ackTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly connectPacket: Uint8Array;
  private readonly statusTopic: Uint8Array;
  private readonly downTopic: string;
  private readonly downFilter: Uint8Array;
  private readonly parser: MqttParser;
  private st: MqttStateValue = MqttState.idle;
  /** Bumped whenever a connection is given up: callbacks of an older one are ignored. */
  private gen = 0;
  private inFlight: InFlight[] = [];
  private userInFlight = 0;
  private nextId = 1;
  private subscribeId = 0;
  private timer = 0;
  private deadline = 0;
  private lastSentAt = 0;
  private lastReceivedAt = 0;
  private onlineAt = 0;
  private attempt = 0;
  private downlinkFn: ((payload: Uint8Array) => void) | null = null;
  private stateFn: ((state: MqttStateValue) => void) | null = null;

  constructor(o: MqttClientOptions) {
    this.link = o.link;
    this.clock = o.clock;
    this.random = o.random;
    this.host = o.host;
    this.port = o.port;
    const keepAliveS = opt(o.keepAliveS, 60);
    this.keepAliveMs = keepAliveS * 1000;
    this.limit = opt(o.inFlightLimit, 4);
    this.ackTimeoutMs = opt(o.ackTimeoutMs, 30000);
    this.handshakeTimeoutMs = opt(o.handshakeTimeoutMs, 30000);
    this.backoffMinMs = opt(o.backoffMinMs, 2000);
    this.backoffMaxMs = opt(o.backoffMaxMs, 300000);
    this.statusTopic = utf8Encode(statusTopic(o.unitId));
    this.downTopic = downlinkTopic(o.unitId);
    this.downFilter = utf8Encode(this.downTopic);
    this.connectPacket = encodeConnect({
      clientId: utf8Encode(unitIdText(o.unitId)),
      cleanSession: false,
      keepAliveS: keepAliveS,
      will: { topic: this.statusTopic, payload: utf8Encode("offline"), qos: 1, retain: true },
      username: o.username === undefined ? null : utf8Encode(o.username),
      password: o.password === undefined ? null : o.password,
    }) as Uint8Array;
    const failures: number[] = [];
    for (let i = 0; i < FAILURE_KINDS; i++) failures.push(0);
    this.stats = {
      connectAttempts: 0,
      connects: 0,
      sessionsResumed: 0,
      failureCount: 0,
      failures: failures,
      lastFailure: 0,
      lastFailureDetail: 0,
      lastBackoffMs: 0,
      published: 0,
      acked: 0,
      strayAcks: 0,
      resentOnReconnect: 0,
      resentOnTimeout: 0,
      downlinks: 0,
      foreignPublishes: 0,
      pingsSent: 0,
      pingResponses: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    this.parser = new MqttParser(
      {
        packet: (p: MqttInbound) => {
          this.onPacket(p);
        },
        error: (code: MqttParseErrorCode) => {
          this.fail(MqttFailure.protocolError, code);
        },
      },
      opt(o.maxPacketBytes, 4096),
    );
    this.link.onData((chunk: Uint8Array) => {
      // After DISCONNECT nothing may be sent (§3.14.4), so a late downlink cannot be PUBACKed:
      // it is left to the broker, which redelivers it in the next session.
      if (!this.connected() || this.st === MqttState.closing) return;
      this.stats.bytesIn += chunk.length;
      this.lastReceivedAt = this.clock.monotonic();
      this.parser.push(chunk);
    });
    this.link.onClose(() => {
      if (this.st === MqttState.closing) this.enter(MqttState.idle);
      else if (this.connected()) this.fail(MqttFailure.linkClosed, 0);
    });
  }

  /** Payloads published to em/v1/unit/{id}/down. The PUBACK goes out after fn returns. */
  onDownlink(fn: (payload: Uint8Array) => void): void {
    this.downlinkFn = fn;
  }

  /** Every state change (e.g. to drain the uplink queue when it becomes online). */
  onStateChange(fn: (state: MqttStateValue) => void): void {
    this.stateFn = fn;
  }

  state(): MqttStateValue {
    return this.st;
  }

  /** Outgoing QoS 1 publishes awaiting PUBACK (the client's own status not counted). */
  inFlightCount(): number {
    return this.userInFlight;
  }

  /** Online with room in the in-flight window: publish() would accept a QoS 1 message. */
  canPublish(): boolean {
    return this.st === MqttState.online && this.userInFlight < this.limit;
  }

  /** Starts connecting (from idle only). */
  start(): void {
    if (this.st === MqttState.idle) this.connect();
  }

  /**
   * Publishes `payload`. QoS 1: done(true) on PUBACK, however many reconnects that takes;
   * done(false) only if stop() is called first. QoS 0: done(true) once the link accepted the bytes,
   * done(false) if it did not. Returns false (and never calls done) when not accepted: not online,
   * the window full, or a packet the encoder refuses.
   */
  publish(
    topic: string,
    payload: Uint8Array,
    qos: number,
    retain: boolean,
    done: (acked: boolean) => void,
  ): boolean {
    if (qos === 1 && !this.canPublish()) return false;
    if (qos === 0 && this.st !== MqttState.online) return false;
    const id = qos === 1 ? this.allocateId() : 0;
    const packet = encodePublish(utf8Encode(topic), payload, qos, retain, false, id);
    if (packet === null) return false;
    this.stats.published++;
    if (qos === 0) {
      this.send(packet, done);
      return true;
    }
    this.inFlight.push({
      packetId: id,
      packet: packet,
      done: done,
      sentAt: this.clock.monotonic(),
    });
    this.userInFlight++;
    this.send(packet, null);
    this.arm();
    return true;
  }

  /**
   * Ends the session on purpose: "offline" (retained) and DISCONNECT when online — DISCONNECT
   * makes the broker discard the will, so the status is set by hand. Publishes still in flight
   * are completed with done(false): their data stays with the caller (the flash queue).
   */
  stop(): void {
    if (this.st === MqttState.closing) return;
    const wasOnline = this.st === MqttState.online;
    const wasConnected = this.connected();
    this.cancelTimer();
    const pending = this.inFlight;
    this.inFlight = [];
    this.userInFlight = 0;
    if (wasConnected) {
      if (wasOnline) {
        const off = encodePublish(this.statusTopic, utf8Encode("offline"), 0, true, false, 0);
        if (off !== null) this.send(off, null);
      }
      const g = this.gen;
      this.enter(MqttState.closing);
      this.send(encodeDisconnect(), () => {
        if (g !== this.gen || this.st !== MqttState.closing) return;
        this.gen++;
        this.link.close();
        this.enter(MqttState.idle);
      });
    } else {
      this.gen++;
      if (this.st !== MqttState.idle) this.enter(MqttState.idle);
    }
    for (let i = 0; i < pending.length; i++) {
      const d = pending[i].done;
      if (d !== null) d(false);
    }
  }

  // ---- connection lifecycle ----

  private connected(): boolean {
    const s = this.st;
    return (
      s === MqttState.awaitingConnack ||
      s === MqttState.subscribing ||
      s === MqttState.online ||
      s === MqttState.closing
    );
  }

  private enter(s: MqttStateValue): void {
    this.st = s;
    if (this.stateFn !== null) this.stateFn(s);
  }

  private connect(): void {
    this.gen++;
    const g = this.gen;
    this.stats.connectAttempts++;
    this.enter(MqttState.connectingTcp);
    this.link.open(this.host, this.port, (ok: boolean) => {
      if (g !== this.gen || this.st !== MqttState.connectingTcp) {
        // stop() came while the socket was opening: do not keep a connection nobody uses.
        if (ok) this.link.close();
        return;
      }
      if (!ok) {
        this.fail(MqttFailure.openFailed, 0);
        return;
      }
      this.parser.reset();
      const now = this.clock.monotonic();
      this.lastReceivedAt = now;
      this.deadline = now + this.handshakeTimeoutMs;
      this.enter(MqttState.awaitingConnack);
      this.send(this.connectPacket, null);
      this.arm();
    });
  }

  /** Gives up the connection (or the attempt) and waits before the next one. */
  private fail(reason: MqttFailureValue, detail: number): void {
    const was = this.st;
    if (was === MqttState.idle || was === MqttState.backoff) return;
    this.gen++;
    this.parser.reset();
    this.cancelTimer();
    this.subscribeId = 0;
    if (was !== MqttState.connectingTcp && this.link.isOpen()) this.link.close();
    this.dropStatusPublishes();
    const s = this.stats;
    s.failureCount++;
    s.failures[reason]++;
    s.lastFailure = reason;
    s.lastFailureDetail = detail;
    if (was === MqttState.closing) {
      this.enter(MqttState.idle);
      return;
    }
    const now = this.clock.monotonic();
    // A connection that stayed up a whole keepalive counts as healthy: start the backoff over.
    if (was === MqttState.online && now - this.onlineAt >= this.keepAliveMs) this.attempt = 0;
    this.deadline = now + this.backoffDelay(reason, detail);
    this.enter(MqttState.backoff);
    this.arm();
  }

  /** Exponential backoff with "equal jitter": half the step fixed, half random, so a fleet that
   * lost its broker together does not come back in lockstep. */
  private backoffDelay(reason: MqttFailureValue, detail: number): number {
    let step = this.backoffMinMs;
    for (let i = 0; i < this.attempt && step < this.backoffMaxMs; i++) step *= 2;
    if (step > this.backoffMaxMs) step = this.backoffMaxMs;
    // Refusals that retrying cannot fix soon (bad protocol, id, credentials, authorisation) wait
    // the longest step at once; "server unavailable" (3) backs off like a network failure.
    if (reason === MqttFailure.refused && detail !== ConnackCode.serverUnavailable)
      step = this.backoffMaxMs;
    this.attempt++;
    const delay = Math.floor(step / 2 + this.random() * (step / 2));
    this.stats.lastBackoffMs = delay;
    return delay;
  }

  // ---- bytes out ----

  private send(bytes: Uint8Array, done: ((ok: boolean) => void) | null): void {
    const g = this.gen;
    this.stats.bytesOut += bytes.length;
    this.lastSentAt = this.clock.monotonic();
    this.link.write(bytes, (ok: boolean) => {
      if (done !== null) done(ok);
      if (!ok && g === this.gen) this.fail(MqttFailure.writeFailed, 0);
    });
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id === 65535 ? 1 : id + 1;
      if (id !== this.subscribeId && this.findInFlight(id) < 0) return id;
    }
  }

  private findInFlight(id: number): number {
    for (let i = 0; i < this.inFlight.length; i++) if (this.inFlight[i].packetId === id) return i;
    return -1;
  }

  /** Each connection publishes a fresh "online"; an unacknowledged one from before is moot. */
  private dropStatusPublishes(): void {
    const keep: InFlight[] = [];
    for (let i = 0; i < this.inFlight.length; i++)
      if (this.inFlight[i].done !== null) keep.push(this.inFlight[i]);
    this.inFlight = keep;
  }

  // ---- bytes in ----

  private onPacket(p: MqttInbound): void {
    const s = this.st;
    if (p.type === MqttType.connack) {
      // §3.2: exactly one CONNACK, first.
      if (s !== MqttState.awaitingConnack) {
        this.fail(MqttFailure.protocolError, 0);
        return;
      }
      if (p.returnCode !== ConnackCode.accepted) {
        this.fail(MqttFailure.refused, p.returnCode);
        return;
      }
      this.onConnack(p.sessionPresent);
      return;
    }
    if (s === MqttState.awaitingConnack) {
      this.fail(MqttFailure.protocolError, 0);
      return;
    }
    if (p.type === MqttType.suback) {
      if (s !== MqttState.subscribing || p.packetId !== this.subscribeId) return;
      this.subscribeId = 0;
      if (p.returnCodes[0] === 0x80) {
        this.fail(MqttFailure.subscribeRefused, 0x80);
        return;
      }
      this.onlineAt = this.clock.monotonic();
      this.enter(MqttState.online);
      this.arm();
      return;
    }
    if (p.type === MqttType.puback) {
      this.onPuback(p.packetId);
      return;
    }
    if (p.type === MqttType.publish) {
      this.onPublish(p);
      return;
    }
    this.stats.pingResponses++;
  }

  private onConnack(sessionPresent: boolean): void {
    const g = this.gen;
    const now = this.clock.monotonic();
    this.stats.connects++;
    if (sessionPresent) this.stats.sessionsResumed++;
    this.deadline = now + this.handshakeTimeoutMs;
    this.enter(MqttState.subscribing);
    // Subscribing again even when the broker kept the session costs one round trip and covers a
    // broker that lost it (session present = 0) without a second code path.
    this.subscribeId = this.allocateId();
    this.send(encodeSubscribe(this.subscribeId, [this.downFilter], [1]) as Uint8Array, null);
    if (g !== this.gen) return;
    const statusId = this.allocateId();
    const online = encodePublish(this.statusTopic, utf8Encode("online"), 1, true, false, statusId);
    const retry = this.inFlight;
    this.inFlight = [{ packetId: statusId, packet: online as Uint8Array, done: null, sentAt: now }];
    this.stats.published++;
    this.send(online as Uint8Array, null);
    // §4.4: unacknowledged publishes go again, DUP=1, in their original order (§4.6).
    for (let i = 0; i < retry.length && g === this.gen; i++) {
      const e = retry[i];
      setDup(e.packet);
      e.sentAt = now;
      this.inFlight.push(e);
      this.stats.resentOnReconnect++;
      this.send(e.packet, null);
    }
    if (g === this.gen) this.arm();
  }

  private onPuback(id: number): void {
    const i = this.findInFlight(id);
    if (i < 0) {
      this.stats.strayAcks++;
      return;
    }
    const e = this.inFlight[i];
    this.inFlight.splice(i, 1);
    this.stats.acked++;
    if (e.done !== null) {
      this.userInFlight--;
      e.done(true);
    }
  }

  private onPublish(p: MqttInboundPublish): void {
    const g = this.gen;
    if (p.topic === this.downTopic) {
      this.stats.downlinks++;
      // Acknowledged only after the callback took it: if the unit dies inside it, the broker
      // still holds the message and redelivers it (the downlink counter spots the duplicate).
      if (this.downlinkFn !== null) this.downlinkFn(p.payload);
    } else this.stats.foreignPublishes++;
    if (p.qos === 1 && g === this.gen && this.connected())
      this.send(encodePuback(p.packetId), null);
  }

  // ---- the one timer: handshake and backoff deadlines, keepalive, ack timeouts ----

  private cancelTimer(): void {
    if (this.timer !== 0) this.clock.clearTimeout(this.timer);
    this.timer = 0;
  }

  private nextDue(): number {
    const s = this.st;
    if (s === MqttState.awaitingConnack || s === MqttState.subscribing || s === MqttState.backoff)
      return this.deadline;
    if (s !== MqttState.online) return -1;
    let due = this.lastSentAt + this.keepAliveMs;
    const dead = this.lastReceivedAt + (this.keepAliveMs * 3) / 2;
    if (dead < due) due = dead;
    for (let i = 0; i < this.inFlight.length; i++) {
      const t = this.inFlight[i].sentAt + this.ackTimeoutMs;
      if (t < due) due = t;
    }
    return due;
  }

  private arm(): void {
    this.cancelTimer();
    const due = this.nextDue();
    if (due < 0) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = 0;
        this.onTimer();
      },
      Math.max(0, due - this.clock.monotonic()),
    );
  }

  private onTimer(): void {
    const now = this.clock.monotonic();
    const s = this.st;
    if (s === MqttState.backoff) {
      if (now >= this.deadline) {
        this.connect();
        return;
      }
    } else if (s === MqttState.awaitingConnack || s === MqttState.subscribing) {
      if (now >= this.deadline) {
        this.fail(MqttFailure.handshakeTimeout, 0);
        return;
      }
    } else if (s === MqttState.online) {
      if (now >= this.lastReceivedAt + (this.keepAliveMs * 3) / 2) {
        this.fail(MqttFailure.keepaliveTimeout, 0);
        return;
      }
      const g = this.gen;
      for (let i = 0; i < this.inFlight.length && g === this.gen; i++) {
        const e = this.inFlight[i];
        if (now < e.sentAt + this.ackTimeoutMs) continue;
        setDup(e.packet);
        e.sentAt = now;
        this.stats.resentOnTimeout++;
        this.send(e.packet, null);
      }
      if (g !== this.gen) return;
      if (now >= this.lastSentAt + this.keepAliveMs) {
        this.stats.pingsSent++;
        this.send(encodePingreq(), null);
        if (g !== this.gen) return;
      }
    }
    this.arm();
  }
}
