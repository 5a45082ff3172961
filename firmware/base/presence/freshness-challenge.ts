// The live-relay check (SPEC §5 "Freshness challenge", §15 attack 3): every few minutes, while
// the tag is heard, the unit writes a fresh random nonce to it; the tag answers at once with a
// burst of beacons that echo it (SPEC §4). A beacon at home is then provably made after the unit
// asked, and the answer's delay is a round trip through whatever carries the radio:
//
// | the frames come from                      | the answer                                   |
// | ----------------------------------------- | -------------------------------------------- |
// | the tag, here                             | within ONE_MS (the tag's JS and a 100 ms air |
// |                                           | copy; a lost copy costs 100 ms)              |
// | a recording (record now, replay later)    | never: the recording lacks tonight's nonce   |
// | a one-way relay (beacons only)            | never: the write does not reach the tag      |
// | a two-way relay                           | late by its round trip, when that is longer  |
// |                                           | than the margin left in onTimeMs             |
//
//   state    | on                                      | next
//   ---------+-----------------------------------------+---------------------------------------
//   idle     | tick: due, tag heard and present        | writing (send started)
//   writing  | sent() from the link                    | writing (the write time is noted)
//   writing  | beacon echoing the nonce                | idle: on time → passed, else a miss
//   writing  | answerMs after the write started        | unanswered
//   unanswer.| a beacon within heardWithinMs           | idle: a miss (the tag is here and
//            |                                         | did not answer)
//   unanswer.| heardWithinMs without one               | idle: nothing (the tag left)
//
// One miss is not an alarm: the radio at home loses copies. SUSPECT_AFTER misses in a row raise
// relay_suspected, once until a challenge is answered on time again. The figures behind the
// defaults (a month at home, relays of realistic latency) are in relay-check.month.test.ts.

import type { Beacon } from "@em-platform/protocol/core/beacon";
import { encodeChallenge } from "@em-platform/protocol/core/challenge";
import { EventCode } from "@em-platform/protocol/core/events";
import { type EventSink, unitEvent } from "./presence-event";

export interface ChallengeParams {
  /** How often the tag is challenged while it is heard. */
  periodMs: number;
  /** An echo heard later than this after the write was sent is late. */
  onTimeMs: number;
  /** Past this after the write started, the challenge is not answered. */
  answerMs: number;
  /** Only a tag heard this recently is challenged. */
  heardWithinMs: number;
  /** Misses in a row that raise relay_suspected. */
  suspectAfter: number;
  /** When the link was busy (a tag command being written), the next try. */
  retryMs: number;
}

export function defaultChallengeParams(): ChallengeParams {
  return {
    periodMs: 180000,
    onTimeMs: 400,
    answerMs: 5000,
    heardWithinMs: 20000,
    suspectAfter: 4,
    retryMs: 10000,
  };
}

/**
 * Writes bytes to the paired tag; sent() when the write request goes to the radio (connected,
 * the characteristic found) — not when it is acknowledged: a relay posing as the tag could hold
 * the acknowledgement back until its echo is ready, and so hide its round trip. false: the link
 * could not start now (busy, or no verified address yet).
 */
export type ChallengeLink = (frame: Uint8Array, sent: () => void) => boolean;

export class FreshnessChallenge {
  private readonly p: ChallengeParams;
  private readonly link: ChallengeLink;
  private readonly random16: () => number;
  private readonly sink: EventSink;
  private readonly now: () => number;
  private tagId: number;
  /** The nonce awaited; 0 while idle. */
  private nonce: number;
  private startedMs: number;
  /** When the link sent the write; −1 until it did. */
  private writtenMs: number;
  private dueMs: number;
  private heardMs: number;
  /** Unanswered: a beacon before this time (monotonic ms) makes it a miss; −1 = none pending. */
  private unansweredUntil: number;
  /** Challenges in a row not answered on time. */
  misses: number;
  /** The delay of the last answer (ms), −1 when the last challenge had none. */
  lastDelayMs: number;
  private raised: boolean;
  /** Challenges answered on time, late, and not at all (diagnostics and the month test). */
  readonly counts: { onTime: number; late: number; unanswered: number; suspected: number };

