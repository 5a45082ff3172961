// The home unit, wired: BLE scan → beacon acceptance → presence and tag state; presence +
// schedule → curfew violations; its own sensors → health events; every event → the flash queue;
// the queue → signed uplinks through a transport (MQTT over GSM in issue 5, anything that can
// confirm delivery meanwhile); downlinks → the command processor. Time comes from the HAL clock:
// monotonic ms for intervals, wall clock for event times.
//
// startBase is one closure on purpose: on Espruino every scope costs a named variable per
// captured value. Measured on the home unit's engine, moving just the uplink drain and SMS choice
// into a module of their own cost 42 JsVars after boot (56 as a class) — with the unit online at
// ~5,850 of its 6,000-JsVar budget.

import type { CborMap, CborValue } from "@em-platform/protocol/core/cbor";
import { AckResult } from "@em-platform/protocol/core/commands";
import type { KeyIdFields } from "@em-platform/protocol/core/cose";
import { SenderCounter } from "@em-platform/protocol/core/counters";
import {
  BootReason,
  ClockSource,
  EventClass,
  EventCode,
  eventClass,
  type HeartbeatData,
  type QueueRefusedData,
} from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { SMS_MAX_CHARS, SMS_PREFIX } from "@em-platform/protocol/core/sms-text";
import {
  encodeUplink,
  MAX_EVENTS_PER_UPLINK,
  type UplinkEvent,
} from "@em-platform/protocol/core/uplink";
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
  saveExceptions,
  saveNumber,
  saveOpenViolation,
  savePairing,
  saveReceiverState,
  saveSchedule,
  saveSettings,
  type UnitIdentity,
  type UnitSettings,
} from "./base-records";
import { type CommandHandlers, CommandProcessor } from "./commands/command-processor";
import { TagOutbox } from "./commands/tag-outbox";
import { ClockKeeper, EARLIEST_VALID_UTC } from "./health/clock-keeper";
import { UnitHealth } from "./health/unit-health";
import { AcceptKind } from "./presence/beacon-acceptor";
import { HomePresence } from "./presence/home-presence";
import { type UnitEvent, unitEvent } from "./presence/presence-event";
import { Presence } from "./presence/presence-tracker";
import { EventQueue, type QueuedEvent } from "./queue/event-queue";
import type { SegmentStore } from "./queue/segment-store";
import { decodeException } from "./schedule/exception";
import { decodeSchedule, rejectionAck } from "./schedule/schedule";
import { ScheduleStore } from "./schedule/schedule-store";
import { presenceFromCode, ViolationDetector } from "./schedule/violation-detector";

export const FIRMWARE_VERSION = "0.1.0";
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
/** Refused alarms kept in RAM while the queue is full (~10 JsVars each, only while it is). */
const REFUSED_KEPT = 8;

/** Whatever carries uplinks: it must call `done(true)` only once the centre's broker has the frame. */
export interface UplinkTransport {
  ready(): boolean;
  send(envelope: Uint8Array, done: (delivered: boolean) => void): void;
  /** The modem's last CSQ rssi (0–31, 99 unknown) for the heartbeat; absent → 99. */
  signal?(): number;
}

