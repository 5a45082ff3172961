// Downlink commands (SPEC §8, §10): nothing changes until a command has passed MAC, addressee,
// counter and expiry checks, and every command that passes them is answered by a command_ack
// event with a result code. Forged and replayed downlinks change nothing and are reported,
// rate-limited. Argument checks live here; the effects are the app's (CommandHandlers).

import { copyBytes, isU32 } from "@em-platform/protocol/core/bytes";
import { type CborMap, type CborValue, isCborMap } from "@em-platform/protocol/core/cbor";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import type { KeyLookup } from "@em-platform/protocol/core/cose";
import { checkExpiry, type Downlink, openDownlink } from "@em-platform/protocol/core/downlink";
import { ErrorCode } from "@em-platform/protocol/core/errors";
import { type CommandAckData, EventCode, FrameSource } from "@em-platform/protocol/core/events";
import { xorTagKey } from "@em-platform/protocol/core/key-wrap";
import type { Sha256 } from "@em-platform/protocol/core/sha256";
import { parseTagCommand } from "@em-platform/protocol/core/tag-command";
import type { EventSink } from "../presence/presence-event";
import { unitEvent } from "../presence/presence-event";
import { ReportLimiter } from "../presence/report-limiter";
import { DownlinkWindow, type DownlinkWindowState } from "./downlink-window";

/** Without a supervisor's approval an exception lasts at most 2 hours (REQUIREMENTS: §11). */
export const MAX_UNAPPROVED_EXCEPTION_S = 7200;
/** Gap bound for downlink counters (SPEC §3). */
export const DOWNLINK_GAP = 1000000;

export interface ExceptionArgs {
  id: number;
  start: number;
  end: number;
  kind: number;
  approved: boolean;
}

/**
 * The app's side. Each handler is called only with checked arguments and returns an AckResult
 * code (SPEC §10); it must not throw.
 */
export interface CommandHandlers {
  /** An AckResult, or for a refusal the ack data from key 3 on (schedule.ts rejectionAck). */
  setSchedule(schedule: CborValue, now: number): number | AckData;
  addException(e: ExceptionArgs, now: number): number;
  removeException(id: number): number;
  setRangePreset(preset: number): number;
  /** null: leave that interval as it is. */
  setIntervals(heartbeatS: number | null, beaconS: number | null): number;
  /** A verified tag command (`code`, `arg` parsed from `frame`) to deliver before `expiresAt`;
   * `counter` is the downlink's, named again in the outcome (tag_command_result). */
  forwardTagCommand(
    frame: Uint8Array,
    code: number,
    arg: number,
    counter: number,
    expiresAt: number,
  ): number;
  setTime(utcS: number): number;
  notifySubject(pattern: number, durationS: number, counter: number): number;
  pairTag(tagId: number, keyVersion: number, beaconKey: Uint8Array): number;
  decommission(): number;
  reboot(): number;
  requestStatus(): number;
  rangeTest(durationS: number): number;
}

export interface CommandProcessorOptions {
  unitId: number;
  sha: Sha256;
  /** Unit downlink keys by kid (the unit holds its current and previous key versions). */
  keys: KeyLookup;
  /** The unit key-wrap key for a key version, to unwrap pair_tag (SPEC §10); null if not held. */
  wrapKey: (keyVersion: number) => Uint8Array | null;
  counterState: DownlinkWindowState | null;
  handlers: CommandHandlers;
  sink: EventSink;
  /** Persist the receiver counter before the command takes effect (a replay after reboot must fail). */
  saveCounter: (s: DownlinkWindowState) => void;
  reportPeriodMs: number;
}

function num(args: CborMap | null, k: number): number | null {
  if (args === null) return null;
  const v = args[k];
  return typeof v === "number" ? v : null;
}

function inRange(v: number | null, lo: number, hi: number): boolean {
  return v !== null && v >= lo && v <= hi;
}

/** command_ack data keys 3 and up: 3 result, then what the result needs (SPEC §10). */
export type AckData = { [key: number]: number };

export type CommandOutcome = "acked" | "ignored" | "forged" | "replayed";

export class CommandProcessor {
  private readonly o: CommandProcessorOptions;
  private readonly counter: DownlinkWindow;
  private readonly forged: ReportLimiter;
  private readonly replayed: ReportLimiter;
  /** SMS commands are counted apart: the report names the path (SPEC §9, source 3). */
  private readonly forgedSms: ReportLimiter;
  private readonly replayedSms: ReportLimiter;

  constructor(o: CommandProcessorOptions) {
    this.o = o;
    this.counter = new DownlinkWindow(DOWNLINK_GAP, o.counterState);
    this.forged = new ReportLimiter(
      EventCode.forgedFrameSeen,
      FrameSource.downlink,
      o.reportPeriodMs,
      o.sink,
    );
    this.replayed = new ReportLimiter(
      EventCode.replayedFrameSeen,
      FrameSource.downlink,
      o.reportPeriodMs,
      o.sink,
    );
    this.forgedSms = new ReportLimiter(
      EventCode.forgedFrameSeen,
      FrameSource.sms,
      o.reportPeriodMs,
      o.sink,
    );
    this.replayedSms = new ReportLimiter(
      EventCode.replayedFrameSeen,
      FrameSource.sms,
      o.reportPeriodMs,
      o.sink,
    );
  }

  /** One downlink envelope from MQTT. `nowMs` is monotonic, `now` UTC seconds. */
  handle(bytes: Uint8Array, now: number, nowMs: number): CommandOutcome {
    return this.process(bytes, now, nowMs, this.forged, this.replayed);
  }

