// The monitoring centre's receiving end, as a backend team would build it from SPEC §3, §7, §8,
// §12 and §13 with an off-the-shelf MQTT client: subscribe to every unit's uplinks and status and
// to the SMS gateway's topic; verify every envelope (COSE_Mac0 with the unit's derived key);
// classify its frame counter against the unit's window (SPEC §3 "Uplink window"); process each
// (unit, seq) exactly once, whichever path (MQTT or SMS) brought it first; and send signed
// downlinks.
//
// Session: clean session **false** under a fixed client id. QoS 1 only promises delivery to the
// subscriptions that exist; with a clean session everything published while the centre was
// disconnected (its own restart, a broker restart, a network blip) would be gone for it, and
// "no event lost" would end at the broker. With a persistent session the broker queues QoS 1
// messages for the centre while it is away, and MQTT.js resubscribes after reconnecting anyway.
// Duplicates that persistence causes (redelivery of unacknowledged messages) are exactly what
// the counter window and the seq dedupe absorb.
//
// Circumvention defences (issue 11, item 6; SPEC §3, §13): an envelope is filed only under the
// unit of the topic it came on (a unit's key proves the sender, the topic must agree); counters
// are windowed per (unit, key version) and a lower key version than the highest seen is refused;
// a unit silent for more than 2 heartbeat intervals raises a `unit_silent` alert; and the
// downlink counter can be persisted (write-ahead) so a restart continues above the last used,
// and the liveness state too (liveness-store.ts), so a restart neither forgets a silence nor
// alerts it twice. Its uplink counter state and processed seqs (SPEC §3: they MUST survive a
// restart) can be kept as a journal of the envelopes it accepted, replayed into the acceptor and
// the events at start: a replay recorded before a restart stays a replay after it.

