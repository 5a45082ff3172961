// Is the subject at home? A three-state machine with hysteresis over the accepted beacons of the
// paired tag (one sighting per beacon: the acceptor has already dropped the channel repeats).
//
// Inputs, derived from each sighting's smoothed RSSI s (median of the last 5, rssi-filter.ts):
//
// | input   | condition                                                                    |
// | ------- | ---------------------------------------------------------------------------- |
// | QUORUM  | this sighting is strong (s ≥ enter) and it is the m-th strong one within W   |
// | WEAK    | k consecutive sightings weak (s < leave = enter − margin)                    |
// | SILENCE | no accepted beacon for T (since the last one, or since start if none yet)    |
//
// Transitions (anything not listed keeps the state):
//
// | from    | QUORUM  | WEAK   | SILENCE |
// | ------- | ------- | ------ | ------- |
// | unknown | present | absent | absent  |
// | present | —       | absent | absent  |
// | absent  | present | —      | —       |
//
// Sightings between leave and enter (the hysteresis band) break a weak run but do not count
// toward a quorum, so a subject hovering at the edge keeps whatever state he is in.
//
// Events: `left_home` / `returned_home` (SPEC §9, data {1: smoothed RSSI at the last sighting})
// are edges between known states. The first decision after start (unknown → x) raises an event
// only when it contradicts the state the centre last heard (`lastKnown` given at construction,
// which the app persists on every change of `state()`); on a fresh installation it raises none —
// the heartbeat carries the state. `left_home` is stamped with the time of the last in-range
// sighting (the best estimate of when the subject walked out), not with the detection time;
// `returned_home` with the sighting that completed the quorum.
//
// Defaults (nominal beacon every 8 s ± 1 s, each heard on up to 3 channels):
// - m = 3 strong sightings within W = 60 s: a return needs ≈ 24 s of in-range beacons; 60 s
//   holds ≈ 7 beacon intervals, so two lost or faded beacons do not delay it.
// - T = 180 s: ≈ 22 beacon intervals. Burst losses of up to 60 s (a body lying on the tag,
//   a microwave oven) are covered three times over; 22 independent losses at 2 % have odds
//   of 4 × 10⁻³⁸. A real departure is detected at most 3 minutes after the last beacon,
//   well inside the default 5-minute curfew grace.
// - k = 12 weak sightings in a row (≈ 96 s, plus the ≈ 24 s median lag, so ≈ 2 minutes — still
//   inside T with some beacons lost): catches a subject who is still heard but out of range
//   (garden, stairwell, a neighbour's flat). Measured over simulated months (README-presence.md):
//   k = 6 flapped 30 times a month with the subject's mean at the enter threshold, k = 10…12
//   with the 8 dB margin not at all; k = 15 is steadier still but would pass T once a few
//   beacons are lost, and then the rule adds nothing.

import { EventCode } from "@em-platform/protocol/core/events";
import { type EventSink, unitEvent } from "./presence-event";
import { DEFAULT_RANGE_PRESET, enterThreshold, HYSTERESIS_DB } from "./range-presets";
import { DEFAULT_MEDIAN_WINDOW, MedianRssiFilter } from "./rssi-filter";

/** Values as in the heartbeat (SPEC §9 0x2A key 1). */
export const Presence = { unknown: 0, present: 1, absent: 2 } as const;

const Input = { quorum: 0, weak: 1, silence: 2 } as const;

const STAY = -1;
/** NEXT[state][input] → next state, STAY = no change. The table above, as data. */
const NEXT: readonly (readonly number[])[] = [
  /* unknown */ [Presence.present, Presence.absent, Presence.absent],
  /* present */ [STAY, Presence.absent, Presence.absent],
  /* absent  */ [Presence.present, STAY, STAY],
];

export interface PresenceParams {
  /** dBm: smoothed RSSI at or above this is strong. */
  enterDbm: number;
  /** dB below enterDbm where weak begins. */
  marginDb: number;
  /** m */
  quorum: number;
  /** W, ms */
  windowMs: number;
  /** T, ms */
  silenceMs: number;
  /** k */
  weakRun: number;
  /** Samples in the median filter. */
  medianWindow: number;
}

export const DEFAULT_QUORUM = 3;
export const DEFAULT_WINDOW_MS = 60000;
export const DEFAULT_SILENCE_MS = 180000;
export const DEFAULT_WEAK_RUN = 12;

export function presenceParams(preset: number): PresenceParams {
  return {
    enterDbm: enterThreshold(preset),
    marginDb: HYSTERESIS_DB,
    quorum: DEFAULT_QUORUM,
    windowMs: DEFAULT_WINDOW_MS,
    silenceMs: DEFAULT_SILENCE_MS,
    weakRun: DEFAULT_WEAK_RUN,
    medianWindow: DEFAULT_MEDIAN_WINDOW,
  };
}

export function defaultPresenceParams(): PresenceParams {
  return presenceParams(DEFAULT_RANGE_PRESET);
}

