// Beacon acceptance on the home unit (SPEC §3, §4): of every manufacturer-data advertisement the
// scanner hears, keep only authentic, fresh beacons from the one paired tag; recognise the
// repeats BLE makes on its three advertising channels; count and report forged and replayed
// frames without flooding the uplink.
//
// Order of checks, cheapest first, so the neighbours' tags that bleed through the walls cost one
// 4-byte compare and no HMAC:
//
// | step | check                                           | outcome when it fails                |
// | ---- | ----------------------------------------------- | ------------------------------------ |
// | 1    | company id is ours                              | ignored (wrong_company)              |
// | 2    | 20 bytes 0x11, or 24 bytes 0x13 (extended)      | ignored (not_beacon)                 |
// | 3    | a tag is paired                                 | ignored (not_paired)                 |
// | 4    | tag id is the paired tag                        | ignored (other_tag) — never reported |
// | 5    | bytes identical to the last accepted beacon     | duplicate (no HMAC needed)           |
// | 6    | a key is held for the key version               | unknown_key_version (counted)        |
// | 6a   | the MAC budget has a check left (below)         | unchecked → beacon_flood             |
// | 7    | MAC verifies                                    | forged → forged_frame_seen           |
// | 8    | fields in range (reserved bits, battery code)   | malformed (authentic; counted)       |
// | 9    | key version not older than the accepted one     | replay → replayed_frame_seen         |
// | 10   | a new counter keeps pace with time (CounterPace) | stale → replayed_frame_seen          |
// | 11   | counter fresh (ReceiverCounter, gap bound G)    | duplicate / replay / too_far_ahead   |
//
// Key versions: a tag re-keyed to a new version restarts its counter at 0 (SPEC §3), so the
// counter state belongs to one key version. A MAC-valid beacon of a newer version than the one
// accepted so far starts a new counter epoch; one of an older version is a replay (a genuine tag
// never goes back). Only a holder of the newer key can open a new epoch.
//
// stale: authentic, above every counter accepted, yet further behind the unit's clock than a
// genuine tag can fall (counter-pace.ts) — recorded while the unit was not listening and played
// back now. Reported as a replay: it is one. The pace anchor is persisted with the counter, so a
// reboot does not reopen the window; when the unit boots without a valid clock the check waits
// for the first valid time and then judges what was accepted meanwhile (`clockValid`).
//
// too_far_ahead (a MAC-valid counter more than G above the last) is reported as
// frame_too_far_ahead, not as a replay (no old frame was repeated) nor as forged (the MAC is
// right): only a holder of the tag's key makes it — a leaked key, or a tag whose counter jumped —
// and the remedy differs (re-key the tag), while the genuine tag stays unheard until then.
// MAC budget: an HMAC in pure JS is the most expensive thing the unit does per frame, and a
// transmitter naming the paired tag can send ~150 frames/s. At most MAC_BURST checks, refilled
// one per MAC_REFILL_MS, are spent; a frame over the budget is dropped unverified (unchecked)
// and reported as beacon_flood. A genuine tag needs one check per beacon interval (≥ 2 s; its
// channel repeats are duplicates) and its alarm bursts fit in MAC_BURST, so the budget never
// binds without a flood. During one the genuine beacons compete with the forged ones and may
// go unheard: the flood can cost presence (tag_not_heard, a false alarm the flood report
// explains), never create it.
//
// unknown_key_version and malformed frames cannot be proven forged (no key /
// authentic but not v1-conformant) and are only counted (see `counts`).

import {
  BEACON_LENGTH,
  BEACON_MAC_LENGTH,
  BEACON_VERSION_TYPE,
  type Beacon,
  type BeaconKeyLookup,
  EXTENDED_BEACON_LENGTH,
  EXTENDED_BEACON_VERSION_TYPE,
  parseBeacon,
} from "@em-platform/protocol/core/beacon";
import { fromHex, readU32BE, toHex } from "@em-platform/protocol/core/bytes";
import { ReceiverCounter } from "@em-platform/protocol/core/counters";
import { ErrorCode } from "@em-platform/protocol/core/errors";
import { EventCode, FrameSource } from "@em-platform/protocol/core/events";
import { hmacSha256 } from "@em-platform/protocol/core/hmac";
import type { Sha256 } from "@em-platform/protocol/core/sha256";
import { CounterPace } from "./counter-pace";
import type { EventSink } from "./presence-event";
import { DEFAULT_REPORT_PERIOD_MS, ReportLimiter } from "./report-limiter";

