// Event catalog (SPEC §9). Codes are stable forever; the class drives drain order and what a
// full queue may coalesce.

export const EventCode = {
  leftHome: 0x01,
  returnedHome: 0x02,
  curfewViolationStart: 0x03,
  curfewViolationEnd: 0x04,
  strapTamper: 0x10,
  strapRestored: 0x11,
  caseTamper: 0x12,
  caseRestored: 0x13,
  tagBatteryLow: 0x14,
  tagRebooted: 0x15,
  tagNotHeard: 0x16,
  tagHeardAgain: 0x17,
  forgedFrameSeen: 0x18,
  replayedFrameSeen: 0x19,
  tagTamperRearmed: 0x1a,
  mainsLost: 0x20,
  mainsRestored: 0x21,
  unitBatteryLow: 0x22,
  unitTamper: 0x23,
  unitTamperCleared: 0x24,
  unitBoot: 0x25,
  clockSet: 0x26,
  commandAck: 0x27,
  scheduleActive: 0x28,
  queueOverflow: 0x29,
  heartbeat: 0x2a,
  decommissioned: 0x2b,
  rangeTestReport: 0x2c,
  clockUnsynchronised: 0x2d,
  commsRestored: 0x2e,
  subjectAcknowledged: 0x2f,
  queueRefused: 0x30,
  frameTooFarAhead: 0x31,
  networkTimeRefused: 0x32,
  tagCommandResult: 0x33,
  beaconFlood: 0x34,
  relaySuspected: 0x35,
} as const;

/** A = alarm (first out, never dropped), T = technical (never dropped), I = informational. */
export const EventClass = { alarm: 1, technical: 2, informational: 3 } as const;

export function eventClass(code: number): number {
  switch (code) {
    case EventCode.curfewViolationStart:
    case EventCode.curfewViolationEnd:
    case EventCode.strapTamper:
    case EventCode.caseTamper:
    case EventCode.tagNotHeard:
    case EventCode.forgedFrameSeen:
    case EventCode.replayedFrameSeen:
    case EventCode.unitTamper:
    case EventCode.queueRefused:
    case EventCode.frameTooFarAhead:
    case EventCode.networkTimeRefused:
    case EventCode.beaconFlood:
    case EventCode.relaySuspected:
      return EventClass.alarm;
    case EventCode.leftHome:
    case EventCode.returnedHome:
    case EventCode.strapRestored:
    case EventCode.caseRestored:
    case EventCode.heartbeat:
    case EventCode.rangeTestReport:
    case EventCode.subjectAcknowledged:
      return EventClass.informational;
    default:
      // Unknown codes are kept and treated as technical: never silently coalesced.
      return EventClass.technical;
  }
}

export const BootReason = {
  powerOn: 1,
  watchdog: 2,
  commanded: 3,
  softwareError: 4,
  brownOut: 5,
  other: 6,
} as const;

export const FrameSource = { beacon: 1, downlink: 2, sms: 3, tagCommand: 4 } as const;

export const UnitTamperKind = { caseOpen: 1, tilted: 2, moved: 3, movedAndUnplugged: 4 } as const;

export const ViolationCause = {
  leftDuringHomeWindow: 1,
  notBackByWindowStart: 2,
  leftOptionalActivity: 3,
} as const;

export const ClockSource = { command: 1, network: 2 } as const;

// Data maps of the events (SPEC §9), by key: what a sender writes and a receiver may expect.

/** heartbeat (0x2A). Keys 2, 6 and 10 are absent when not known. */
export type HeartbeatData = {
  /** Presence: 0 unknown, 1 present, 2 absent. */
  1: number;
  /** Tag battery, mV. */
  2?: number;
  /** Unit battery, mV. */
  3: number;
  /** Mains: 0 off, 1 on. */
  4: number;
  /** Beacons accepted since the last heartbeat. */
  5: number;
  /** Mean RSSI of those beacons, dBm. */
  6?: number;
  /** Queue depth (events not yet delivered). */
  7: number;
  /** Firmware version. */
  8: string;
  /** Signal quality: the modem's CSQ rssi, 0–31, 99 unknown (27.007 §8.5). */
  9: number;
  /** Tag flags of the last accepted beacon. */
  10?: number;
};

/** queue_refused (0x30): events the full queue refused since the last report. */
export type QueueRefusedData = {
  /** Events refused. */
  1: number;
  /** Of those, lost: not kept in RAM until there was room. */
  2: number;
};

/** left_home / returned_home: the smoothed RSSI (dBm) at the last sighting / on return. */
export type PresenceData = { 1: number };

