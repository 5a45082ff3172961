// What the home unit keeps in flash besides the event queue: small records, each rewritten
// whole when it changes (rarely: provisioning, pairing, a command), CBOR-encoded. Names are
// short (Espruino Storage allows 28 characters).

import {
  copyBytes,
  readU16BE,
  readU32BE,
  sliceBytes,
  writeU16BE,
  writeU32BE,
} from "@em-platform/protocol/core/bytes";
import {
  type CborMap,
  type CborValue,
  decodeCbor,
  encodeCbor,
  isCborMap,
} from "@em-platform/protocol/core/cbor";
import type { Storage } from "../hal/hal";
import type { DownlinkWindowState } from "./commands/downlink-window";
import { decodeException, encodeException, type ScheduleException } from "./schedule/exception";
import { decodeSchedule, encodeSchedule, type Schedule } from "./schedule/schedule";
import type { OpenViolation } from "./schedule/violation-detector";

export const RecordName = {
  identity: "em.unit",
  pairing: "em.pair",
  uplinkCounter: "em.upc",
  downlinkCounter: "em.dnc",
  schedule: "em.sched",
  pendingSchedule: "em.spend",
  exceptions: "em.exc",
  settings: "em.cfg",
  acceptor: "em.bcn",
  network: "em.net",
  openViolation: "em.viol",
  /** The presence the centre last heard (Presence, 4 bytes): a reboot must not hide an edge. */
  presence: "em.pres",
} as const;

/** Written by provisioning (tools/), read at boot. */
export interface UnitIdentity {
  unitId: number;
  keyVersion: number;
  companyId: number;
  uplinkKey: Uint8Array;
  downlinkKey: Uint8Array;
  wrapKey: Uint8Array;
}

/**
 * How the unit reaches the centre, written by provisioning (tools/) next to the identity:
 * {1 broker host, 2 broker port, 3 APN, 4 APN user, 5 APN password, 6 [centre numbers],
 * 7 [officer numbers], 8 broker password (optional), 9 true: over TLS (optional)}. Numbers are
 * international ("+371…"); the first centre number receives alarm SMS, and only centre numbers
 * may send commands by SMS. With a broker password the unit logs in as its unit id (SPEC §13,
 * "Broker accounts").
 */
export interface NetworkConfig {
  brokerHost: string;
  brokerPort: number;
  apn: string;
  apnUser: string;
  apnPass: string;
  centreNumbers: string[];
  officerNumbers: string[];
  /** The unit's own broker password; absent or "" = connect without credentials. */
  brokerPassword?: string;
  /** Connect over the modem's TLS (SPEC §13); absent = false. */
  tls?: boolean;
}

export function encodeNetworkConfig(c: NetworkConfig): Uint8Array {
  const m: CborMap = {
    1: c.brokerHost,
    2: c.brokerPort,
    3: c.apn,
    4: c.apnUser,
    5: c.apnPass,
    6: c.centreNumbers,
    7: c.officerNumbers,
  };
  if (c.brokerPassword) m[8] = c.brokerPassword;
  if (c.tls) m[9] = true;
  return encodeCbor(m);
}

function strings(v: CborValue | undefined): string[] | null {
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== "string") return null;
    out.push(x);
  }
  return out;
}

/** null when absent or malformed: the unit then has no way out and says so at boot. */
export function loadNetworkConfig(st: Storage): NetworkConfig | null {
  const m = readMap(st, RecordName.network);
  if (m === null) return null;
  const centre = strings(m[6]);
  const officers = strings(m[7]);
  const port = m[2];
  if (typeof m[1] !== "string" || typeof port !== "number" || port < 1 || port > 65535) return null;
  if (typeof m[3] !== "string" || typeof m[4] !== "string" || typeof m[5] !== "string") return null;
  if (centre === null || officers === null) return null;
  const password = m[8] === undefined ? "" : m[8];
  if (typeof password !== "string") return null;
  // Anything but absent or true is a damaged record, never a quiet "in the clear".
  if (m[9] !== undefined && m[9] !== true) return null;
  return {
    brokerHost: m[1],
    brokerPort: port,
    apn: m[3],
    apnUser: m[4],
    apnPass: m[5],
    centreNumbers: centre,
    officerNumbers: officers,
    brokerPassword: password,
    tls: m[9] === true,
  };
}