/** SPEC §3 default gap bound for beacons. */
export const DEFAULT_BEACON_GAP = 1000000;
/**
 * MAC checks the unit spends in a burst, and the refill period of one (see above). The burst
 * must hold what a genuine tag sends fastest: a regular beacon, then a flag change's burst (5
 * frames, 400 ms apart) restarted by a second change — 11 distinct frames in about 2.5 s.
 */
export const MAC_BURST = 11;
export const MAC_REFILL_MS = 1000;
/** The tag's default beacon interval (SPEC §4). */
export const DEFAULT_BEACON_INTERVAL_MS = 8000;

export const AcceptKind = {
  ignored: "ignored",
  accepted: "accepted",
  duplicate: "duplicate",
  forged: "forged",
  unchecked: "unchecked",
  replay: "replay",
  tooFarAhead: "too_far_ahead",
  stale: "stale",
  unknownKeyVersion: "unknown_key_version",
  malformed: "malformed",
} as const;
export type AcceptKindValue = (typeof AcceptKind)[keyof typeof AcceptKind];

export const IgnoreReason = {
  wrongCompany: "wrong_company",
  notBeacon: "not_beacon",
  notPaired: "not_paired",
  otherTag: "other_tag",
} as const;
export type IgnoreReasonValue = (typeof IgnoreReason)[keyof typeof IgnoreReason];

export interface AcceptResult {
  readonly kind: AcceptKindValue;
  /** Why it was ignored; null unless kind is `ignored`. */
  readonly reason: IgnoreReasonValue | null;
  /** The parsed beacon when authentic (accepted, replay, too_far_ahead); else null. Its `mac`
   * is a view into the payload passed in. */
  readonly beacon: Beacon | null;
  readonly rssi: number;
}

// Ignored results are shared constants: the common case (other tags, other adverts) allocates
// nothing.
function ignoredResult(reason: IgnoreReasonValue): AcceptResult {
  return { kind: AcceptKind.ignored, reason: reason, beacon: null, rssi: 0 };
}
const IGNORED_WRONG_COMPANY = ignoredResult(IgnoreReason.wrongCompany);
const IGNORED_NOT_BEACON = ignoredResult(IgnoreReason.notBeacon);
const IGNORED_NOT_PAIRED = ignoredResult(IgnoreReason.notPaired);
const IGNORED_OTHER_TAG = ignoredResult(IgnoreReason.otherTag);

function result(kind: AcceptKindValue, beacon: Beacon | null, rssi: number): AcceptResult {
  return { kind: kind, reason: null, beacon: beacon, rssi: rssi };
}

/** Counter state to persist across unit reboots, so a replay after a reboot is still caught. */
export interface AcceptorState {
  tagId: number;
  keyVersion: number;
  /** Highest accepted counter of that key version. */
  highest: number;
  /** MAC of that beacon, hex (16 digits). */
  mac: string;
  /** UTC seconds when that beacon was accepted (the pace anchor); 0 if unknown. */
  atS: number;
}

/** Running totals since construction (for heartbeats and diagnostics). */
export interface AcceptCounts {
  accepted: number;
  /** Sum of the RSSI of accepted beacons (mean = rssiSum / accepted). */
  rssiSum: number;
  duplicates: number;
  forged: number;
  /** Frames naming the paired tag dropped unverified over the MAC budget. */
  unchecked: number;
  replayed: number;
  tooFarAhead: number;
  /** Authentic frames behind the counter's pace (recorded earlier); also counted in replayed. */
  stale: number;
  unknownKeyVersion: number;
  malformed: number;
  otherTag: number;
}

export interface BeaconAcceptorOptions {
  /** Company id the beacons are expected under (DEFAULT_COMPANY_ID unless a deployer's). */
  companyId: number;
  /** Paired tag id; 0 = none paired yet. */
  tagId: number;
  keys: BeaconKeyLookup;
  sha256: Sha256;
  /** Gap bound G (SPEC §3); DEFAULT_BEACON_GAP. */
  gap: number;
  /** Rate-limit period of forged/replayed reports; DEFAULT_REPORT_PERIOD_MS. */
  reportPeriodMs: number;
  /** The tag's beacon interval as last set by the centre; DEFAULT_BEACON_INTERVAL_MS. */
  beaconIntervalMs: number;
  sink: EventSink;
}

export function defaultAcceptorOptions(
  companyId: number,
  tagId: number,
  keys: BeaconKeyLookup,
  sha256: Sha256,
  sink: EventSink,
): BeaconAcceptorOptions {
  return {
    companyId: companyId,
    tagId: tagId,
    keys: keys,
    sha256: sha256,
    gap: DEFAULT_BEACON_GAP,
    reportPeriodMs: DEFAULT_REPORT_PERIOD_MS,
    beaconIntervalMs: DEFAULT_BEACON_INTERVAL_MS,
    sink: sink,
  };
}

