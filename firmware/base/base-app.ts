// The home unit, wired: BLE scan → beacon acceptance → presence and tag state; presence +
// schedule → curfew violations; its own sensors → health events; every event → the flash queue;
// the queue → signed uplinks through a transport (MQTT over GSM in issue 5, anything that can
// confirm delivery meanwhile); downlinks → the command processor. Time comes from the HAL clock:
// monotonic ms for intervals, wall clock for event times.
//
// startBase builds the parts and wires their inputs and the 1-second tick; what the parts share
// is one object (unit-core.ts), and the event intake, command handlers, uplink drain and SMS
// choice, and heartbeat are functions of it in modules of their own.

import type { CborMap } from "@em-platform/protocol/core/cbor";
import type { KeyIdFields } from "@em-platform/protocol/core/cose";
import { SenderCounter } from "@em-platform/protocol/core/counters";
import { BootReason, ClockSource, EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import type {
  AnalogInput,
  BleScanner,
  Clock,
  Crypto,
  DigitalInput,
  Indicator,
  Storage,
  Watchdog,
} from "../hal/hal";
import {
  loadAcceptorState,
  loadExceptions,
  loadIdentity,
  loadNumber,
  loadOpenViolation,
  loadPairing,
  loadReceiverState,
  loadSchedule,
  loadSettings,
  RecordName,
  saveAcceptorState,
  saveNumber,
  saveOpenViolation,
  saveReceiverState,
  type UnitIdentity,
  type UnitSettings,
} from "./base-records";
import { CommandProcessor } from "./commands/command-processor";
import { TagOutbox } from "./commands/tag-outbox";
import { ClockKeeper, EARLIEST_VALID_UTC } from "./health/clock-keeper";
import { UnitHealth } from "./health/unit-health";
import { AcceptKind } from "./presence/beacon-acceptor";
import { HomePresence } from "./presence/home-presence";
import { type UnitEvent, unitEvent } from "./presence/presence-event";
import { Presence } from "./presence/presence-tracker";
import { EventQueue } from "./queue/event-queue";
import type { SegmentStore } from "./queue/segment-store";
import { ScheduleStore } from "./schedule/schedule-store";
import { presenceFromCode, ViolationDetector } from "./schedule/violation-detector";
import {
  addException,
  decommission,
  forwardTagCommand,
  notifySubject,
  pairTag,
  rangeTest,
  reboot,
  removeException,
  requestStatus,
  setIntervals,
  setRangePreset,
  setSchedule,
  setTime,
} from "./unit-commands";
import { FIRMWARE_VERSION, persistSchedules, type UnitCore, unitUtc } from "./unit-core";
import { drain, smsAlarm, smsSent } from "./unit-drain";
import { report } from "./unit-events";
import { heartbeat } from "./unit-heartbeat";

export { FIRMWARE_VERSION } from "./unit-core";
/** Heartbeat default: 15 minutes (peers: 15–60 min); the centre changes it with set_intervals. */
export const DEFAULT_SETTINGS: UnitSettings = {
  rangePreset: 2,
  heartbeatS: 900,
  beaconIntervalS: 8,
};
/** The uplink frame counter is persisted every 16 envelopes (SPEC §3). */
const UPLINK_COUNTER_K = 16;
const TICK_MS = 1000;
const BATTERY_EVERY_MS = 60000;
const WATCHDOG_MS = 30000;
const MAINS_DEBOUNCE_MS = 2000;
const CASE_DEBOUNCE_MS = 200;
const ACCEPTOR_SAVE_EVERY = 64;

/** Whatever carries uplinks: it must call `done(true)` only once the centre's broker has the frame. */
export interface UplinkTransport {
  ready(): boolean;
  send(envelope: Uint8Array, done: (delivered: boolean) => void): void;
  /** The modem's last CSQ rssi (0–31, 99 unknown) for the heartbeat; absent → 99. */
  signal?(): number;
}

/** Writes to the tag over GATT: a centre-signed command, or the relay check's challenge. */
export interface TagLink {
  /** false: not started (busy, or no verified address). sent(), when given, as the last write
   * request goes to the radio: the relay check times the tag's answer from it. */
  send(frame: Uint8Array, sent?: () => void): boolean;
  /** A beacon of the paired tag passed its MAC and counter checks, from this BLE address: the
   * only address a command may go to (an unverified advert could name the tag from anywhere). */
  heard(tagId: number, address: string): void;
}

export interface BaseHal {
  clock: Clock;
  storage: Storage;
  queueFlash: SegmentStore;
  scanner: BleScanner;
  mains: DigitalInput;
  caseSwitch: DigitalInput;
  /** Tilt/motion switch; null on a board without one. */
  motion: DigitalInput | null;
  battery: AnalogInput;
  watchdog: Watchdog;
  indicator: Indicator;
  crypto: Crypto;
  tagLink: TagLink;
  /** Restarts the device (E.reboot on Espruino). */
  restart: () => void;
}

export interface SmsAlarm {
  seq: number;
  envelope: Uint8Array;
}

export { SMS_MAX_ENVELOPE } from "./unit-drain";

/** The running unit's API. Its methods use `this` (the unit is one object, unit-core.ts): call
 * them on the app, never detached — the `this: BaseApp` parameters make a detached call a type
 * error. */
export interface BaseApp {
  /** A downlink envelope from MQTT (or an SMS already decoded from text). */
  onDownlink(this: BaseApp, bytes: Uint8Array): void;
  /** A downlink envelope that came by SMS from a centre number (reported as source SMS). */
  onSmsDownlink(this: BaseApp, bytes: Uint8Array): void;
  /**
   * The subject pressed the unit's button (and it did not answer a call): acknowledges a
   * notification still showing (SPEC §10 notify_subject → subject_acknowledged). true if it did.
   */
  buttonPressed(this: BaseApp): boolean;
  /** Network time (NITZ), UTC seconds. */
  onNetworkTime(this: BaseApp, utcS: number): void;
  /** Tries to send queued events now (called by the transport when it becomes ready). */
  drain(this: BaseApp): void;
  /**
   * The oldest pending alarm not yet sent by SMS, as a one-event uplink envelope that fits one
   * SMS (SPEC §12), or null. It stays in the queue until the broker confirms it: an alarm that
   * goes by SMS and later over MQTT is the same event (same seq) to the centre.
   */
  smsAlarm(this: BaseApp): SmsAlarm | null;
  /** The SMS carrying this event left the modem: do not offer it again. */
  smsSent(this: BaseApp, seq: number): void;
  queue: EventQueue;
  presence: HomePresence;
  schedules: ScheduleStore;
  stop(this: BaseApp): void;
}

export function startBase(
  hal: BaseHal,
  id: UnitIdentity,
  transport: UplinkTransport,
  bootReason: number,
): BaseApp {
  // The parts' shared state, filled in as they are built (unit-core.ts).
  const u = {} as UnitCore;
  u.hal = hal;
  u.id = id;
  u.transport = transport;
  u.settings = loadSettings(hal.storage, DEFAULT_SETTINGS);
  u.queue = new EventQueue(hal.queueFlash);
  u.pairing = loadPairing(hal.storage);
  // The app's API is the unit's own methods (at the end of this file): no closure per method.
  u.buttonPressed = buttonPressed;
  u.onSmsDownlink = onSmsDownlink;
  u.onDownlink = onDownlink;
  u.onNetworkTime = onNetworkTime;
  u.drain = drain;
  u.smsAlarm = smsAlarm;
  u.smsSent = smsSent;
  u.stop = stop;
  u.refusedKept = [];
  u.refused = 0;
  u.refusedLost = 0;
  u.notHeardSeq = -1;
  const sink = (e: UnitEvent): void => {
    report(u, e);
  };

  // What the centre last heard, so a subject who left or came back while the unit was down gets
  // the event on its first decision (README-presence.md); saved on each decided change, i.e. a
  // few times a day.
  u.savedPresence = loadNumber(hal.storage, RecordName.presence) || Presence.unknown;
  u.presence = new HomePresence(
    {
      companyId: id.companyId,
      tagId: u.pairing ? u.pairing.tagId : 0,
      keys: (tagId: number, kv: number) => {
        const p = u.pairing;
        return p && p.tagId === tagId && p.keyVersion === kv ? p.beaconKey : null;
      },
      sha256: hal.crypto.sha256,
      sink: sink,
      preset: u.settings.rangePreset,
      beaconIntervalMs: u.settings.beaconIntervalS * 1000,
      lastKnownPresence: u.savedPresence,
      challenge: { link: hal.tagLink, crypto: hal.crypto, clock: hal.clock },
    },
    hal.clock.monotonic(),
  );

  // Tag commands wait for the tag and are delivered when its beacons show the effect.
  u.outbox = new TagOutbox((f: Uint8Array) => hal.tagLink.send(f), sink);

  // Beacon counters survive a unit reboot, so old recorded beacons cannot be replayed to it.
  // Saved every ACCEPTOR_SAVE_EVERY accepted beacons with the time of the last (the pace anchor):
  // the frames accepted after the save fall behind that anchor's pace within about 50 s of being
  // first heard, so after an unplanned reboot none is accepted twice later than that (SPEC §4).
  const storedAcceptor = loadAcceptorState(hal.storage);
  if (storedAcceptor !== null)
    u.presence.acceptor.importState(
      storedAcceptor,
      hal.clock.monotonic(),
      unitUtc(u),
      unitUtc(u) >= EARLIEST_VALID_UTC,
    );

  // The active and pending schedules and the exceptions come back as they were (README-schedule
  // §7). Both schedules are rewritten on every change, the active one first (persistSchedules).
  u.schedules = new ScheduleStore();
  u.schedules.restore(
    loadSchedule(hal.storage, RecordName.schedule),
    loadSchedule(hal.storage, RecordName.pendingSchedule),
    loadExceptions(hal.storage),
  );
  if (u.schedules.tick(unitUtc(u)) > 0) persistSchedules(u);
  const detector = new ViolationDetector(u.schedules);
  const wasOpen = loadOpenViolation(hal.storage);
  if (wasOpen !== null) detector.restoreOpen(wasOpen);
  let persistedViolation = wasOpen === null ? "" : wasOpen.start + ":" + wasOpen.version;
  /** Keeps an open violation in flash, so its end is reported even across a reboot. */
  function persistViolation(): void {
    const v = detector.openViolation();
    const key = v === null ? "" : v.start + ":" + v.version;
    if (key === persistedViolation) return;
    if (saveOpenViolation(hal.storage, v)) persistedViolation = key;
  }

  function scheduleEvents(list: { code: number; time: number; data: CborMap }[]): void {
    const tag = u.pairing ? u.pairing.tagId : 0;
    for (let i = 0; i < list.length; i++) {
      // One absence, one incident (SPEC §9): a violation after tag_not_heard names it.
      if (list[i].code === EventCode.curfewViolationStart && u.notHeardSeq >= 0)
        list[i].data[4] = u.notHeardSeq;
      report(u, {
        code: list[i].code,
        time: list[i].time,
        tagId: tag,
        data: list[i].data as UnitEvent["data"],
      });
    }
  }

  u.health = new UnitHealth(sink);
  u.clockKeeper = new ClockKeeper({
    now: () => hal.clock.now() / 1000,
    set: (t: number) => {
      hal.clock.setNow(t * 1000);
    },
    sink: sink,
    onJump: (oldS: number, newS: number) => {
      scheduleEvents(detector.clockJumped(Math.floor(oldS), newS));
      persistViolation();
    },
  });

  u.uplinkCounter = new SenderCounter(
    {
      load: () => loadNumber(hal.storage, RecordName.uplinkCounter),
      save: (v: number) => {
        saveNumber(hal.storage, RecordName.uplinkCounter, v);
      },
    },
    UPLINK_COUNTER_K,
  );

  u.decommissioned = false;
  u.restartWhenDrained = false;
  u.heartbeatDue = hal.clock.monotonic() + u.settings.heartbeatS * 1000;
  u.lastAccepted = 0;
  u.lastRssiSum = 0;
  u.notifyCounter = -1;
  u.notifyUntil = 0;
  u.inFlight = null;
  u.smsSentSeqs = [];
  u.smsBuilt = null;

  // The unit is its own command handlers (unit-commands.ts).
  u.setSchedule = setSchedule;
  u.addException = addException;
  u.removeException = removeException;
  u.setRangePreset = setRangePreset;
  u.setIntervals = setIntervals;
  u.forwardTagCommand = forwardTagCommand;
  u.setTime = setTime;
  u.notifySubject = notifySubject;
  u.pairTag = pairTag;
  u.decommission = decommission;
  u.reboot = reboot;
  u.requestStatus = requestStatus;
  u.rangeTest = rangeTest;
  u.commands = new CommandProcessor({
    unitId: id.unitId,
    sha: hal.crypto.sha256,
    keys: (kid: KeyIdFields) =>
      kid.purpose === KeyPurpose.unitDownlink &&
      kid.deviceId === id.unitId &&
      kid.keyVersion === id.keyVersion
        ? id.downlinkKey
        : null,
    wrapKey: (kv: number) => (kv === id.keyVersion ? id.wrapKey : null),
    counterState: loadReceiverState(hal.storage),
    handlers: u,
    sink: sink,
    saveCounter: (s) => {
      saveReceiverState(hal.storage, s);
    },
    reportPeriodMs: 600000,
  });

  // ---- inputs and the 1-second tick ----
  hal.scanner.start(id.companyId, (a) => {
    const ms = hal.clock.monotonic();
    const r = u.presence.onAdvertisement(a.companyId, a.data, a.rssi, ms, unitUtc(u));
    if (r.kind === AcceptKind.accepted && r.beacon !== null) {
      hal.tagLink.heard(r.beacon.tagId, a.address);
      u.outbox.beacon(r.beacon, ms, unitUtc(u));
    }
  });
  hal.mains.watch(MAINS_DEBOUNCE_MS, (level: boolean) => {
    u.health.mains(level, hal.clock.monotonic(), unitUtc(u));
  });
  hal.caseSwitch.watch(CASE_DEBOUNCE_MS, (closed: boolean) => {
    u.health.caseSwitch(!closed, unitUtc(u));
  });
  if (hal.motion !== null)
    hal.motion.watch(0, (active: boolean) => {
      if (active) u.health.moved(hal.clock.monotonic(), unitUtc(u));
    });
  if (!hal.mains.read()) u.health.mains(false, hal.clock.monotonic(), unitUtc(u));
  if (!hal.caseSwitch.read()) u.health.caseSwitch(true, unitUtc(u));
  u.health.battery(hal.battery.readMv(), unitUtc(u));
  let batteryDue = hal.clock.monotonic() + BATTERY_EVERY_MS;

  report(
    u,
    unitEvent(EventCode.unitBoot, unitUtc(u), 0, {
      1: bootReason || BootReason.other,
      2: FIRMWARE_VERSION,
    }),
  );
  if (u.schedules.active !== null)
    report(
      u,
      unitEvent(EventCode.scheduleActive, unitUtc(u), 0, { 1: u.schedules.active.version }),
    );

  hal.watchdog.start(WATCHDOG_MS);
  u.ticker = hal.clock.setInterval(() => {
    const ms = hal.clock.monotonic();
    const now = unitUtc(u);
    if (u.pairing && !u.decommissioned) {
      // Grace counts from the last sighting, the walk-out (README-schedule.md §5).
      const t = u.presence.tracker;
      scheduleEvents(detector.update(now, presenceFromCode(t.state()), t.lastSighting()));
      persistViolation();
      // Silence is an alarm only when the subject must be home, and not while a violation is
      // open: that absence has its alarm (SPEC §9, one absence, one alarm). Set before the tag's
      // tick, so a violation opening at this instant wins. During permitted absence the
      // violation logic speaks when they are late back.
      u.presence.tag.setHeardExpected(
        u.schedules.requirementAt(now).kind === "home" && !detector.inViolation(),
        ms,
        now,
      );
    }
    u.presence.tick(ms, now);
    const p = u.presence.tracker.state();
    if (
      p !== Presence.unknown &&
      p !== u.savedPresence &&
      saveNumber(hal.storage, RecordName.presence, p)
    )
      u.savedPresence = p;
    if (u.presence.acceptor.changesSinceExport() >= ACCEPTOR_SAVE_EVERY) {
      const a = u.presence.acceptor.exportState(ms, now, u.clockKeeper.valid());
      if (a !== null) saveAcceptorState(hal.storage, a);
    }
    u.commands.tick(ms, now);
    u.outbox.tick(now);
    u.clockKeeper.tick(ms);
    if (u.clockKeeper.valid()) u.presence.acceptor.clockValid(ms, now);
    const promoted = u.schedules.tick(now);
    if (promoted > 0) {
      persistSchedules(u);
      report(u, unitEvent(EventCode.scheduleActive, now, 0, { 1: promoted }));
    }
    if (ms >= batteryDue) {
      batteryDue = ms + BATTERY_EVERY_MS;
      u.health.battery(hal.battery.readMv(), now);
    }
    if (ms >= u.heartbeatDue) {
      u.heartbeatDue = ms + u.settings.heartbeatS * 1000;
      heartbeat(u);
    }
    u.drain();
    // Kicked only by a tick that got this far: presence, schedule and queue evaluated, the
    // transport asked. A tick that throws every time (the interval runs on) lets it bite.
    hal.watchdog.kick();
  }, TICK_MS);

  return u;
}

// The unit's API (BaseApp), as its methods.

function buttonPressed(this: UnitCore): boolean {
  if (this.notifyCounter < 0 || this.hal.clock.monotonic() > this.notifyUntil) return false;
  report(
    this,
    unitEvent(EventCode.subjectAcknowledged, unitUtc(this), 0, { 1: this.notifyCounter }),
  );
  this.notifyCounter = -1;
  this.hal.indicator.off();
  this.drain();
  return true;
}

function onSmsDownlink(this: UnitCore, bytes: Uint8Array): void {
  this.commands.handleSms(bytes, unitUtc(this), this.hal.clock.monotonic());
  this.drain();
}

function onDownlink(this: UnitCore, bytes: Uint8Array): void {
  this.commands.handle(bytes, unitUtc(this), this.hal.clock.monotonic());
  this.drain();
}

function onNetworkTime(this: UnitCore, t: number): void {
  this.clockKeeper.sync(t, ClockSource.network, this.hal.clock.monotonic());
}

function stop(this: UnitCore): void {
  this.hal.clock.clearInterval(this.ticker);
  this.hal.scanner.stop();
}

/** Boots from provisioned flash; null (and a console line) when the unit was never provisioned. */
export function bootBase(
  hal: BaseHal,
  transport: UplinkTransport,
  bootReason: number,
  log: (msg: string) => void,
): BaseApp | null {
  const id = loadIdentity(hal.storage);
  if (id === null) {
    log("EM home unit: not provisioned (no " + RecordName.identity + " record); monitoring is off");
    return null;
  }
  return startBase(hal, id, transport, bootReason);
}
