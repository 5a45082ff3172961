// Installation range test (SPEC §10 `range_test`, event `range_test_report`): for a set time the
// unit collects the RSSI of every accepted beacon while the installer walks the tag through the
// places the subject may be (far bedroom, bathroom with the door shut, balcony), then reports
// {samples, min, median, max} and recommends the tightest preset that still covers them.
//
// Samples go into a histogram over −128…0 dBm (129 counters allocated once), so a one-hour test
// costs no more memory than a ten-second one and the median is exact for integer RSSI.
//
// Recommendation: the nearest preset whose enter threshold is at or below the 10th percentile
// of the samples — nine beacons in ten from the walked places would count as in range, the rest
// are covered by the presence tracker's hysteresis and smoothing. When even the far preset does
// not reach that percentile the recommendation is far, with `covered: false`: the unit should be
// moved (or the tag was walked out of the home).

import { EventCode } from "@em-platform/protocol/core/events";
import { type EventSink, unitEvent } from "./presence-event";
import { enterThreshold, RangePreset } from "./range-presets";

const LOWEST = -128;
const BINS = 129;

export const RANGE_TEST_MIN_S = 10;
export const RANGE_TEST_MAX_S = 3600;

export interface RangeTestReport {
  samples: number;
  /** dBm; null when there were no samples (also for median, max, p10). */
  min: number | null;
  median: number | null;
  max: number | null;
  p10: number | null;
  recommendedPreset: number;
  /** Whether the recommended preset's enter threshold reaches the 10th percentile. */
  covered: boolean;
}

export function recommendPreset(p10: number | null): number {
  if (p10 === null) return RangePreset.far;
  for (let p = RangePreset.near; p <= RangePreset.far; p++) {
    if (enterThreshold(p) <= p10) return p;
  }
  return RangePreset.far;
}

export class RangeTest {
  private readonly hist: Uint16Array;
  private readonly sink: EventSink;
  private tagId: number;
  private n: number;
  private active: boolean;
  private endMs: number;

  constructor(sink: EventSink) {
    this.hist = new Uint16Array(BINS);
    this.sink = sink;
    this.tagId = 0;
    this.n = 0;
    this.active = false;
    this.endMs = 0;
  }

  /** Starts (or restarts) a test of `durationS` seconds (clamped to 10…3,600, SPEC §10). */
  start(tagId: number, durationS: number, nowMs: number): void {
    let d = durationS;
    if (!(d >= RANGE_TEST_MIN_S)) d = RANGE_TEST_MIN_S;
    if (d > RANGE_TEST_MAX_S) d = RANGE_TEST_MAX_S;
    for (let i = 0; i < BINS; i++) this.hist[i] = 0;
    this.n = 0;
    this.tagId = tagId;
    this.active = true;
    this.endMs = nowMs + d * 1000;
  }

  isActive(): boolean {
    return this.active;
  }

  /** One accepted beacon's RSSI (dBm). Ignored when no test runs. */
  sample(rssi: number, nowMs: number): void {
    if (!this.active || nowMs >= this.endMs) return;
    let i = Math.round(rssi) - LOWEST;
    if (i < 0) i = 0;
    if (i >= BINS) i = BINS - 1;
    if (this.hist[i] < 65535) {
      this.hist[i]++;
      this.n++;
    }
  }

  /** The RSSI below which `fraction` of the samples lie (nearest rank); null if none. */
  private quantile(fraction: number): number | null {
    if (this.n === 0) return null;
    let rank = Math.ceil(fraction * this.n);
    if (rank < 1) rank = 1;
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.hist[i];
      if (seen >= rank) return i + LOWEST;
    }
    return null;
  }

  /** Statistics so far (the test keeps running). */
  report(): RangeTestReport {
    const p10 = this.quantile(0.1);
    const rec = recommendPreset(p10);
    return {
      samples: this.n,
      min: this.quantile(0),
      median: this.quantile(0.5),
      max: this.quantile(1),
      p10: p10,
      recommendedPreset: rec,
      covered: p10 !== null && enterThreshold(rec) <= p10,
    };
  }

  /** Ends the test now: emits `range_test_report` and returns the statistics. */
  finish(utcS: number): RangeTestReport {
    const r = this.report();
    this.active = false;
    this.sink(
      unitEvent(
        EventCode.rangeTestReport,
        utcS,
        this.tagId,
        r.samples === 0
          ? { 1: 0 }
          : { 1: r.samples, 2: r.min as number, 3: r.median as number, 4: r.max as number },
      ),
    );
    return r;
  }

  /** Ends the test when its time is up; returns the report then, else null. */
  tick(nowMs: number, utcS: number): RangeTestReport | null {
    if (!this.active || nowMs < this.endMs) return null;
    return this.finish(utcS);
  }
}