function zeroCounts(): AcceptCounts {
  return {
    accepted: 0,
    rssiSum: 0,
    duplicates: 0,
    forged: 0,
    unchecked: 0,
    replayed: 0,
    tooFarAhead: 0,
    stale: 0,
    unknownKeyVersion: 0,
    malformed: 0,
    otherTag: 0,
  };
}

export class BeaconAcceptor {
  private readonly companyId: number;
  private readonly keys: BeaconKeyLookup;
  private readonly sha: Sha256;
  private readonly gap: number;
  private readonly forged: ReportLimiter;
  private readonly flood: ReportLimiter;
  private readonly replayed: ReportLimiter;
  private readonly ahead: ReportLimiter;
  private tagId: number;
  /** Key version of the counter epoch; -1 before the first accepted beacon. */
  private keyVersion: number;
  private counter: ReceiverCounter;
  private pace: CounterPace;
  /** A persisted anchor waiting for a valid clock: its counter (−1: none) and UTC seconds. */
  private pendingCounter: number;
  private pendingAtS: number;
  /** Bytes of the last accepted beacon, for the HMAC-free duplicate check. */
  private readonly last: Uint8Array;
  /** Its length: 0 when there is none. */
  private lastLength: number;
  /** Reused MAC input: company id (LE) ‖ payload bytes 0…11 (SPEC §4). */
  private readonly macIn: Uint8Array;
  private changes: number;
  /** MAC checks left in the budget, and when the last refill was counted (−1: never). */
  private macTokens: number;
  private macAtMs: number;
  readonly counts: AcceptCounts;

  constructor(o: BeaconAcceptorOptions) {
    this.companyId = o.companyId;
    this.keys = o.keys;
    this.sha = o.sha256;
    this.gap = o.gap;
    this.forged = new ReportLimiter(
      EventCode.forgedFrameSeen,
      FrameSource.beacon,
      o.reportPeriodMs,
      o.sink,
    );
    this.flood = new ReportLimiter(
      EventCode.beaconFlood,
      FrameSource.beacon,
      o.reportPeriodMs,
      o.sink,
    );
    this.replayed = new ReportLimiter(
      EventCode.replayedFrameSeen,
      FrameSource.beacon,
      o.reportPeriodMs,
      o.sink,
    );
    this.ahead = new ReportLimiter(
      EventCode.frameTooFarAhead,
      FrameSource.beacon,
      o.reportPeriodMs,
      o.sink,
    );
    this.tagId = o.tagId;
    this.keyVersion = -1;
    this.counter = new ReceiverCounter(o.gap);
    this.pace = new CounterPace(o.beaconIntervalMs);
    this.pendingCounter = -1;
    this.pendingAtS = 0;
    this.last = new Uint8Array(EXTENDED_BEACON_LENGTH);
    this.lastLength = 0;
    this.macIn = new Uint8Array(2 + EXTENDED_BEACON_LENGTH - BEACON_MAC_LENGTH);
    this.changes = 0;
    this.macTokens = MAC_BURST;
    this.macAtMs = -1;
    this.counts = zeroCounts();
  }

  /** Takes one MAC check from the budget; false when it is spent. */
  private macAllowed(nowMs: number): boolean {
    if (this.macAtMs < 0) this.macAtMs = nowMs;
    const refill = Math.floor((nowMs - this.macAtMs) / MAC_REFILL_MS);
    if (refill > 0) {
      this.macTokens = Math.min(MAC_BURST, this.macTokens + refill);
      this.macAtMs += refill * MAC_REFILL_MS;
    }
    if (this.macTokens === MAC_BURST) this.macAtMs = nowMs;
    if (this.macTokens === 0) return false;
    this.macTokens--;
    return true;
  }

  private resetCounter(): void {
    this.keyVersion = -1;
    this.counter = new ReceiverCounter(this.gap);
    this.pace.forget();
    this.pendingCounter = -1;
    this.lastLength = 0;
    this.changes++;
  }

  /** set_intervals key 2: the pace a genuine tag keeps from now (see counter-pace.ts). */
  setBeaconInterval(ms: number): void {
    this.pace.setInterval(ms);
  }