export interface Pairing {
  tagId: number;
  keyVersion: number;
  beaconKey: Uint8Array;
}

export interface UnitSettings {
  rangePreset: number;
  heartbeatS: number;
  beaconIntervalS: number;
}

function readMap(st: Storage, name: string): CborMap | null {
  const raw = st.read(name);
  if (raw === null) return null;
  const d = decodeCbor(copyBytes(raw));
  return d.ok && isCborMap(d.value) ? d.value : null;
}

function bytes32(v: CborValue | undefined): Uint8Array | null {
  return v instanceof Uint8Array && v.length === 32 ? v : null;
}

export function encodeIdentity(id: UnitIdentity): Uint8Array {
  return encodeCbor({
    1: id.unitId,
    2: id.keyVersion,
    3: id.companyId,
    4: id.uplinkKey,
    5: id.downlinkKey,
    6: id.wrapKey,
  });
}

export function loadIdentity(st: Storage): UnitIdentity | null {
  const m = readMap(st, RecordName.identity);
  if (m === null) return null;
  const up = bytes32(m[4]);
  const down = bytes32(m[5]);
  const wrap = bytes32(m[6]);
  if (typeof m[1] !== "number" || typeof m[2] !== "number" || typeof m[3] !== "number") return null;
  if (up === null || down === null || wrap === null) return null;
  return {
    unitId: m[1],
    keyVersion: m[2],
    companyId: m[3],
    uplinkKey: up,
    downlinkKey: down,
    wrapKey: wrap,
  };
}

export function loadPairing(st: Storage): Pairing | null {
  const m = readMap(st, RecordName.pairing);
  if (m === null) return null;
  const key = bytes32(m[3]);
  if (typeof m[1] !== "number" || typeof m[2] !== "number" || key === null) return null;
  return { tagId: m[1], keyVersion: m[2], beaconKey: key };
}

export function savePairing(st: Storage, p: Pairing): boolean {
  return st.write(RecordName.pairing, encodeCbor({ 1: p.tagId, 2: p.keyVersion, 3: p.beaconKey }));
}

export function loadSettings(st: Storage, defaults: UnitSettings): UnitSettings {
  const m = readMap(st, RecordName.settings);
  if (m === null) return defaults;
  return {
    rangePreset: typeof m[1] === "number" ? m[1] : defaults.rangePreset,
    heartbeatS: typeof m[2] === "number" ? m[2] : defaults.heartbeatS,
    beaconIntervalS: typeof m[3] === "number" ? m[3] : defaults.beaconIntervalS,
  };
}

export function saveSettings(st: Storage, s: UnitSettings): boolean {
  return st.write(
    RecordName.settings,
    encodeCbor({ 1: s.rangePreset, 2: s.heartbeatS, 3: s.beaconIntervalS }),
  );
}

/** highest (4) ‖ its MAC (32) ‖ the window's seen mask (2). A 36-byte record of the strict rule
 * has no mask: every counter below its highest counts as seen (nothing reopens). */
export function loadReceiverState(st: Storage): DownlinkWindowState | null {
  const raw = st.read(RecordName.downlinkCounter);
  if (raw === null || (raw.length !== 36 && raw.length !== 38)) return null;
  return {
    highest: readU32BE(raw, 0),
    mac: sliceBytes(raw, 4, 36),
    seen: raw.length === 38 ? readU16BE(raw, 36) : 0xffff,
  };
}