/** curfew_violation_start. */
export type ViolationStartData = {
  /** ViolationCause. */
  1: number;
  /** Window start, UTC seconds. */
  2: number;
  /** Schedule version. */
  3: number;
  /** seq of the tag_not_heard of the same absence, when one was raised. */
  4?: number;
};

/** curfew_violation_end: duration (s), schedule version. */
export type ViolationEndData = { 1: number; 2: number };

/** One number: a battery (mV), a counter, seconds, a kind, a version — as the catalog says. */
export type OneValueData = { 1: number };

/** forged / replayed / too-far-ahead / flood reports: how many since the last, FrameSource. */
export type FrameReportData = { 1: number; 2: number };

/** unit_boot: BootReason, firmware version. */
export type UnitBootData = { 1: number; 2: string };

/** clock_set: old and new time (UTC s), ClockSource. */
export type ClockSetData = { 1: number; 2: number; 3: number };

/** command_ack: downlink counter, command code, AckResult; for a refused schedule, why
 * (SPEC §10: the rule, and the windows or days it concerns). */
export type CommandAckData = {
  1: number;
  2: number;
  3: number;
  4?: number;
  5?: number;
  6?: number;
};

/** queue_overflow: events coalesced, oldest coalesced time (UTC s; absent if unreadable). */
export type QueueOverflowData = { 1: number; 2?: number };

/** range_test_report: samples, min, median and max RSSI (2–4 absent without samples). */
export type RangeTestData = { 1: number; 2?: number; 3?: number; 4?: number };

/** comms_restored: outage duration (s), events queued meanwhile. */
export type CommsRestoredData = { 1: number; 2: number };

/** network_time_refused: the network's time, the unit's time (UTC s). */
export type NetworkTimeRefusedData = { 1: number; 2: number };

/** tag_command_result: downlink counter of the rearm_tag, TagCommandOutcome. */
export type TagCommandResultData = { 1: number; 2: number };

/** relay_suspected: challenges in a row not answered in time; the last answer's delay (ms),
 * absent when none came. */
export type RelaySuspectedData = { 1: number; 2?: number };

/** Each event's data (SPEC §9), by code; null where the catalog says "—". */
export type EventDataByCode = {
  /** Null when no RSSI was smoothed yet. */
  [EventCode.leftHome]: PresenceData | null;
  [EventCode.returnedHome]: PresenceData | null;
  [EventCode.curfewViolationStart]: ViolationStartData;
  [EventCode.curfewViolationEnd]: ViolationEndData;
  /** Null when the tag did not say when (a 20-byte beacon, or a latch older than its boot). */
  [EventCode.strapTamper]: OneValueData | null;
  [EventCode.strapRestored]: null;
  [EventCode.caseTamper]: null;
  [EventCode.caseRestored]: null;
  /** Null when the beacon's battery code says "unknown". */
  [EventCode.tagBatteryLow]: OneValueData | null;
  [EventCode.tagRebooted]: OneValueData;
  [EventCode.tagNotHeard]: OneValueData;
  [EventCode.tagHeardAgain]: OneValueData;
  [EventCode.forgedFrameSeen]: FrameReportData;
  [EventCode.replayedFrameSeen]: FrameReportData;
  [EventCode.tagTamperRearmed]: OneValueData;
  [EventCode.mainsLost]: OneValueData;
  [EventCode.mainsRestored]: OneValueData;
  [EventCode.unitBatteryLow]: OneValueData;
  [EventCode.unitTamper]: OneValueData;
  [EventCode.unitTamperCleared]: OneValueData;
  [EventCode.unitBoot]: UnitBootData;
  [EventCode.clockSet]: ClockSetData;
  [EventCode.commandAck]: CommandAckData;
  [EventCode.scheduleActive]: OneValueData;
  [EventCode.queueOverflow]: QueueOverflowData;
  [EventCode.heartbeat]: HeartbeatData;
  [EventCode.decommissioned]: null;
  [EventCode.rangeTestReport]: RangeTestData;
  [EventCode.clockUnsynchronised]: OneValueData;
  [EventCode.commsRestored]: CommsRestoredData;
  [EventCode.subjectAcknowledged]: OneValueData;
  [EventCode.queueRefused]: QueueRefusedData;
  [EventCode.frameTooFarAhead]: FrameReportData;
  [EventCode.networkTimeRefused]: NetworkTimeRefusedData;
  [EventCode.tagCommandResult]: TagCommandResultData;
  [EventCode.beaconFlood]: FrameReportData;
  [EventCode.relaySuspected]: RelaySuspectedData;
};

/** The data type of event `C`; for a code known only at run time, any data map. */
export type EventDataOf<C extends number> = C extends keyof EventDataByCode
  ? EventDataByCode[C]
  : { [key: number]: number | string } | null;