  /** Pairs with a tag (the `pair_tag` command). Re-pairing the same tag keeps its counter state,
   * so a re-pair never reopens a replay window, but drops the pace anchor: the centre's way back
   * for a tag whose clock stopped and fell behind; a different tag starts from nothing. */
  pair(tagId: number): void {
    if (tagId === this.tagId) {
      this.pace.forget();
      this.pendingCounter = -1;
      return;
    }
    this.tagId = tagId;
    this.resetCounter();
  }

  /** Forgets the tag (decommission): every beacon is ignored afterwards. */
  unpair(): void {
    this.pair(0);
  }

  pairedTagId(): number {
    return this.tagId;
  }

  private sameAsLast(payload: Uint8Array): boolean {
    if (payload.length !== this.lastLength) return false;
    for (let i = 0; i < payload.length; i++) if (payload[i] !== this.last[i]) return false;
    return true;
  }

  private macValid(key: Uint8Array, companyId: number, payload: Uint8Array): boolean {
    const n = payload.length - BEACON_MAC_LENGTH;
    const m = n === BEACON_LENGTH - BEACON_MAC_LENGTH ? this.macIn.subarray(0, 2 + n) : this.macIn;
    m[0] = companyId & 255; // little-endian, as on air
    m[1] = (companyId >> 8) & 255;
    for (let i = 0; i < n; i++) m[2 + i] = payload[i];
    const mac = hmacSha256(this.sha, key, m);
    let d = 0;
    for (let i = 0; i < BEACON_MAC_LENGTH; i++) d |= mac[i] ^ payload[n + i];
    return d === 0;
  }

  private reportReplay(nowMs: number, utcS: number): void {
    this.replayed.record(nowMs, utcS, this.tagId);
  }

  /**
   * Classifies one received advertisement payload (the bytes after the company id).
   * `nowMs`: monotonic milliseconds (rate limiting); `utcS`: wall clock for event times.
   * Call once per advertisement heard, duplicates included.
   */
  accept(
    companyId: number,
    payload: Uint8Array,
    rssi: number,
    nowMs: number,
    utcS: number,
  ): AcceptResult {
    if (companyId !== this.companyId) return IGNORED_WRONG_COMPANY;
    const n = payload.length;
    if (
      !(n === BEACON_LENGTH && payload[0] === BEACON_VERSION_TYPE) &&
      !(n === EXTENDED_BEACON_LENGTH && payload[0] === EXTENDED_BEACON_VERSION_TYPE)
    )
      return IGNORED_NOT_BEACON;
    if (this.tagId === 0) return IGNORED_NOT_PAIRED;
    if (readU32BE(payload, 1) !== this.tagId) {
      this.counts.otherTag++;
      return IGNORED_OTHER_TAG;
    }
    if (this.sameAsLast(payload)) {
      this.counts.duplicates++;
      return result(AcceptKind.duplicate, null, rssi);
    }
    const kv = payload[11];
    const key = this.keys(this.tagId, kv);
    if (key === null) {
      this.counts.unknownKeyVersion++;
      return result(AcceptKind.unknownKeyVersion, null, rssi);
    }
    if (!this.macAllowed(nowMs)) {
      this.counts.unchecked++;
      this.flood.record(nowMs, utcS, this.tagId);
      return result(AcceptKind.unchecked, null, rssi);
    }
    if (!this.macValid(key, companyId, payload)) {
      this.counts.forged++;
      this.forged.record(nowMs, utcS, this.tagId);
      return result(AcceptKind.forged, null, rssi);
    }
    const parsed = parseBeacon(payload);
    if (!parsed.ok) {
      this.counts.malformed++;
      return result(AcceptKind.malformed, null, rssi);
    }
    const b = parsed.value;
    if (this.keyVersion >= 0 && kv < this.keyVersion) {
      this.counts.replayed++;
      this.reportReplay(nowMs, utcS);
      return result(AcceptKind.replay, b, rssi);
    }
    if (kv !== this.keyVersion) {
      // First beacon, or the tag moved to a newer key version: a new counter epoch.
      this.counter = new ReceiverCounter(this.gap);
      this.pace.forget();
      this.pendingCounter = -1;
      this.keyVersion = kv;
    }
    if (b.counter > this.counter.state().highest && this.pace.behind(b.counter, nowMs) > 0) {
      this.counts.stale++;
      this.counts.replayed++;
      this.reportReplay(nowMs, utcS);
      return result(AcceptKind.stale, b, rssi);
    }
    const c = this.counter.check(b.counter, b.mac);
    if (c.ok) {
      this.pace.accepted(b.counter, nowMs);
      this.last.set(payload);
      this.lastLength = payload.length;
      this.changes++;
      this.counts.accepted++;
      this.counts.rssiSum += rssi;
      return result(AcceptKind.accepted, b, rssi);
    }
    if (c.code === ErrorCode.duplicate) {
      this.counts.duplicates++;
      return result(AcceptKind.duplicate, null, rssi);
    }
    if (c.code === ErrorCode.tooFarAhead) {
      this.counts.tooFarAhead++;
      this.ahead.record(nowMs, utcS, this.tagId);
      return result(AcceptKind.tooFarAhead, b, rssi);
    }
    this.counts.replayed++;
    this.reportReplay(nowMs, utcS);
    return result(AcceptKind.replay, b, rssi);
  }