  constructor(
    tagId: number,
    p: ChallengeParams,
    link: ChallengeLink,
    random16: () => number,
    sink: EventSink,
    now: () => number,
  ) {
    const nowMs = now();
    this.now = now;
    this.p = p;
    this.link = link;
    this.random16 = random16;
    this.sink = sink;
    this.tagId = tagId;
    this.nonce = 0;
    this.startedMs = 0;
    this.writtenMs = -1;
    this.dueMs = nowMs + p.periodMs;
    this.heardMs = -1;
    this.unansweredUntil = -1;
    this.misses = 0;
    this.lastDelayMs = -1;
    this.raised = false;
    this.counts = { onTime: 0, late: 0, unanswered: 0, suspected: 0 };
  }

  /** A beacon of the paired tag that the acceptor took (MAC, counter, pace). */
  beacon(b: Beacon, nowMs: number, utcS: number): void {
    this.heardMs = nowMs;
    if (this.unansweredUntil >= 0) {
      this.unansweredUntil = -1;
      this.counts.unanswered++;
      this.miss(utcS);
      return;
    }
    if (this.nonce === 0 || b.echo !== this.nonce) return;
    // An echo before the write was sent cannot come from the tag: someone guessed the nonce.
    const delay = this.writtenMs < 0 ? -1 : nowMs - this.writtenMs;
    this.lastDelayMs = delay;
    if (delay >= 0 && delay <= this.p.onTimeMs) {
      this.counts.onTime++;
      this.misses = 0;
      this.raised = false;
    } else {
      this.counts.late++;
      this.miss(utcS);
    }
    this.nonce = 0;
  }

  /** About once a second. present: the presence tracker has the tag at home. */
  tick(nowMs: number, present: boolean): void {
    if (this.nonce !== 0) {
      if (nowMs - this.startedMs < this.p.answerMs) return;
      this.nonce = 0;
      this.lastDelayMs = -1;
      this.unansweredUntil = nowMs + this.p.heardWithinMs;
    }
    if (this.unansweredUntil >= 0) {
      if (nowMs <= this.unansweredUntil) return;
      this.unansweredUntil = -1;
    }
    if (
      this.tagId === 0 ||
      nowMs < this.dueMs ||
      !present ||
      this.heardMs < 0 ||
      nowMs - this.heardMs > this.p.heardWithinMs
    )
      return;
    let n = this.random16() & 0xffff;
    if (n === 0) n = 1;
    this.nonce = n;
    this.startedMs = nowMs;
    this.writtenMs = -1;
    this.dueMs = nowMs + this.p.periodMs;
    const started = nowMs;
    const ok = this.link(encodeChallenge({ tagId: this.tagId, nonce: n }), () => {
      // A late call for an earlier challenge is not this one's.
      if (this.nonce === n && this.startedMs === started) this.writtenMs = this.now();
    });
    if (!ok) {
      this.nonce = 0;
      this.dueMs = nowMs + this.p.retryMs;
    }
  }

  /** pair_tag: a different tag starts afresh. */
  pair(tagId: number, nowMs: number): void {
    if (tagId === this.tagId) return;
    this.tagId = tagId;
    this.nonce = 0;
    this.unansweredUntil = -1;
    this.heardMs = -1;
    this.misses = 0;
    this.raised = false;
    this.dueMs = nowMs + this.p.periodMs;
  }

  private miss(utcS: number): void {
    this.misses++;
    if (this.misses < this.p.suspectAfter || this.raised) return;
    this.raised = true;
    this.counts.suspected++;
    this.sink(
      unitEvent(
        EventCode.relaySuspected,
        utcS,
        this.tagId,
        this.lastDelayMs < 0 ? { 1: this.misses } : { 1: this.misses, 2: this.lastDelayMs },
      ),
    );
  }
}
