// The live-relay check (SPEC §5 "Freshness challenge", §15 attack 3): every few minutes, while
// the tag is heard at home, the unit writes a fresh random nonce to it; the tag answers at once
// with a burst of beacons that echo it (SPEC §4), each frame numbered in the echo's low bits. A
// beacon at home is then provably made after the unit asked, and how soon is a round trip
// through whatever carries the radio:
//
// | the frames come from                      | the answer                                    |
// | ----------------------------------------- | --------------------------------------------- |
// | the tag, here                             | on time: the tag's JS, the scan callback      |
// | a recording (record now, replay later)    | none: the recording lacks tonight's nonce     |
// | a one-way relay (beacons only)            | none: the write does not reach the tag        |
// | a two-way relay                           | late by its round trip, once that exceeds the |
// |                                           | margin ON_TIME_MS leaves                      |
//
// The delay is measured per frame of the burst: frame k leaves the tag k × ANSWER_SPACING_MS
// after the write, so (heard − sent − k × spacing) is the same round trip for each, and the
// smallest over the frames heard is the estimate. A lost radio copy (the tag repeats each frame
// every 100 ms) delays only its own frame, so a lossy room costs little; a relay delays them all.
//
//   state      | on                                    | next
//   -----------+---------------------------------------+-------------------------------------
//   idle       | tick: due, tag heard and present      | asking (the write started)
//   asking     | sent() from the link                  | asking (the write time is noted)
//   asking     | a beacon echoing the nonce            | asking (the frame's delay is kept)
//   asking     | ANSWER_MS after the start, an echo    | idle: on time or late (a miss)
//   asking     | ANSWER_MS after the start, no echo    | unanswered
//   unanswered | a beacon within HEARD_WITHIN_MS       | idle: a miss (the tag is here)
//   unanswered | HEARD_WITHIN_MS without one           | idle: nothing (the tag left)
//
// One miss is not an alarm: a radio at home loses whole bursts now and then. SUSPECT_AFTER misses
// in a row raise relay_suspected, once until a challenge is answered on time again. The figures
// behind the defaults (months at home, relays of realistic latency) are printed by
// relay-check.attack.test.ts and quoted in SPEC §15.

import type { Beacon } from "@em-platform/protocol/core/beacon";
import {
  ANSWER_FRAMES,
  ANSWER_SPACING_MS,
  ECHO_COUNT_MASK,
  encodeChallenge,
} from "@em-platform/protocol/core/challenge";
import { EventCode } from "@em-platform/protocol/core/events";
import type { Clock, Crypto } from "../../hal/hal";
import { type EventSink, unitEvent } from "./presence-event";

/** How often the tag is challenged while it is heard at home. */
export const CHALLENGE_PERIOD_MS = 180000;
/** A frame's delay above this (after its place in the burst) is late. */
export const ON_TIME_MS = 300;
/** When the answer is judged, after the write started. */
export const ANSWER_MS = 5000;
/** Only a tag heard this recently is challenged; an unanswered challenge waits this long for a
 * beacon to tell "here and silent" (a miss) from "gone". */
export const HEARD_WITHIN_MS = 20000;
/** Misses in a row that raise relay_suspected. */
export const SUSPECT_AFTER = 4;
/** When the link was busy (a tag command being written), the next try. */
export const RETRY_MS = 10000;

/** Writes to the paired tag (the unit's TagLink). sent() when the write request goes to the
 * radio (connected, the characteristic found) — not when it is acknowledged: a relay posing as
 * the tag could hold the acknowledgement back until its echo is ready, and so hide its round
 * trip. false: the link could not start now (busy, or no verified address yet). */
export interface ChallengeLink {
  send(frame: Uint8Array, sent: () => void): boolean;
}

const NO_ANSWER = -1;

// RAM: one instance per unit on a Jolt.js-class board, so no parameter object, no closures kept
// (the board's link, crypto and clock objects are held as they are) and no field that another
// can stand for.
export class FreshnessChallenge {
  // The board's parts, held as they are; HomePresence builds a new check from them on pair_tag.
  readonly tagId: number;
  readonly link: ChallengeLink;
  readonly crypto: Pick<Crypto, "randomBytes">;
  readonly clock: Pick<Clock, "monotonic">;
  readonly sink: EventSink;
  /** The nonce asked about; 0 while not asking. */
  private nonce: number;
  /** When the link sent the write; −1 until it did. */
  private writtenMs: number;
  /** The next challenge; while asking, this one's start + CHALLENGE_PERIOD_MS. */
  private dueMs: number;
  private heardMs: number;
  /** Unanswered: a beacon heard after the verdict and by this time (monotonic ms) makes it a
   * miss; −1 = none pending. */
  private unansweredUntil: number;
  /** The smallest delay of an echoing frame of the last challenge (ms); NO_ANSWER before one. */
  delayMs: number;
  /** Challenges in a row not answered on time; relay_suspected is raised as it reaches
   * SUSPECT_AFTER, so once per episode. */
  misses: number;
  /** Challenges answered on time, late, and not at all (diagnostics and the tests). */
  readonly counts: { onTime: number; late: number; unanswered: number };

