// What each centre command does to the unit (SPEC §10): the handlers the command processor calls
// once a downlink is authentic, fresh and in time. Each returns the AckResult the centre gets;
// a change is written to flash before it is acknowledged ok.
//
// Device code (DEVICE-JS subset).

import type { CborValue } from "@em-platform/protocol/core/cbor";
import { AckResult } from "@em-platform/protocol/core/commands";
import { ClockSource, EventCode } from "@em-platform/protocol/core/events";
import { RecordName, saveExceptions, saveNumber, savePairing, saveSettings } from "./base-records";
import type { AckData, ExceptionArgs } from "./commands/command-processor";
import { unitEvent } from "./presence/presence-event";
import { Presence } from "./presence/presence-tracker";
import { decodeException } from "./schedule/exception";
import { decodeSchedule, rejectionAck } from "./schedule/schedule";
import { persistSchedules, type UnitCore, unitUtc } from "./unit-core";
import { report } from "./unit-events";
import { heartbeat } from "./unit-heartbeat";

// Each is a method of the unit (`this`: unit-core.ts), so the unit is its own CommandHandlers:
// a function at the top level costs less on Espruino than a closure per command.

export function setSchedule(this: UnitCore, v: CborValue, now: number): number | AckData {
  const s = decodeSchedule(v);
  const r = s.ok ? this.schedules.offerSchedule(s.value, now) : s;
  if (!r.ok) return rejectionAck(r);
  return persistSchedules(this) ? AckResult.ok : AckResult.deviceFailure;
}

export function addException(this: UnitCore, e: ExceptionArgs, now: number): number {
  const d = decodeException({ 1: e.id, 2: e.start, 3: e.end, 4: e.kind, 5: e.approved });
  if (!d.ok || !this.schedules.addException(d.value, now).ok) return AckResult.badArguments;
  return saveExceptions(this.hal.storage, this.schedules.exceptions)
    ? AckResult.ok
    : AckResult.deviceFailure;
}

export function removeException(this: UnitCore, exId: number): number {
  if (!this.schedules.removeException(exId)) return AckResult.badArguments;
  return saveExceptions(this.hal.storage, this.schedules.exceptions)
    ? AckResult.ok
    : AckResult.deviceFailure;
}

export function setRangePreset(this: UnitCore, p: number): number {
  if (!this.presence.setRangePreset(p)) return AckResult.badArguments;
  this.settings.rangePreset = p;
  return saveSettings(this.hal.storage, this.settings) ? AckResult.ok : AckResult.deviceFailure;
}

export function setIntervals(this: UnitCore, hb: number | null, bi: number | null): number {
  // The beacon interval is the tag's: the unit only records what to expect (the tag itself
  // takes a centre-signed tag command, forwarded with rearm_tag-style frames).
  if (hb !== null) this.settings.heartbeatS = hb;
  if (bi !== null) {
    this.settings.beaconIntervalS = bi;
    this.presence.acceptor.setBeaconInterval(bi * 1000);
  }
  this.heartbeatDue = this.hal.clock.monotonic() + this.settings.heartbeatS * 1000;
  return saveSettings(this.hal.storage, this.settings) ? AckResult.ok : AckResult.deviceFailure;
}

export function forwardTagCommand(
  this: UnitCore,
  frame: Uint8Array,
  code: number,
  arg: number,
  counter: number,
  expiresAt: number,
): number {
  if (!this.pairing) return AckResult.notPaired;
  this.outbox.hold(frame, code, arg, counter, expiresAt, unitUtc(this));
  return AckResult.ok;
}

export function setTime(this: UnitCore, t: number): number {
  this.clockKeeper.sync(t, ClockSource.command, this.hal.clock.monotonic());
  return AckResult.ok;
}

export function notifySubject(
  this: UnitCore,
  pattern: number,
  durationS: number,
  counter: number,
): number {
  this.notifyCounter = counter;
  this.notifyUntil = this.hal.clock.monotonic() + durationS * 1000;
  this.hal.indicator.signal({
    led: true,
    buzzer: pattern === 1,
    onMs: 500,
    offMs: pattern === 1 ? 500 : 1500,
    totalMs: durationS * 1000,
  });
  return AckResult.ok;
}

export function pairTag(this: UnitCore, tagId: number, kv: number, key: Uint8Array): number {
  const st = this.hal.storage;
  this.pairing = { tagId: tagId, keyVersion: kv, beaconKey: key };
  if (!savePairing(st, this.pairing)) return AckResult.deviceFailure;
  this.presence.pair(tagId, this.hal.clock.monotonic());
  // Another tag: what the centre heard of the last one says nothing about this one.
  if (
    this.savedPresence !== Presence.unknown &&
    saveNumber(st, RecordName.presence, Presence.unknown)
  )
    this.savedPresence = Presence.unknown;
  return AckResult.ok;
}

export function decommission(this: UnitCore): number {
  this.decommissioned = true;
  this.hal.scanner.stop();
  report(this, unitEvent(EventCode.decommissioned, unitUtc(this), 0, null));
  return AckResult.ok;
}

export function reboot(this: UnitCore): number {
  this.restartWhenDrained = true;
  return AckResult.ok;
}

export function requestStatus(this: UnitCore): number {
  heartbeat(this);
  return AckResult.ok;
}

export function rangeTest(this: UnitCore, durationS: number): number {
  if (!this.pairing) return AckResult.notPaired;
  this.presence.startRangeTest(durationS, this.hal.clock.monotonic());
  return AckResult.ok;
}
