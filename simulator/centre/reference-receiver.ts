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

import mqtt, { type MqttClient } from "mqtt";
import type { CborMap } from "../../protocol/src/core/cbor";
import { ErrorCode } from "../../protocol/src/core/errors";
import { EventCode } from "../../protocol/src/core/events";
import { KeyPurpose } from "../../protocol/src/core/keys";
import { decodeSmsText } from "../../protocol/src/core/sms-text";
import { downlinkTopic, SMS_IN_TOPIC } from "../../protocol/src/core/topics";
import { WindowReceiverCounter } from "../../protocol/src/core/window-counter";
import { openUplinkHost, sealDownlinkHost } from "../../protocol/src/host/envelope";
import type { FleetKeyring } from "../../protocol/src/host/keyring";

export const UPLINK_TOPICS = ["em/v1/unit/+/up", "em/v1/unit/+/status", SMS_IN_TOPIC];
/** SPEC §3 default gap bound for uplinks. */
const UPLINK_GAP = 1000000;

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
  keyring: FleetKeyring;
  /** MQTT client id of the centre; one persistent session per id. */
  clientId: string;
  /** The centre's clock, UTC ms (downlink issued-at, arrival stamps). Default Date.now. */
  clock?: () => number;
  /** Key version for downlinks. Default 1. */
  keyVersion?: number;
  /** MQTT reconnect period (ms). Default 200. */
  reconnectMs?: number;
}

interface UnitRecord {
  window: WindowReceiverCounter;
  events: Map<number, ReceivedEvent>;
  tally: UnitTally;
  nextDownCounter: number;
}

export class ReferenceReceiver {
  /** Frames that failed verification, by error code (bad_mac, wrong_device, bad_cbor …). */
  readonly rejected: Record<string, number> = {};
  /** SMS on the gateway topic that were not EM1 text or not JSON. */
  badSms = 0;
  private readonly units = new Map<number, UnitRecord>();
  private readonly statuses = new Map<number, UnitStatus>();
  private readonly listeners: ((e: ReceivedEvent) => void)[] = [];
  private readonly clock: () => number;
  private readonly keyVersion: number;

  private constructor(
    private readonly client: MqttClient,
    private readonly keyring: FleetKeyring,
    o: ReceiverOptions,
  ) {
    this.clock = o.clock ?? Date.now;
    this.keyVersion = o.keyVersion ?? 1;
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
  }

  /** Connects (persistent session), subscribes at QoS 1 and resolves once subscribed. */
  static async start(o: ReceiverOptions): Promise<ReferenceReceiver> {
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
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
    await this.client.endAsync();
  }

  /** Called with every event the first time it arrives. */
  onEvent(fn: (e: ReceivedEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Verifies and processes one uplink envelope (what the MQTT and SMS paths both call). */
  receiveEnvelope(bytes: Uint8Array, path: ArrivalPath): void {
    const o = openUplinkHost(bytes, this.keyring.lookup);
    if (!o.ok) {
      this.rejected[o.code] = (this.rejected[o.code] ?? 0) + 1;
      return;
    }
    const up = o.value.uplink;
    const u = this.unit(up.unitId);
    const c = u.window.check(up.counter);
    if (!c.ok) {
      if (c.code === ErrorCode.duplicate) u.tally.duplicateFrames++;
      else if (c.code === ErrorCode.replay) u.tally.replays++;
      else u.tally.tooFarAhead++;
      return;
    }
    u.tally.envelopes[path]++;
    const hostMs = Date.now();
    const atMs = this.clock();
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
      for (const fn of this.listeners) fn(r);
    }
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
    const counter = this.unit(unitId).nextDownCounter++;
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
    await this.client.publishAsync(downlinkTopic(unitId), Buffer.from(c.envelope), { qos: 1 });
    return c.counter;
  }

  private unit(unitId: number): UnitRecord {
    let u = this.units.get(unitId);
    if (u === undefined) {
      u = {
        window: new WindowReceiverCounter(UPLINK_GAP),
        events: new Map(),
        tally: {
          envelopes: { mqtt: 0, sms: 0 },
          duplicateFrames: 0,
          duplicateEvents: 0,
          replays: 0,
          tooFarAhead: 0,
        },
        nextDownCounter: 1,
      };
      this.units.set(unitId, u);
    }
    return u;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
    if (topic === SMS_IN_TOPIC) {
      this.onSms(payload.toString("utf8"));
      return;
    }
    const parts = topic.split("/");
    // em/v1/unit/{8 hex}/{up|status}
    if (parts.length !== 5 || !/^[0-9a-f]{8}$/.test(parts[3])) return;
    const unitId = parseInt(parts[3], 16);
    if (parts[4] === "up") this.receiveEnvelope(bytes, "mqtt");
    else if (parts[4] === "status") this.onStatus(unitId, payload.toString("latin1"));
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
