// The running home unit as one object: what its parts share, and its methods. base-app.ts builds
// it; the parts — event intake (unit-events.ts), command handlers (unit-commands.ts), uplink drain
// and SMS choice (unit-drain.ts), heartbeat (unit-heartbeat.ts) — are functions at the bundle's
// top level that take it (or are its methods: the app's API and the command handlers).
//
// Why this shape: on Espruino a property costs what a captured variable costs (a name and a
// value), while a function defined inside another is a closure (~9 JsVars against ~4 + 1 per
// parameter at the top level) and a factory's scope stays alive with its closures. Measured on the
// home unit's engine (espruino-jolt): the drain split out as a factory of closures cost 42 JsVars
// after boot (56 as a class); as functions of one object, with the unit its own API and command
// handlers, the whole split costs 2 fewer than the single closure it replaced (5,891 after boot,
// 5,897 online, 6,682 at the drain peak).
//
// Device code (DEVICE-JS subset).

import type { SenderCounter } from "@em-platform/protocol/core/counters";
import type { BaseApp, BaseHal, SmsAlarm, UplinkTransport } from "./base-app";
import {
  type Pairing,
  RecordName,
  saveSchedule,
  type UnitIdentity,
  type UnitSettings,
} from "./base-records";
import type { CommandHandlers, CommandProcessor } from "./commands/command-processor";
import type { TagOutbox } from "./commands/tag-outbox";
import type { ClockKeeper } from "./health/clock-keeper";
import type { UnitHealth } from "./health/unit-health";
import type { UnitEvent } from "./presence/presence-event";
import type { QueuedEvent } from "./queue/event-queue";

export const FIRMWARE_VERSION = "0.1.0";

/** The running unit: its API (BaseApp) and its command handlers are its methods. */
export interface UnitCore extends BaseApp, CommandHandlers {
  hal: BaseHal;
  id: UnitIdentity;
  transport: UplinkTransport;
  settings: UnitSettings;
  pairing: Pairing | null;
  health: UnitHealth;
  clockKeeper: ClockKeeper;
  outbox: TagOutbox;
  uplinkCounter: SenderCounter;
  commands: CommandProcessor;
  /** The 1-second tick's interval. */
  ticker: number;

  /** Refused alarms waiting in RAM for room in the queue, and the refusals to report. */
  refusedKept: UnitEvent[];
  refused: number;
  refusedLost: number;
  /** The seq of tag_not_heard while its silence lasts (-1: none): a violation names it. */
  notHeardSeq: number;
  /** What the centre last heard of presence, as saved in flash. */
  savedPresence: number;

  decommissioned: boolean;
  restartWhenDrained: boolean;
  /** When the next heartbeat is due (monotonic ms). */
  heartbeatDue: number;
  /** The acceptor's counts at the last heartbeat. */
  lastAccepted: number;
  lastRssiSum: number;
  /** The notification showing now (downlink counter; -1 none), and until when (monotonic ms). */
  notifyCounter: number;
  notifyUntil: number;

  /** The uplink in flight (one at a time), the alarms already sent by SMS, and the envelope
   * built for the next SMS alarm. */
  inFlight: QueuedEvent[] | null;
  smsSentSeqs: number[];
  smsBuilt: SmsAlarm | null;
}

/** The unit's wall clock, UTC seconds. */
export function unitUtc(u: UnitCore): number {
  return Math.floor(u.hal.clock.now() / 1000);
}

/** Rewrites both schedules, the active one first (README-schedule.md §7). */
export function persistSchedules(u: UnitCore): boolean {
  const st = u.hal.storage;
  return (
    saveSchedule(st, RecordName.schedule, u.schedules.active) &&
    saveSchedule(st, RecordName.pendingSchedule, u.schedules.pending)
  );
}
