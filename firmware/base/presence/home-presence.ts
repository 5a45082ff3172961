// The presence pipeline of the home unit, wired: every advertisement goes through the acceptor;
// each accepted beacon (one per counter, channel repeats dropped) feeds the presence tracker, the
// tag state, the relay check (when the unit can write to the tag) and, during installation, the
// range test. The app calls `onAdvertisement` from its BLE scan callback and `tick` about once a
// second; events go to one sink (the event queue).

import type { BeaconKeyLookup } from "@em-platform/protocol/core/beacon";
import type { Sha256 } from "@em-platform/protocol/core/sha256";
import type { Clock, Crypto } from "../../hal/hal";
import {
  AcceptKind,
  type AcceptResult,
  BeaconAcceptor,
  defaultAcceptorOptions,
} from "./beacon-acceptor";
import { type ChallengeLink, FreshnessChallenge } from "./freshness-challenge";
import type { EventSink } from "./presence-event";
import { Presence, PresenceTracker, presenceParams } from "./presence-tracker";
import { DEFAULT_RANGE_PRESET, isRangePreset } from "./range-presets";
import { RangeTest } from "./range-test";
import { defaultTagStateParams, TagState } from "./tag-state";

export interface HomePresenceOptions {
  companyId: number;
  /** Paired tag id, 0 if none. */
  tagId: number;
  keys: BeaconKeyLookup;
  sha256: Sha256;
  sink: EventSink;
  /** Range preset 1…3. */
  preset: number;
  /** The tag's beacon interval as last set by the centre, ms. */
  beaconIntervalMs: number;
  /** Presence the centre last heard (persisted by the app), Presence.unknown if none. */
  lastKnownPresence: number;
  /** What the relay check needs; null: no check (no link to the tag). */
  challenge: ChallengeWiring | null;
}

/** The board's parts the relay check uses, as they are (no closures: RAM). */
export interface ChallengeWiring {
  /** Writes a challenge to the tag. */
  link: ChallengeLink;
  /** The nonces. */
  crypto: Pick<Crypto, "randomBytes">;
  /** When a write was sent. */
  clock: Pick<Clock, "monotonic">;
}

export class HomePresence {
  readonly acceptor: BeaconAcceptor;
  readonly tracker: PresenceTracker;
  readonly tag: TagState;
  readonly rangeTest: RangeTest;
  challenge: FreshnessChallenge | null;
  private preset: number;

  constructor(o: HomePresenceOptions, nowMs: number) {
    const a = defaultAcceptorOptions(o.companyId, o.tagId, o.keys, o.sha256, o.sink);
    a.beaconIntervalMs = o.beaconIntervalMs;
    this.acceptor = new BeaconAcceptor(a);
    this.preset = isRangePreset(o.preset) ? o.preset : DEFAULT_RANGE_PRESET;
    this.tracker = new PresenceTracker(
      o.tagId,
      presenceParams(this.preset),
      o.sink,
      nowMs,
      o.lastKnownPresence,
    );
    this.tag = new TagState(o.tagId, defaultTagStateParams(), o.sink, nowMs);
    this.rangeTest = new RangeTest(o.sink);
    const c = o.challenge;
    this.challenge =
      c === null ? null : new FreshnessChallenge(o.tagId, c.link, c.crypto, c.clock, o.sink);
  }

  onAdvertisement(
    companyId: number,
    payload: Uint8Array,
    rssi: number,
    nowMs: number,
    utcS: number,
  ): AcceptResult {
    const r = this.acceptor.accept(companyId, payload, rssi, nowMs, utcS);
    if (r.kind === AcceptKind.accepted && r.beacon !== null) {
      this.tracker.sighting(rssi, nowMs, utcS);
      this.tag.beacon(r.beacon, nowMs, utcS);
      this.rangeTest.sample(rssi, nowMs);
      if (this.challenge !== null) this.challenge.beacon(r.beacon, nowMs);
    }
    return r;
  }

  tick(nowMs: number, utcS: number): void {
    this.acceptor.tick(nowMs, utcS);
    this.tracker.tick(nowMs, utcS);
    this.tag.tick(nowMs, utcS);
    this.rangeTest.tick(nowMs, utcS);
    if (this.challenge !== null)
      this.challenge.tick(nowMs, utcS, this.tracker.state() === Presence.present);
  }

  /** `pair_tag`: a different tag restarts everything; the same tag keeps its state. */
  pair(tagId: number, nowMs: number): void {
    const same = tagId === this.acceptor.pairedTagId();
    this.acceptor.pair(tagId);
    if (same) return;
    const c = this.challenge;
    if (c !== null)
      this.challenge = new FreshnessChallenge(tagId, c.link, c.crypto, c.clock, c.sink);
    this.tracker.pair(tagId, nowMs);
    this.tag.pair(tagId, nowMs);
  }

  /** `set_range_preset`; false (ack "bad arguments") for anything but 1…3. */
  setRangePreset(preset: number): boolean {
    if (!isRangePreset(preset)) return false;
    this.preset = preset;
    this.tracker.setParams(presenceParams(preset));
    return true;
  }

  rangePreset(): number {
    return this.preset;
  }

  /** `range_test` (10…3,600 s); ends with a range_test_report event from `tick`. */
  startRangeTest(durationS: number, nowMs: number): void {
    this.rangeTest.start(this.acceptor.pairedTagId(), durationS, nowMs);
  }
}