/** Sends a centre-signed command frame to the tag (a GATT write); false if it could not. */
export interface TagLink {
  send(frame: Uint8Array): boolean;
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

/** The most envelope bytes one SMS carries: (160 − "EM1:") base64url characters × 6 / 8. */
export const SMS_MAX_ENVELOPE = Math.floor(((SMS_MAX_CHARS - SMS_PREFIX.length) * 6) / 8);
/** Alarms remembered as sent by SMS (the oldest is forgotten first; forgetting costs one more SMS). */
const SMS_SENT_MEMORY = 64;

export interface BaseApp {
  /** A downlink envelope from MQTT (or an SMS already decoded from text). */
  onDownlink(bytes: Uint8Array): void;
  /** A downlink envelope that came by SMS from a centre number (reported as source SMS). */
  onSmsDownlink(bytes: Uint8Array): void;
  /**
   * The subject pressed the unit's button (and it did not answer a call): acknowledges a
   * notification still showing (SPEC §10 notify_subject → subject_acknowledged). true if it did.
   */
  buttonPressed(): boolean;
  /** Network time (NITZ), UTC seconds. */
  onNetworkTime(utcS: number): void;
  /** Tries to send queued events now (called by the transport when it becomes ready). */
  drain(): void;
  /**
   * The oldest pending alarm not yet sent by SMS, as a one-event uplink envelope that fits one
   * SMS (SPEC §12), or null. It stays in the queue until the broker confirms it: an alarm that
   * goes by SMS and later over MQTT is the same event (same seq) to the centre.
   */
  smsAlarm(): SmsAlarm | null;
  /** The SMS carrying this event left the modem: do not offer it again. */
  smsSent(seq: number): void;
  queue: EventQueue;
  presence: HomePresence;
  schedules: ScheduleStore;
  stop(): void;
}

export function startBase(
  hal: BaseHal,
  id: UnitIdentity,
  transport: UplinkTransport,
  bootReason: number,
): BaseApp {
  const st = hal.storage;
  const clock = hal.clock;
  const sha = hal.crypto.sha256;
  const settings = loadSettings(st, DEFAULT_SETTINGS);
  const queue = new EventQueue(hal.queueFlash);
  const utc = (): number => Math.floor(clock.now() / 1000);
  let pairing = loadPairing(st);

  // A queue full of alarms refuses a new event (event-queue.ts): never silently. Refused alarms
  // wait here (the newest REFUSED_KEPT) until an ack makes room; then one queue_refused counts
  // every refused event and how many of them were lost (not alarms, or pushed out of RAM).
  const refusedKept: UnitEvent[] = [];
  let refused = 0;
  let refusedLost = 0;
  /** The seq of tag_not_heard while its silence lasts (-1: none): a violation names it. */
  let notHeardSeq = -1;
  function append(e: UnitEvent): boolean {
    const r = queue.append(e.time, e.code, e.tagId ? e.tagId : null, e.data as CborMap | null);
    if (!r.ok) return false;
    if (e.code === EventCode.tagNotHeard) notHeardSeq = r.value;
    else if (e.code === EventCode.tagHeardAgain) notHeardSeq = -1;
    return true;
  }
  function sink(e: UnitEvent): void {
    if (append(e)) return;
    refused++;
    if (eventClass(e.code) !== EventClass.alarm) refusedLost++;
    else if (refusedKept.push(e) > REFUSED_KEPT) {
      refusedKept.shift();
      refusedLost++;
    }
  }
  /** After an ack: the kept alarms go into the queue, then the report, as far as room allows. */
  function requeueRefused(): void {
    while (refusedKept.length > 0 && append(refusedKept[0])) refusedKept.shift();
    if (refusedKept.length > 0) return;
    const data: QueueRefusedData = { 1: refused, 2: refusedLost };
    if (!queue.append(utc(), EventCode.queueRefused, null, data).ok) return;
    refused = 0;
    refusedLost = 0;
  }

  // What the centre last heard, so a subject who left or came back while the unit was down gets
  // the event on its first decision (README-presence.md); saved on each decided change, i.e. a
  // few times a day.
  let savedPresence = loadNumber(st, RecordName.presence) || Presence.unknown;
  const presence = new HomePresence(
    {
      companyId: id.companyId,
      tagId: pairing ? pairing.tagId : 0,
      keys: (tagId: number, kv: number) =>
        pairing && pairing.tagId === tagId && pairing.keyVersion === kv ? pairing.beaconKey : null,
      sha256: sha,
      sink: sink,
      preset: settings.rangePreset,
      beaconIntervalMs: settings.beaconIntervalS * 1000,
      lastKnownPresence: savedPresence,
    },
    clock.monotonic(),
  );

  // Tag commands wait for the tag and are delivered when its beacons show the effect.
  const outbox = new TagOutbox((f: Uint8Array) => hal.tagLink.send(f), sink);

  // Beacon counters survive a unit reboot, so old recorded beacons cannot be replayed to it.
  // Saved every ACCEPTOR_SAVE_EVERY accepted beacons with the time of the last (the pace anchor):
  // the frames accepted after the save fall behind that anchor's pace within about 50 s of being
  // first heard, so after an unplanned reboot none is accepted twice later than that (SPEC §4).
  const storedAcceptor = loadAcceptorState(st);
  if (storedAcceptor !== null)
    presence.acceptor.importState(
      storedAcceptor,
      clock.monotonic(),
      utc(),
      utc() >= EARLIEST_VALID_UTC,
    );

  // The active and pending schedules and the exceptions come back as they were (README-schedule
  // §7). Both schedules are rewritten on every change, the active one first (see restore).
  const schedules = new ScheduleStore();
  schedules.restore(
    loadSchedule(st, RecordName.schedule),
    loadSchedule(st, RecordName.pendingSchedule),
    loadExceptions(st),
  );
  function persistSchedules(): boolean {
    return (
      saveSchedule(st, RecordName.schedule, schedules.active) &&
      saveSchedule(st, RecordName.pendingSchedule, schedules.pending)
    );
  }
  if (schedules.tick(utc()) > 0) persistSchedules();
  const detector = new ViolationDetector(schedules);
  const wasOpen = loadOpenViolation(st);
  if (wasOpen !== null) detector.restoreOpen(wasOpen);
  let persistedViolation = wasOpen === null ? "" : wasOpen.start + ":" + wasOpen.version;
  /** Keeps an open violation in flash, so its end is reported even across a reboot. */
  function persistViolation(): void {
    const v = detector.openViolation();
    const key = v === null ? "" : v.start + ":" + v.version;
    if (key === persistedViolation) return;
    if (saveOpenViolation(st, v)) persistedViolation = key;
  }

  function scheduleEvents(list: { code: number; time: number; data: CborMap }[]): void {
    const tag = pairing ? pairing.tagId : 0;
    for (let i = 0; i < list.length; i++) {
      // One absence, one incident (SPEC §9): a violation after tag_not_heard names it.
      if (list[i].code === EventCode.curfewViolationStart && notHeardSeq >= 0)
        list[i].data[4] = notHeardSeq;
      sink({
        code: list[i].code,
        time: list[i].time,
        tagId: tag,
        data: list[i].data as UnitEvent["data"],
      });
    }
  }

  const health = new UnitHealth(sink);
  const clockKeeper = new ClockKeeper({
    now: () => clock.now() / 1000,
    set: (t: number) => {
      clock.setNow(t * 1000);
    },
    sink: sink,
    onJump: (oldS: number, newS: number) => {
      scheduleEvents(detector.clockJumped(Math.floor(oldS), newS));
      persistViolation();
    },
  });

  const uplinkCounter = new SenderCounter(
    {
      load: () => loadNumber(st, RecordName.uplinkCounter),
      save: (v: number) => {
        saveNumber(st, RecordName.uplinkCounter, v);
      },
    },
    UPLINK_COUNTER_K,
  );

  let decommissioned = false;
  let restartWhenDrained = false;
  let heartbeatDue = clock.monotonic() + settings.heartbeatS * 1000;

  let lastAccepted = 0;
  let lastRssiSum = 0;

  function heartbeat(): void {
    const c = presence.acceptor.counts;
    const accepted = c.accepted - lastAccepted;
    const rssiSum = c.rssiSum - lastRssiSum;
    lastAccepted = c.accepted;
    lastRssiSum = c.rssiSum;
    const data: HeartbeatData = {
      1: presence.tracker.state(),
      3: health.status().batteryMv,
      4: health.status().mainsOn ? 1 : 0,
      5: accepted,
      7: queue.stats().pending,
      8: FIRMWARE_VERSION,
      9: transport.signal ? transport.signal() : 99,
    };
    const tagMv = presence.tag.lastBatteryMv();
    if (tagMv !== null) data[2] = tagMv;
    if (accepted > 0) data[6] = Math.round(rssiSum / accepted);
    if (presence.tag.lastFlags() >= 0) data[10] = presence.tag.lastFlags();
    sink(unitEvent(EventCode.heartbeat, utc(), pairing ? pairing.tagId : 0, data));
  }

  /** The notification showing now (downlink counter), and until when (monotonic ms). */
  let notifyCounter = -1;
  let notifyUntil = 0;

  const handlers: CommandHandlers = {
    setSchedule: (v: CborValue, now: number) => {
      const s = decodeSchedule(v);
      const r = s.ok ? schedules.offerSchedule(s.value, now) : s;
      if (!r.ok) return rejectionAck(r);
      return persistSchedules() ? AckResult.ok : AckResult.deviceFailure;
    },
    addException: (e, now) => {
      const d = decodeException({ 1: e.id, 2: e.start, 3: e.end, 4: e.kind, 5: e.approved });
      if (!d.ok || !schedules.addException(d.value, now).ok) return AckResult.badArguments;
      return saveExceptions(st, schedules.exceptions) ? AckResult.ok : AckResult.deviceFailure;
    },
    removeException: (exId: number) => {
      if (!schedules.removeException(exId)) return AckResult.badArguments;
      return saveExceptions(st, schedules.exceptions) ? AckResult.ok : AckResult.deviceFailure;
    },
    setRangePreset: (p: number) => {
      if (!presence.setRangePreset(p)) return AckResult.badArguments;
      settings.rangePreset = p;
      return saveSettings(st, settings) ? AckResult.ok : AckResult.deviceFailure;
    },
    setIntervals: (hb: number | null, bi: number | null) => {
      // The beacon interval is the tag's: the unit only records what to expect (the tag itself
      // takes a centre-signed tag command, forwarded with rearm_tag-style frames).
      if (hb !== null) settings.heartbeatS = hb;
      if (bi !== null) {
        settings.beaconIntervalS = bi;
        presence.acceptor.setBeaconInterval(bi * 1000);
      }
      heartbeatDue = clock.monotonic() + settings.heartbeatS * 1000;
      return saveSettings(st, settings) ? AckResult.ok : AckResult.deviceFailure;
    },
    forwardTagCommand: (frame, code, arg, counter, expiresAt) => {
      if (!pairing) return AckResult.notPaired;
      outbox.hold(frame, code, arg, counter, expiresAt, utc());
      return AckResult.ok;
    },
    setTime: (t: number) => {
      clockKeeper.sync(t, ClockSource.command, clock.monotonic());
      return AckResult.ok;
    },
    notifySubject: (pattern: number, durationS: number, counter: number) => {
      notifyCounter = counter;
      notifyUntil = clock.monotonic() + durationS * 1000;
      hal.indicator.signal({
        led: true,
        buzzer: pattern === 1,
        onMs: 500,
        offMs: pattern === 1 ? 500 : 1500,
        totalMs: durationS * 1000,
      });
      return AckResult.ok;
    },
    pairTag: (tagId: number, kv: number, key: Uint8Array) => {
      pairing = { tagId: tagId, keyVersion: kv, beaconKey: key };
      if (!savePairing(st, pairing)) return AckResult.deviceFailure;
      presence.pair(tagId, clock.monotonic());
      // Another tag: what the centre heard of the last one says nothing about this one.
      if (
        savedPresence !== Presence.unknown &&
        saveNumber(st, RecordName.presence, Presence.unknown)
      )
        savedPresence = Presence.unknown;
      return AckResult.ok;
    },
    decommission: () => {
      decommissioned = true;
      hal.scanner.stop();
      sink(unitEvent(EventCode.decommissioned, utc(), 0, null));
      return AckResult.ok;
    },
    reboot: () => {
      restartWhenDrained = true;
      return AckResult.ok;
    },
    requestStatus: () => {
      heartbeat();
      return AckResult.ok;
    },
    rangeTest: (durationS: number) => {
      if (!pairing) return AckResult.notPaired;
      presence.startRangeTest(durationS, clock.monotonic());
      return AckResult.ok;
    },
  };

  const commands = new CommandProcessor({
    unitId: id.unitId,
    sha: sha,
    keys: (kid: KeyIdFields) =>
      kid.purpose === KeyPurpose.unitDownlink &&
      kid.deviceId === id.unitId &&
      kid.keyVersion === id.keyVersion
        ? id.downlinkKey
        : null,
    wrapKey: (kv: number) => (kv === id.keyVersion ? id.wrapKey : null),
    counterState: loadReceiverState(st),
    handlers: handlers,
    sink: sink,
    saveCounter: (s) => {
      saveReceiverState(st, s);
    },
    reportPeriodMs: 600000,
  });

  // ---- uplink drain: one envelope in flight, alarms first, events leave on confirmation ----
  let inFlight: QueuedEvent[] | null = null;

  function drain(): void {
    if (inFlight !== null || !transport.ready()) return;
    const batch = queue.peek(MAX_EVENTS_PER_UPLINK);
    if (batch.length === 0) {
      if (decommissioned) wipeKeys();
      if (restartWhenDrained) hal.restart();
      return;
    }
    const fc = uplinkCounter.take();
    if (!fc.ok) return;
    const events: UplinkEvent[] = [];
    for (let i = 0; i < batch.length; i++) events.push(batch[i].event);
    const env = encodeUplink(sha, id.uplinkKey, id.keyVersion, {
      unitId: id.unitId,
      counter: fc.value,
      sentAt: utc(),
      events: events,
    });
    inFlight = batch;
    transport.send(env, (delivered: boolean) => {
      const sent = inFlight;
      inFlight = null;
      if (delivered && sent !== null) {
        queue.ack(sent);
        if (refused > 0) requeueRefused();
        drain();
      }
    });
  }

  const smsSentSeqs: number[] = [];
  /** The envelope built for an alarm's SMS, kept until it is sent: a retry after a failed SMS
   * resends it rather than spend a new frame counter (and, every K, a flash write) each time. */
  let smsBuilt: SmsAlarm | null = null;
  function smsAlarm(): SmsAlarm | null {
    const pending = queue.peek(MAX_EVENTS_PER_UPLINK);
    for (let i = 0; i < pending.length; i++) {
      const e = pending[i].event;
      if (eventClass(e.code) !== EventClass.alarm) return null; // alarms come first
      if (smsSentSeqs.indexOf(e.seq) >= 0) continue;
      if (smsBuilt !== null && smsBuilt.seq === e.seq) return smsBuilt;
      const fc = uplinkCounter.take();
      if (!fc.ok) return null;
      const env = encodeUplink(sha, id.uplinkKey, id.keyVersion, {
        unitId: id.unitId,
        counter: fc.value,
        sentAt: utc(),
        events: [e],
      });
      if (env.length <= SMS_MAX_ENVELOPE) {
        smsBuilt = { seq: e.seq, envelope: env };
        return smsBuilt;
      }
      smsSent(e.seq); // cannot fit: MQTT only
    }
    return null;
  }

  function smsSent(seq: number): void {
    if (smsBuilt !== null && smsBuilt.seq === seq) smsBuilt = null;
    if (smsSentSeqs.indexOf(seq) >= 0) return;
    smsSentSeqs.push(seq);
    if (smsSentSeqs.length > SMS_SENT_MEMORY) smsSentSeqs.shift();
  }

  function wipeKeys(): void {
    st.erase(RecordName.pairing);
    st.erase(RecordName.identity);
    hal.restart();
  }

  // ---- inputs and the 1-second tick ----
  hal.scanner.start(id.companyId, (a) => {
    const ms = clock.monotonic();
    const r = presence.onAdvertisement(a.companyId, a.data, a.rssi, ms, utc());
    if (r.kind === AcceptKind.accepted && r.beacon !== null) {
      hal.tagLink.heard(r.beacon.tagId, a.address);
      outbox.beacon(r.beacon, ms, utc());
    }
  });
  hal.mains.watch(MAINS_DEBOUNCE_MS, (level: boolean) => {
    health.mains(level, clock.monotonic(), utc());
  });
  hal.caseSwitch.watch(CASE_DEBOUNCE_MS, (closed: boolean) => {
    health.caseSwitch(!closed, utc());
  });
  if (hal.motion !== null)
    hal.motion.watch(0, (active: boolean) => {
      if (active) health.moved(clock.monotonic(), utc());
    });
  if (!hal.mains.read()) health.mains(false, clock.monotonic(), utc());
  if (!hal.caseSwitch.read()) health.caseSwitch(true, utc());
  health.battery(hal.battery.readMv(), utc());
  let batteryDue = clock.monotonic() + BATTERY_EVERY_MS;

  sink(
    unitEvent(EventCode.unitBoot, utc(), 0, {
      1: bootReason || BootReason.other,
      2: FIRMWARE_VERSION,
    }),
  );
  const active = schedules.active;
  if (active !== null) sink(unitEvent(EventCode.scheduleActive, utc(), 0, { 1: active.version }));

  hal.watchdog.start(WATCHDOG_MS);
  const ticker = clock.setInterval(() => {
    const ms = clock.monotonic();
    const now = utc();
    if (pairing && !decommissioned) {
      // Grace counts from the last sighting, the walk-out (README-schedule.md §5).
      const t = presence.tracker;
      scheduleEvents(detector.update(now, presenceFromCode(t.state()), t.lastSighting()));
      persistViolation();
      // Silence is an alarm only when the subject must be home, and not while a violation is
      // open: that absence has its alarm (SPEC §9, one absence, one alarm). Set before the tag's
      // tick, so a violation opening at this instant wins. During permitted absence the
      // violation logic speaks when they are late back.
      presence.tag.setHeardExpected(
        schedules.requirementAt(now).kind === "home" && !detector.inViolation(),
        ms,
        now,
      );
    }
    presence.tick(ms, now);
    const p = presence.tracker.state();
    if (p !== Presence.unknown && p !== savedPresence && saveNumber(st, RecordName.presence, p))
      savedPresence = p;
    if (presence.acceptor.changesSinceExport() >= ACCEPTOR_SAVE_EVERY) {
      const a = presence.acceptor.exportState(ms, now, clockKeeper.valid());
      if (a !== null) saveAcceptorState(st, a);
    }
    commands.tick(ms, now);
    outbox.tick(now);
    clockKeeper.tick(ms);
    if (clockKeeper.valid()) presence.acceptor.clockValid(ms, now);
    const promoted = schedules.tick(now);
    if (promoted > 0) {
      persistSchedules();
      sink(unitEvent(EventCode.scheduleActive, now, 0, { 1: promoted }));
    }
    if (ms >= batteryDue) {
      batteryDue = ms + BATTERY_EVERY_MS;
      health.battery(hal.battery.readMv(), now);
    }
    if (ms >= heartbeatDue) {
      heartbeatDue = ms + settings.heartbeatS * 1000;
      heartbeat();
    }
    drain();
    // Kicked only by a tick that got this far: presence, schedule and queue evaluated, the
    // transport asked. A tick that throws every time (the interval runs on) lets it bite.
    hal.watchdog.kick();
  }, TICK_MS);

  return {
    buttonPressed: () => {
      if (notifyCounter < 0 || clock.monotonic() > notifyUntil) return false;
      sink(unitEvent(EventCode.subjectAcknowledged, utc(), 0, { 1: notifyCounter }));
      notifyCounter = -1;
      hal.indicator.off();
      drain();
      return true;
    },
    onSmsDownlink: (bytes: Uint8Array) => {
      commands.handleSms(bytes, utc(), clock.monotonic());
      drain();
    },
    onDownlink: (bytes: Uint8Array) => {
      commands.handle(bytes, utc(), clock.monotonic());
      drain();
    },
    onNetworkTime: (t: number) => {
      clockKeeper.sync(t, ClockSource.network, clock.monotonic());
    },
    drain: drain,
    smsAlarm: smsAlarm,
    smsSent: smsSent,
    queue: queue,
    presence: presence,
    schedules: schedules,
    stop: () => {
      clock.clearInterval(ticker);
      hal.scanner.stop();
    },
  };
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