export function saveReceiverState(st: Storage, s: DownlinkWindowState): boolean {
  if (s.highest < 0 || s.mac === null) return true;
  const b = new Uint8Array(38);
  writeU32BE(b, 0, s.highest);
  b.set(s.mac.subarray(0, 32), 4);
  writeU16BE(b, 36, s.seen);
  return st.write(RecordName.downlinkCounter, b);
}

/** A curfew violation open when the unit stopped: {1 start, 2 schedule version, 3 stretch start}. */
export function loadOpenViolation(st: Storage): OpenViolation | null {
  const m = readMap(st, RecordName.openViolation);
  if (m === null) return null;
  const start = m[1];
  const version = m[2];
  const stretch = m[3];
  if (typeof start !== "number" || typeof version !== "number" || typeof stretch !== "number")
    return null;
  return { start: start, version: version, stretchStart: stretch };
}

export function saveOpenViolation(st: Storage, v: OpenViolation | null): boolean {
  if (v === null) {
    st.erase(RecordName.openViolation);
    return true;
  }
  return st.write(
    RecordName.openViolation,
    encodeCbor({ 1: v.start, 2: v.version, 3: v.stretchStart }),
  );
}

export function loadNumber(st: Storage, name: string): number | null {
  const raw = st.read(name);
  return raw === null || raw.length !== 4 ? null : readU32BE(raw, 0);
}

export function saveNumber(st: Storage, name: string, v: number): boolean {
  const b = new Uint8Array(4);
  writeU32BE(b, 0, v);
  return st.write(name, b);
}

/** A schedule record (SPEC §11 map): the active one (em.sched) or the pending one (em.spend). */
export function loadSchedule(st: Storage, name: string): Schedule | null {
  const m = readMap(st, name);
  const d = m === null ? null : decodeSchedule(m);
  return d !== null && d.ok ? d.value : null;
}

/** null erases the record. */
export function saveSchedule(st: Storage, name: string, s: Schedule | null): boolean {
  if (s === null) {
    st.erase(name);
    return true;
  }
  return st.write(name, encodeCbor(encodeSchedule(s)));
}

/** The exceptions (em.exc): an array of add_exception maps, ≤ 16 (≤ 369 B). */
export function loadExceptions(st: Storage): ScheduleException[] {
  const out: ScheduleException[] = [];
  const raw = st.read(RecordName.exceptions);
  const d = raw === null ? null : decodeCbor(copyBytes(raw));
  const list = d !== null && d.ok && Array.isArray(d.value) ? d.value : [];
  for (let i = 0; i < list.length; i++) {
    const e = decodeException(list[i]);
    if (e.ok) out.push(e.value);
  }
  return out;
}

export function saveExceptions(st: Storage, list: ScheduleException[]): boolean {
  const a: CborValue[] = [];
  for (let i = 0; i < list.length; i++) a.push(encodeException(list[i]));
  return st.write(RecordName.exceptions, encodeCbor(a));
}

/** The beacon acceptor's counter state (see presence/beacon-acceptor.ts). */
export interface StoredAcceptorState {
  tagId: number;
  keyVersion: number;
  highest: number;
  mac: string;
  /** UTC seconds of the pace anchor, 0 if unknown (records before it have none). */
  atS: number;
}

export function loadAcceptorState(st: Storage): StoredAcceptorState | null {
  const m = readMap(st, RecordName.acceptor);
  if (m === null) return null;
  if (typeof m[1] !== "number" || typeof m[2] !== "number" || typeof m[3] !== "number") return null;
  if (typeof m[4] !== "string") return null;
  const at = m[5];
  return {
    tagId: m[1],
    keyVersion: m[2],
    highest: m[3],
    mac: m[4],
    atS: typeof at === "number" && at > 0 ? at : 0,
  };
}

export function saveAcceptorState(st: Storage, s: StoredAcceptorState): boolean {
  return st.write(
    RecordName.acceptor,
    encodeCbor({ 1: s.tagId, 2: s.keyVersion, 3: s.highest, 4: s.mac, 5: s.atS }),
  );
}