export class PresenceTracker {
  private readonly sink: EventSink;
  private tagId: number;
  private p: PresenceParams;
  private filter: MedianRssiFilter;
  private current: number;
  /** What the centre last heard (persisted by the app); unknown on a fresh installation. */
  private reported: number;
  private startMs: number;
  private lastMs: number;
  private lastSmoothed: number | null;
  private lastInRangeUtc: number;
  private weak: number;
  /** Times of the last m strong sightings (ring). */
  private strong: number[];
  private strongHead: number;
  private strongCount: number;

  constructor(
    tagId: number,
    params: PresenceParams,
    sink: EventSink,
    nowMs: number,
    lastKnown: number,
  ) {
    this.sink = sink;
    this.tagId = tagId;
    this.p = params;
    this.filter = new MedianRssiFilter(params.medianWindow);
    this.current = Presence.unknown;
    this.reported = lastKnown === Presence.present || lastKnown === Presence.absent ? lastKnown : 0;
    this.startMs = nowMs;
    this.lastMs = -1;
    this.lastSmoothed = null;
    this.lastInRangeUtc = -1;
    this.weak = 0;
    this.strong = [];
    for (let i = 0; i < params.quorum; i++) this.strong.push(0);
    this.strongHead = 0;
    this.strongCount = 0;
  }

  /** Changes thresholds or timings (e.g. `set_range_preset`); the state is kept. */
  setParams(params: PresenceParams): void {
    const resize = params.quorum !== this.p.quorum || params.medianWindow !== this.p.medianWindow;
    this.p = params;
    if (resize) {
      this.filter = new MedianRssiFilter(params.medianWindow);
      this.strong = [];
      for (let i = 0; i < params.quorum; i++) this.strong.push(0);
      this.clearStrong();
    }
    this.weak = 0;
  }

  /** A different tag: back to unknown, nothing known about it. */
  pair(tagId: number, nowMs: number): void {
    this.tagId = tagId;
    this.current = Presence.unknown;
    this.reported = Presence.unknown;
    this.startMs = nowMs;
    this.lastMs = -1;
    this.lastSmoothed = null;
    this.lastInRangeUtc = -1;
    this.weak = 0;
    this.filter.reset();
    this.clearStrong();
  }

  state(): number {
    return this.current;
  }

  /** UTC s of the last in-range sighting (left_home's time, the walk-out); -1 if none yet. */
  lastSighting(): number {
    return this.lastInRangeUtc;
  }

  /** Smoothed RSSI at the last sighting, null if none since start. */
  smoothedRssi(): number | null {
    return this.lastSmoothed;
  }

  private clearStrong(): void {
    this.strongHead = 0;
    this.strongCount = 0;
  }

  /** Records a strong sighting; true when it completes m within W. */
  private pushStrong(nowMs: number): boolean {
    const m = this.p.quorum;
    this.strong[this.strongHead] = nowMs;
    this.strongHead = (this.strongHead + 1) % m;
    if (this.strongCount < m) this.strongCount++;
    if (this.strongCount < m) return false;
    // Full ring: the oldest of the last m is the one the head points at now.
    return nowMs - this.strong[this.strongHead] <= this.p.windowMs;
  }

  private apply(input: number, utcS: number): void {
    const next = NEXT[this.current][input];
    if (next === STAY || next === this.current) return;
    this.current = next;
    this.weak = 0;
    if (next === Presence.absent) this.clearStrong();
    const contradicts = this.reported !== Presence.unknown && this.reported !== next;
    this.reported = next;
    if (!contradicts) return;
    const data = this.lastSmoothed === null ? null : { 1: this.lastSmoothed };
    if (next === Presence.present) {
      this.sink(unitEvent(EventCode.returnedHome, utcS, this.tagId, data));
    } else {
      const t = this.lastInRangeUtc >= 0 ? this.lastInRangeUtc : utcS;
      this.sink(unitEvent(EventCode.leftHome, t, this.tagId, data));
    }
  }

  /** Checks the silence rule; call about once a second (also done on every sighting). */
  tick(nowMs: number, utcS: number): void {
    const since = this.lastMs >= 0 ? this.lastMs : this.startMs;
    if (nowMs - since >= this.p.silenceMs) this.apply(Input.silence, utcS);
  }

  /** One accepted beacon of the paired tag with its RSSI (dBm). Never call it for duplicates. */
  sighting(rssi: number, nowMs: number, utcS: number): void {
    this.tick(nowMs, utcS);
    if (this.lastMs >= 0 && nowMs - this.lastMs > this.p.windowMs) this.filter.reset();
    this.lastMs = nowMs;
    const s = this.filter.push(rssi);
    this.lastSmoothed = s;
    if (s >= this.p.enterDbm) {
      this.weak = 0;
      this.lastInRangeUtc = utcS;
      if (this.pushStrong(nowMs)) this.apply(Input.quorum, utcS);
    } else if (s < this.p.enterDbm - this.p.marginDb) {
      this.weak++;
      if (this.weak >= this.p.weakRun) this.apply(Input.weak, utcS);
    } else {
      this.weak = 0;
      this.lastInRangeUtc = utcS;
    }
  }
}