  /** Sends rate-limited reports whose period has passed. Call about once a second. */
  tick(nowMs: number, utcS: number): void {
    this.forged.tick(nowMs, utcS);
    this.flood.tick(nowMs, utcS);
    this.replayed.tick(nowMs, utcS);
    this.ahead.tick(nowMs, utcS);
  }

  /** Counter state to persist; null before the first accepted beacon of the paired tag.
   * `utcS` is taken as valid only when `clockValid` says so; else the anchor time is 0. */
  exportState(nowMs: number, utcS: number, clockValid: boolean): AcceptorState | null {
    const s = this.counter.state();
    if (this.tagId === 0 || this.keyVersion < 0 || s.highest < 0) return null;
    this.changes = 0;
    const at = this.pace.anchorMs();
    return {
      tagId: this.tagId,
      keyVersion: this.keyVersion,
      highest: s.highest,
      mac: s.mac === null ? "" : toHex(s.mac),
      atS: clockValid && at >= 0 ? utcS - Math.round((nowMs - at) / 1000) : 0,
    };
  }

  /** The unit's clock is valid now (call every tick once it is): a persisted pace anchor that
   * waited for it takes effect, and beacons accepted meanwhile are judged against it — if they
   * were behind its pace they were replayed: reported, and the anchor goes back to the persisted
   * one so the rest of the recording is refused too. */
  clockValid(nowMs: number, utcS: number): void {
    if (this.pendingCounter < 0) return;
    const ago = utcS > this.pendingAtS ? (utcS - this.pendingAtS) * 1000 : 0;
    const saved = new CounterPace(0);
    saved.anchorAt(this.pendingCounter, nowMs, ago);
    this.pendingCounter = -1;
    const at = this.pace.anchorMs();
    if (at < 0) {
      this.pace.anchorAt(this.counter.state().highest, nowMs, ago);
      return;
    }
    saved.setInterval(this.pace.interval());
    if (saved.behind(this.counter.state().highest, at) === 0) return;
    this.counts.stale++;
    this.counts.replayed++;
    this.reportReplay(nowMs, utcS);
    this.pace = saved;
  }

  /** Restores persisted counter state. Refused (false) when it is for another tag or invalid.
   * The pace anchor is restored at once when the clock is valid now, else on `clockValid`. */
  importState(s: AcceptorState, nowMs: number, utcS: number, clockValid: boolean): boolean {
    if (s.tagId !== this.tagId || this.tagId === 0) return false;
    if (!(s.keyVersion >= 0 && s.keyVersion <= 255 && Math.floor(s.keyVersion) === s.keyVersion))
      return false;
    if (!(s.highest >= 0 && s.highest <= 0xffffffff && Math.floor(s.highest) === s.highest))
      return false;
    const mac = s.mac === "" ? null : fromHex(s.mac);
    if (mac !== null && mac.length !== BEACON_MAC_LENGTH) return false;
    if (s.mac !== "" && mac === null) return false;
    this.keyVersion = s.keyVersion;
    this.counter = new ReceiverCounter(this.gap, { highest: s.highest, mac: mac });
    this.pace.forget();
    this.pendingCounter = -1;
    if (s.atS > 0 && clockValid)
      this.pace.anchorAt(s.highest, nowMs, utcS > s.atS ? (utcS - s.atS) * 1000 : 0);
    else if (s.atS > 0) {
      this.pendingCounter = s.highest;
      this.pendingAtS = s.atS;
    }
    this.lastLength = 0;
    this.changes = 0;
    return true;
  }

  /** Accepted beacons (and pairings) since the last export: the app persists when this reaches
   * its bound (64 recommended, ≈ 8.5 minutes at 8 s) instead of writing flash per beacon. */
  changesSinceExport(): number {
    return this.changes;
  }

  /** Forged / unchecked / replayed / too-far-ahead frames counted but not yet reported. */
  unreported(): number {
    return (
      this.forged.unreported() +
      this.flood.unreported() +
      this.replayed.unreported() +
      this.ahead.unreported()
    );
  }
}