  /** One downlink envelope that came by SMS (from an allowed centre number). */
  handleSms(bytes: Uint8Array, now: number, nowMs: number): CommandOutcome {
    return this.process(bytes, now, nowMs, this.forgedSms, this.replayedSms);
  }

  private process(
    bytes: Uint8Array,
    now: number,
    nowMs: number,
    forged: ReportLimiter,
    replayed: ReportLimiter,
  ): CommandOutcome {
    const o = this.o;
    const opened = openDownlink(o.sha, bytes, o.unitId, o.keys);
    if (!opened.ok) {
      // Anything that fails authentication or names another unit is treated as forged: a
      // correct centre never sends it.
      forged.record(nowMs, now, 0);
      return "forged";
    }
    const fresh = this.counter.check(opened.value.downlink.counter, opened.value.tag);
    if (!fresh.ok) {
      if (fresh.code === ErrorCode.duplicate) return "ignored";
      replayed.record(nowMs, now, 0);
      return "replayed";
    }
    o.saveCounter(this.counter.state());
    const d = opened.value.downlink;
    const r = checkExpiry(d, now).ok
      ? this.dispatch(d, now, opened.value.keyVersion)
      : AckResult.expired;
    const data: AckData = typeof r === "number" ? { 3: r } : r;
    data[1] = d.counter;
    data[2] = d.code;
    o.sink(unitEvent(EventCode.commandAck, now, 0, data as CommandAckData));
    return "acked";
  }

  /** Reports counted incidents whose period has passed (call from a timer). */
  tick(nowMs: number, now: number): void {
    this.forged.tick(nowMs, now);
    this.replayed.tick(nowMs, now);
    this.forgedSms.tick(nowMs, now);
    this.replayedSms.tick(nowMs, now);
  }

  private dispatch(d: Downlink, now: number, kv: number): number | AckData {
    const h = this.o.handlers;
    const a = d.args;
    switch (d.code) {
      case CommandCode.setSchedule: {
        const schedule = a === null ? undefined : a[1];
        if (schedule === undefined || schedule === null || !isCborMap(schedule))
          return AckResult.badArguments;
        return h.setSchedule(schedule, now);
      }
      case CommandCode.addException: {
        const id = num(a, 1);
        const start = num(a, 2);
        const end = num(a, 3);
        const kind = num(a, 4);
        const approved = a !== null && a[5] === true;
        if (!isU32(id) || !isU32(start) || !isU32(end) || end <= start || end <= now)
          return AckResult.badArguments;
        if (kind !== 1 && kind !== 2) return AckResult.badArguments;
        if (!approved && end - start > MAX_UNAPPROVED_EXCEPTION_S) return AckResult.badArguments;
        return h.addException(
          { id: id, start: start, end: end, kind: kind, approved: approved },
          now,
        );
      }
      case CommandCode.removeException: {
        const id = num(a, 1);
        return isU32(id) ? h.removeException(id) : AckResult.badArguments;
      }
      case CommandCode.setRangePreset: {
        const p = num(a, 1);
        return inRange(p, 1, 3) ? h.setRangePreset(p as number) : AckResult.badArguments;
      }
      case CommandCode.setIntervals: {
        const hb = num(a, 1);
        const bi = num(a, 2);
        if (hb === null && bi === null) return AckResult.badArguments;
        if (hb !== null && !inRange(hb, 60, 86400)) return AckResult.badArguments;
        if (bi !== null && !inRange(bi, 2, 600)) return AckResult.badArguments;
        return h.setIntervals(hb, bi);
      }
      case CommandCode.rearmTag: {
        const frame = a === null ? null : a[1];
        const tc = frame instanceof Uint8Array ? parseTagCommand(frame) : null;
        if (!(frame instanceof Uint8Array) || tc === null || !tc.ok) return AckResult.badArguments;
        return h.forwardTagCommand(
          copyBytes(frame),
          tc.value.code,
          tc.value.arg,
          d.counter,
          d.expiresAt,
        );
      }
      case CommandCode.setTime: {
        const t = num(a, 1);
        return isU32(t) ? h.setTime(t) : AckResult.badArguments;
      }
      case CommandCode.notifySubject: {
        const p = num(a, 1);
        const s = num(a, 2);
        if (!inRange(p, 1, 3) || !inRange(s, 1, 3600)) return AckResult.badArguments;
        return h.notifySubject(p as number, s as number, d.counter);
      }
      case CommandCode.pairTag:
        return this.pair(d, kv);
      case CommandCode.decommission:
        return h.decommission();
      case CommandCode.reboot:
        return h.reboot();
      case CommandCode.requestStatus:
        return h.requestStatus();
      case CommandCode.rangeTest: {
        const s = num(a, 1);
        return inRange(s, 10, 3600) ? h.rangeTest(s as number) : AckResult.badArguments;
      }
      default:
        return AckResult.unsupported;
    }
  }

  /** The key is wrapped under the unit's key-wrap key of the same version as the downlink key
   * that signed the command (the unit's own key version), whatever the tag's key version is:
   * a tag re-keyed to version 3 can be paired with a unit still at version 1. */
  private pair(d: Downlink, unitKv: number): number {
    const tagId = num(d.args, 1);
    const kv = num(d.args, 2);
    const wrapped = d.args === null ? null : d.args[3];
    if (!isU32(tagId) || tagId === 0 || !inRange(kv, 0, 255)) return AckResult.badArguments;
    if (!(wrapped instanceof Uint8Array) || wrapped.length !== 32) return AckResult.badArguments;
    const wk = this.o.wrapKey(unitKv);
    if (wk === null) return AckResult.deviceFailure;
    return this.o.handlers.pairTag(
      tagId,
      kv as number,
      xorTagKey(this.o.sha, wk, d.counter, tagId, wrapped),
    );
  }
}