  constructor(
    tagId: number,
    link: ChallengeLink,
    crypto: Pick<Crypto, "randomBytes">,
    clock: Pick<Clock, "monotonic">,
    sink: EventSink,
  ) {
    this.tagId = tagId;
    this.link = link;
    this.crypto = crypto;
    this.clock = clock;
    this.sink = sink;
    this.nonce = 0;
    this.writtenMs = -1;
    this.dueMs = clock.monotonic() + CHALLENGE_PERIOD_MS;
    this.heardMs = -1;
    this.unansweredUntil = -1;
    this.delayMs = NO_ANSWER;
    this.misses = 0;
    this.counts = { onTime: 0, late: 0, unanswered: 0 };
  }

  /** A beacon of the paired tag that the acceptor took (MAC, counter, pace). */
  beacon(b: Beacon, nowMs: number): void {
    this.heardMs = nowMs;
    const echo = b.echo === undefined ? 0 : b.echo;
    if (this.nonce === 0 || (echo & ~ECHO_COUNT_MASK) !== this.nonce) return;
    const k = echo & ECHO_COUNT_MASK;
    // Frames past the burst go on the tag's own schedule: they place nothing in time. An echo
    // before the write went out was guessed, not answered: it counts as no answer.
    if (k >= ANSWER_FRAMES || this.writtenMs < 0) return;
    const d = Math.max(0, nowMs - this.writtenMs - k * ANSWER_SPACING_MS);
    if (this.delayMs === NO_ANSWER || d < this.delayMs) this.delayMs = d;
  }

  /** About once a second: judges, then asks when due. present: the tracker has the tag home. */
  tick(nowMs: number, utcS: number, present: boolean): void {
    let missed = false;
    if (this.nonce !== 0) {
      if (nowMs - (this.dueMs - CHALLENGE_PERIOD_MS) < ANSWER_MS) return;
      this.nonce = 0;
      if (this.delayMs === NO_ANSWER) this.unansweredUntil = nowMs + HEARD_WITHIN_MS;
      else if (this.delayMs <= ON_TIME_MS) {
        this.counts.onTime++;
        this.misses = 0;
      } else {
        this.counts.late++;
        missed = true;
      }
    }
    if (this.unansweredUntil >= 0) {
      if (this.heardMs > this.unansweredUntil - HEARD_WITHIN_MS) {
        this.counts.unanswered++;
        missed = true;
        this.unansweredUntil = -1;
      } else if (nowMs > this.unansweredUntil) this.unansweredUntil = -1;
    }
    if (missed && ++this.misses === SUSPECT_AFTER)
      this.sink(
        unitEvent(
          EventCode.relaySuspected,
          utcS,
          this.tagId,
          this.delayMs === NO_ANSWER ? { 1: SUSPECT_AFTER } : { 1: SUSPECT_AFTER, 2: this.delayMs },
        ),
      );
    if (
      this.unansweredUntil >= 0 ||
      this.tagId === 0 ||
      nowMs < this.dueMs ||
      !present ||
      this.heardMs < 0 ||
      nowMs - this.heardMs > HEARD_WITHIN_MS
    )
      return;
    const r = this.crypto.randomBytes(2);
    const n = ((r[0] << 8) | r[1]) & ~ECHO_COUNT_MASK;
    const asked = n === 0 ? ECHO_COUNT_MASK + 1 : n;
    this.nonce = asked;
    this.writtenMs = -1;
    this.delayMs = NO_ANSWER;
    this.dueMs = nowMs + CHALLENGE_PERIOD_MS;
    const started = this.link.send(encodeChallenge({ tagId: this.tagId, nonce: asked }), () => {
      // A late call for an earlier challenge is not this one's.
      if (this.nonce === asked) this.writtenMs = this.clock.monotonic();
    });
    if (!started) {
      this.nonce = 0;
      this.dueMs = nowMs + RETRY_MS;
    }
  }
}
