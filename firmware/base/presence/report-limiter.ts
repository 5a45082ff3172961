// Turns a stream of security incidents (forged or replayed frames) into at most one event per
// period: the first incident is reported at once, later ones are counted and reported together
// when the period since the last report has passed. An attacker flooding the air at the BLE
// maximum (≈ 150 frames/s) therefore costs the uplink one event per period, never a flood,
// and the count tells the centre how hard it was.

import { type EventSink, unitEvent } from "./presence-event";

/** Default period: 10 minutes, the scale of the centre's "clears within 10–15 min" reaction. */
export const DEFAULT_REPORT_PERIOD_MS = 600000;

export class ReportLimiter {
  private readonly code: number;
  private readonly source: number;
  private readonly periodMs: number;
  private readonly sink: EventSink;
  private pending: number;
  private pendingTagId: number;
  private lastReportMs: number;
  private total: number;

  /** `code`: the event code; `source`: data key 2 (FrameSource, SPEC §9). */
  constructor(code: number, source: number, periodMs: number, sink: EventSink) {
    this.code = code;
    this.source = source;
    this.periodMs = periodMs;
    this.sink = sink;
    this.pending = 0;
    this.pendingTagId = 0;
    this.lastReportMs = -1;
    this.total = 0;
  }

  private due(nowMs: number): boolean {
    return this.lastReportMs < 0 || nowMs - this.lastReportMs >= this.periodMs;
  }

  private flush(nowMs: number, utcS: number): void {
    this.sink(unitEvent(this.code, utcS, this.pendingTagId, { 1: this.pending, 2: this.source }));
    this.pending = 0;
    this.lastReportMs = nowMs;
  }

  /** One more incident; reported now if no report went out within the period. */
  record(nowMs: number, utcS: number, tagId: number): void {
    this.pending++;
    this.total++;
    this.pendingTagId = tagId;
    if (this.due(nowMs)) this.flush(nowMs, utcS);
  }

  /** Reports what was counted once the period is over. Call at least once a second or so. */
  tick(nowMs: number, utcS: number): void {
    if (this.pending > 0 && this.due(nowMs)) this.flush(nowMs, utcS);
  }

  /** Incidents counted but not yet reported. */
  unreported(): number {
    return this.pending;
  }

  /** All incidents since construction. */
  count(): number {
    return this.total;
  }
}