import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import type { CborMap } from "@em-platform/protocol/core/cbor";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { ErrorCode } from "@em-platform/protocol/core/errors";
import { EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { decodeSmsText } from "@em-platform/protocol/core/sms-text";
import { downlinkTopic, SMS_IN_TOPIC } from "@em-platform/protocol/core/topics";
import { sealDownlinkHost } from "@em-platform/protocol/host/envelope";
import type { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { UplinkAcceptor } from "@em-platform/protocol/host/uplink-acceptor";
import type { MqttClient } from "mqtt";
import { connectMqtt } from "../broker/mqtt-connect";
import { JsonFileLivenessStore, type LivenessStore } from "./liveness-store";
import { readJsonFile, writeJsonFile } from "./state-file";

export const UPLINK_TOPICS = ["em/v1/unit/+/up", "em/v1/unit/+/status", SMS_IN_TOPIC];
/** SPEC §13 liveness: the heartbeat interval (s) until the centre sets another (firmware default). */
export const DEFAULT_HEARTBEAT_S = 900;
/** SPEC §13 liveness rule: silent for more than this many heartbeat intervals. */
export const SILENT_AFTER_HEARTBEATS = 2;
/** An envelope whose sentAt differs from the centre's clock by more than this is counted in
 * `clockSkewed` (SPEC §9 "Network time is bounded": a unit's clock a fake network moved). */
export const CLOCK_SKEW_S = 300;

export { CentreReject } from "@em-platform/protocol/host/uplink-acceptor";

function isCounterCode(code: string): boolean {
  return (
    code === ErrorCode.duplicate || code === ErrorCode.replay || code === ErrorCode.tooFarAhead
  );
}

export type ArrivalPath = "mqtt" | "sms";

/** One event, processed once: when and how it first arrived. */
export interface ReceivedEvent {
  unitId: number;
  seq: number;
  code: number;
  time: number;
  tagId: number | null;
  data: CborMap | null;
  path: ArrivalPath;
  /** Host wall clock (Date.now()) at first arrival. */
  hostMs: number;
  /** The centre's clock (`clock` option; the virtual world's in the simulator) at first arrival. */
  atMs: number;
  /** Frame counter of the envelope that brought it first. */
  counter: number;
}

export interface UnitTally {
  /** Envelopes accepted (fresh counter), per path. */
  envelopes: { mqtt: number; sms: number };
  /** MAC-valid envelopes whose counter was seen already (redeliveries), ignored. */
  duplicateFrames: number;
  /** Events inside fresh envelopes whose seq was processed already. */
  duplicateEvents: number;
  /** Counters below the window, or beyond the gap bound. */
  replays: number;
  tooFarAhead: number;
  /** Fresh envelopes whose sentAt was more than CLOCK_SKEW_S from the centre's clock. */
  clockSkewed: number;
}

/** A centre alert (SPEC §13 liveness rule). */
export interface CentreAlert {
  kind: "unit_silent";
  unitId: number;
  /** Centre clock when the unit was last heard (a fresh, verified envelope). */
  lastHeardMs: number;
  /** Centre clock when the alert was raised. */
  atMs: number;
  /** Centre clock when the unit was heard again; null while it is silent. */
  clearedAtMs: number | null;
}

/** Where the centre keeps its next downlink counter per unit across restarts. */
export interface DownCounterStore {
  /** The next counter to use for a unit, undefined if none stored. */
  get(unitId: number): number | undefined;
  /** Stores the next counter; must be durable before it returns (write-ahead). */
  set(unitId: number, next: number): void;
}

/** A DownCounterStore in one small JSON file `{ "<unitId>": next }`, replaced atomically. */
export class JsonFileDownCounterStore implements DownCounterStore {
  private readonly next: Record<string, number>;

  constructor(private readonly path: string) {
    this.next = readJsonFile<Record<string, number>>(path, {});
  }

  get(unitId: number): number | undefined {
    return this.next[String(unitId)];
  }

  set(unitId: number, next: number): void {
    this.next[String(unitId)] = next;
    writeJsonFile(this.path, this.next);
  }
}

export interface UnitStatus {
  status: string;
  hostMs: number;
  atMs: number;
  changes: number;
}

/** A signed downlink: its counter and the envelope bytes (MQTT payload, or SMS after encodeSmsText). */
export interface SignedCommand {
  counter: number;
  envelope: Uint8Array;
}

export interface ReceiverOptions {
  url: string;
  /** Connect through this instead of `url` (the accelerated world's in-process network). */
  dial?: () => Duplex;
  keyring: FleetKeyring;
  /** MQTT client id of the centre; one persistent session per id. */
  clientId: string;
  /** Broker password of the centre's account, whose user name is the client id; none by
   * default (SPEC §13, "Broker accounts"). */
  password?: string;
  /** The centre's clock, UTC ms (downlink issued-at, arrival stamps). Default Date.now. */
  clock?: () => number;
  /** Key version for downlinks. Default 1. */
  keyVersion?: number;
  /** MQTT reconnect period (ms). Default 200. */
  reconnectMs?: number;
  /** Persist downlink counters in this JSON file (see JsonFileDownCounterStore). */
  downCounterFile?: string;
  /** Or in this store (wins over downCounterFile). Default: memory only (restarts at 1). */
  downCounterStore?: DownCounterStore;
  /** Check liveness every this many ms of host time (0 or absent: only when checkLiveness is called). */
  livenessCheckMs?: number;
  /** Keep the liveness state in this JSON file across restarts (JsonFileLivenessStore). */
  livenessFile?: string;
  /** Append every accepted envelope to this file (a JSON line: centre time, path, topic's unit,
   * bytes, written before its events are processed) and replay it at start, so counter windows
   * and processed seqs survive a restart (SPEC §3). Default: memory only. */
  journalFile?: string;
  /** Or in this store (wins over livenessFile). Default: memory only. */
  livenessStore?: LivenessStore;
}

/** One message through the centre's broker connection. */
export interface TrafficRecord {
  /** The centre's clock, UTC ms. */
  atMs: number;
  /** "in": taken from the broker; "out": a downlink published. */
  dir: "in" | "out";
  topic: string;
  payload: Uint8Array;
}

interface UnitRecord {
  /** Centre clock of the last fresh verified envelope; null before any. */
  lastHeardMs: number | null;
  /** Heartbeat interval (s) the unit acked last, or the default. */
  heartbeatS: number;
  /** set_intervals heartbeats signed but not acked yet, by downlink counter. */
  pendingHeartbeatS: Map<number, number>;
  /** The open unit_silent alert, if any. */
  silent: CentreAlert | null;
  events: Map<number, ReceivedEvent>;
  tally: UnitTally;
  nextDownCounter: number;
}

export class ReferenceReceiver {
  /** Frames that failed verification, by error code (bad_mac, wrong_device, bad_cbor …). */
  readonly rejected: Record<string, number> = {};
  /** SMS on the gateway topic that were not EM1 text or not JSON. */
  badSms = 0;
  /** Messages taken from the SMS gateway's topic, good or bad. */
  smsMessages = 0;
  /** Every alert raised, oldest first (cleared ones keep clearedAtMs). */
  readonly alerts: CentreAlert[] = [];
  private readonly units = new Map<number, UnitRecord>();
  private readonly statuses = new Map<number, UnitStatus>();
  private readonly listeners: ((e: ReceivedEvent) => void)[] = [];
  private readonly clock: () => number;
  private readonly keyVersion: number;
  private readonly downStore: DownCounterStore | null;
  private readonly livenessStore: LivenessStore | null;
  private readonly journalFile: string | null;
  private readonly alertListeners: ((a: CentreAlert) => void)[] = [];
  private readonly trafficListeners: ((m: TrafficRecord) => void)[] = [];
  private livenessTimer: ReturnType<typeof setInterval> | null = null;
  private readonly acceptor: UplinkAcceptor;

  private constructor(
    private readonly client: MqttClient,
    private readonly keyring: FleetKeyring,
    o: ReceiverOptions,
  ) {
    this.clock = o.clock ?? Date.now;
    this.acceptor = new UplinkAcceptor(keyring.lookup);
    this.keyVersion = o.keyVersion ?? 1;
    this.downStore =
      o.downCounterStore ??
      (o.downCounterFile !== undefined ? new JsonFileDownCounterStore(o.downCounterFile) : null);
    this.journalFile = o.journalFile ?? null;
    if (this.journalFile !== null && existsSync(this.journalFile))
      for (const line of readFileSync(this.journalFile, "utf8").split("\n")) {
        if (line === "") continue;
        const j = JSON.parse(line) as {
          at: number;
          path: ArrivalPath;
          topic?: number;
          hex: string;
        };
        this.take(fromHex(j.hex) as Uint8Array, j.path, j.topic, j.at, false);
      }
    this.livenessStore =
      o.livenessStore ??
      (o.livenessFile !== undefined ? new JsonFileLivenessStore(o.livenessFile) : null);
    for (const [unitId, l] of this.livenessStore?.load() ?? []) {
      const u = this.unit(unitId);
      u.lastHeardMs = l.lastHeardMs;
      u.heartbeatS = l.heartbeatS;
      for (const [counter, hb] of l.pending) u.pendingHeartbeatS.set(counter, hb);
      if (l.alertedAtMs !== null && l.lastHeardMs !== null)
        u.silent = {
          kind: "unit_silent",
          unitId,
          lastHeardMs: l.lastHeardMs,
          atMs: l.alertedAtMs,
          clearedAtMs: null,
        };
    }
    if (o.livenessCheckMs) {
      this.livenessTimer = setInterval(() => this.checkLiveness(), o.livenessCheckMs);
      this.livenessTimer.unref?.();
    }
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
  }

  /** Connects (persistent session), subscribes at QoS 1 and resolves once subscribed. */
  static async start(o: ReceiverOptions): Promise<ReferenceReceiver> {
    const client = connectMqtt(o.dial ?? o.url, {
      clientId: o.clientId,
      username: o.password === undefined ? undefined : o.clientId,
      password: o.password,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: o.reconnectMs ?? 200,
      connectTimeout: 5000,
    });
    client.on("error", () => {});
    const r = new ReferenceReceiver(client, o.keyring, o);
    await new Promise<void>((res) => client.once("connect", () => res()));
    await client.subscribeAsync(UPLINK_TOPICS, { qos: 1 });
    return r;
  }

  async stop(): Promise<void> {
    if (this.livenessTimer !== null) clearInterval(this.livenessTimer);
    await this.client.endAsync();
  }

  /** Called with every event the first time it arrives. */
  onEvent(fn: (e: ReceivedEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Called with every message the centre takes from the broker and every downlink it sends,
   * in the order it handles them (the run's message log). */
  onTraffic(fn: (m: TrafficRecord) => void): void {
    this.trafficListeners.push(fn);
  }

  private traffic(dir: "in" | "out", topic: string, payload: Uint8Array): void {
    if (this.trafficListeners.length === 0) return;
    const m: TrafficRecord = { atMs: this.clock(), dir, topic, payload };
    for (const fn of this.trafficListeners) fn(m);
  }

  /** Called with every alert when it is raised. */
  onAlert(fn: (a: CentreAlert) => void): void {
    this.alertListeners.push(fn);
  }

  /**
   * Verifies and processes one uplink envelope (what the MQTT and SMS paths both call).
   * `topicUnitId`: the unit id of the MQTT topic it came on (SMS carry none); an envelope
   * verified for another unit is rejected as `topic_mismatch`.
   */
  receiveEnvelope(bytes: Uint8Array, path: ArrivalPath, topicUnitId?: number): void {
    this.take(bytes, path, topicUnitId, this.clock(), true);
  }

  /** `live`: arriving now (journaled, heard for liveness, its events reported); else replayed
   * from the journal at start, rebuilding only the counter windows and the processed events —
   * the liveness state has its own store, which a replay must not move. */
  private take(
    bytes: Uint8Array,
    path: ArrivalPath,
    topicUnitId: number | undefined,
    atMs: number,
    live: boolean,
  ): void {
    const o = this.acceptor.accept(bytes, topicUnitId);
    if (!o.ok) {
      if (o.unitId !== undefined && isCounterCode(o.code)) {
        const t = this.unit(o.unitId).tally;
        if (o.code === ErrorCode.duplicate) t.duplicateFrames++;
        else if (o.code === ErrorCode.replay) t.replays++;
        else t.tooFarAhead++;
      } else this.reject(o.code);
      return;
    }
    const up = o.value.uplink;
    if (live && this.journalFile !== null)
      appendFileSync(
        this.journalFile,
        JSON.stringify({ at: atMs, path, topic: topicUnitId, hex: toHex(bytes) }) + "\n",
      );
    const u = this.unit(up.unitId);
    u.tally.envelopes[path]++;
    const hostMs = Date.now();
    if (Math.abs(up.sentAt - atMs / 1000) > CLOCK_SKEW_S) u.tally.clockSkewed++;
    if (live) {
      u.lastHeardMs = atMs;
      if (u.silent !== null) {
        u.silent.clearedAtMs = atMs;
        u.silent = null;
      }
      this.saveLiveness(up.unitId, u);
    }
    for (const e of up.events) {
      if (u.events.has(e.seq)) {
        u.tally.duplicateEvents++;
        continue;
      }
      const r: ReceivedEvent = {
        unitId: up.unitId,
        seq: e.seq,
        code: e.code,
        time: e.time,
        tagId: e.tagId,
        data: e.data,
        path: path,
        hostMs: hostMs,
        atMs: atMs,
        counter: up.counter,
      };
      u.events.set(e.seq, r);
      if (!live) continue;
      if (e.code === EventCode.commandAck && e.data !== null) this.onAck(up.unitId, u, e.data);
      for (const fn of this.listeners) fn(r);
    }
  }

  /**
   * SPEC §13 liveness rule: every unit heard at least once and silent (no fresh verified
   * envelope) for more than 2 of its heartbeat intervals gets one `unit_silent` alert per
   * silence. Call it periodically (or set livenessCheckMs); tests call it in virtual time.
   */
  checkLiveness(): void {
    const now = this.clock();
    for (const [unitId, u] of this.units) {
      if (u.lastHeardMs === null || u.silent !== null) continue;
      // A shorter interval signed but not acked yet must not raise a false alarm.
      let hb = u.heartbeatS;
      for (const p of u.pendingHeartbeatS.values()) if (p > hb) hb = p;
      if (now - u.lastHeardMs <= SILENT_AFTER_HEARTBEATS * hb * 1000) continue;
      const a: CentreAlert = {
        kind: "unit_silent",
        unitId: unitId,
        lastHeardMs: u.lastHeardMs,
        atMs: now,
        clearedAtMs: null,
      };
      u.silent = a;
      this.alerts.push(a);
      this.saveLiveness(unitId, u);
      for (const fn of this.alertListeners) fn(a);
    }
  }

  /** Alerts not cleared yet. */
  openAlerts(): CentreAlert[] {
    return this.alerts.filter((a) => a.clearedAtMs === null);
  }

  /** Frames whose MAC did not verify or that named a key or unit they are not signed with. */
  forged(): number {
    const r = this.rejected;
    return (
      (r[ErrorCode.badMac] ?? 0) +
      (r[ErrorCode.unknownKeyVersion] ?? 0) +
      (r[ErrorCode.wrongDevice] ?? 0)
    );
  }

  /** The units with processed events. */
  unitsWithEvents(): number[] {
    return Array.from(this.units.entries())
      .filter(([, u]) => u.events.size > 0)
      .map(([id]) => id);
  }

  /** Every processed event of a unit, by seq. */
  events(unitId: number): ReceivedEvent[] {
    const u = this.units.get(unitId);
    if (u === undefined) return [];
    return Array.from(u.events.values()).sort((a, b) => a.seq - b.seq);
  }

  event(unitId: number, seq: number): ReceivedEvent | null {
    return this.units.get(unitId)?.events.get(seq) ?? null;
  }

  /** Events of a unit with this code, by seq. */
  withCode(unitId: number, code: number): ReceivedEvent[] {
    return this.events(unitId).filter((e) => e.code === code);
  }

  /** command_ack events of a unit for this downlink counter. */
  acks(unitId: number, downCounter: number): ReceivedEvent[] {
    return this.withCode(unitId, EventCode.commandAck).filter(
      (e) => e.data !== null && e.data[1] === downCounter,
    );
  }

  /** Seqs missing between `from` (default: the lowest seen) and the highest seen. */
  missingSeqs(unitId: number, from?: number): number[] {
    const u = this.units.get(unitId);
    if (u === undefined || u.events.size === 0) return [];
    let lo = Number.POSITIVE_INFINITY;
    let hi = -1;
    for (const s of u.events.keys()) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const out: number[] = [];
    for (let s = from ?? lo; s <= hi; s++) if (!u.events.has(s)) out.push(s);
    return out;
  }

  tally(unitId: number): UnitTally {
    return this.unit(unitId).tally;
  }

  /** The unit's retained status ("online" / "offline" will), null before any. */
  status(unitId: number): UnitStatus | null {
    return this.statuses.get(unitId) ?? null;
  }

  /**
   * Signs one command for a unit without sending it (for the SMS path, or to replay or tamper
   * with in tests). Each call takes the unit's next downlink counter: 1, 2, … only increasing.
   */
  signCommand(unitId: number, code: number, args: CborMap | null, ttlS = 3600): SignedCommand {
    const key = this.keyring.key(KeyPurpose.unitDownlink, unitId, this.keyVersion);
    if (key === null) throw new Error("no downlink key for version " + this.keyVersion);
    const u = this.unit(unitId);
    const counter = u.nextDownCounter++;
    // Write-ahead: the next counter is durable before this one leaves the centre.
    this.downStore?.set(unitId, u.nextDownCounter);
    if (code === CommandCode.setIntervals && args !== null && typeof args[1] === "number") {
      u.pendingHeartbeatS.set(counter, args[1]);
      this.saveLiveness(unitId, u);
    }
    const now = Math.floor(this.clock() / 1000);
    const envelope = sealDownlinkHost(key, this.keyVersion, {
      unitId: unitId,
      counter: counter,
      issuedAt: now,
      expiresAt: now + ttlS,
      code: code,
      args: args,
    });
    return { counter: counter, envelope: envelope };
  }

  /**
   * Signs and publishes one command (QoS 1, not retained) to the unit's down topic; resolves with
   * its downlink counter once the broker has it.
   */
  async sendCommand(
    unitId: number,
    code: number,
    args: CborMap | null,
    ttlS = 3600,
  ): Promise<number> {
    const c = this.signCommand(unitId, code, args, ttlS);
    this.traffic("out", downlinkTopic(unitId), c.envelope);
    await this.client.publishAsync(downlinkTopic(unitId), Buffer.from(c.envelope), { qos: 1 });
    return c.counter;
  }

  private unit(unitId: number): UnitRecord {
    let u = this.units.get(unitId);
    if (u === undefined) {
      u = {
        lastHeardMs: null,
        heartbeatS: DEFAULT_HEARTBEAT_S,
        pendingHeartbeatS: new Map(),
        silent: null,
        events: new Map(),
        tally: {
          envelopes: { mqtt: 0, sms: 0 },
          duplicateFrames: 0,
          duplicateEvents: 0,
          replays: 0,
          tooFarAhead: 0,
          clockSkewed: 0,
        },
        nextDownCounter: this.downStore?.get(unitId) ?? 1,
      };
      this.units.set(unitId, u);
    }
    return u;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
    this.traffic("in", topic, bytes);
    if (topic === SMS_IN_TOPIC) {
      this.smsMessages++;
      this.onSms(payload.toString("utf8"));
      return;
    }
    const parts = topic.split("/");
    // em/v1/unit/{8 hex}/{up|status}
    if (parts.length !== 5 || !/^[0-9a-f]{8}$/.test(parts[3])) return;
    const unitId = parseInt(parts[3], 16);
    if (parts[4] === "up") this.receiveEnvelope(bytes, "mqtt", unitId);
    else if (parts[4] === "status") this.onStatus(unitId, payload.toString("latin1"));
  }

  /** A set_intervals heartbeat takes effect for the liveness rule once the unit acks it ok. */
  private onAck(unitId: number, u: UnitRecord, data: CborMap): void {
    const counter = data[1];
    if (typeof counter !== "number") return;
    const hb = u.pendingHeartbeatS.get(counter);
    if (hb === undefined) return;
    u.pendingHeartbeatS.delete(counter);
    if (data[3] === AckResult.ok) u.heartbeatS = hb;
    this.saveLiveness(unitId, u);
  }

  private saveLiveness(unitId: number, u: UnitRecord): void {
    this.livenessStore?.save(unitId, {
      lastHeardMs: u.lastHeardMs,
      heartbeatS: u.heartbeatS,
      pending: Array.from(u.pendingHeartbeatS.entries()),
      alertedAtMs: u.silent?.atMs ?? null,
    });
  }

  private reject(code: string): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
  }

  private onSms(json: string): void {
    let text: unknown;
    try {
      text = (JSON.parse(json) as { text?: unknown }).text;
    } catch {
      this.badSms++;
      return;
    }
    const d = typeof text === "string" ? decodeSmsText(text) : null;
    if (d === null || !d.ok) {
      this.badSms++;
      return;
    }
    this.receiveEnvelope(d.value, "sms");
  }

  private onStatus(unitId: number, status: string): void {
    const prev = this.statuses.get(unitId);
    this.statuses.set(unitId, {
      status: status,
      hostMs: Date.now(),
      atMs: this.clock(),
      changes: (prev?.changes ?? 0) + (prev === undefined || prev.status !== status ? 1 : 0),
    });
  }
}
