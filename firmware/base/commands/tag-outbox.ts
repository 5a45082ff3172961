// Tag commands the centre sends through the unit (forward_tag_command, SPEC §10) wait here until
// the tag is in range, and count as delivered only when the tag's own authenticated beacons show
// the effect — never because a BLE write was started (that write may have gone to a recorder).
// A re-arm sent while the subject is at work used to fail at once ("device failure") and be
// forgotten; now it waits for the tag, and the centre hears the outcome as tag_command_result:
//
// | result       | when                                                                        |
// | ------------ | --------------------------------------------------------------------------- |
// | 1 delivered  | re-arm: an accepted beacon shows the latches of its mask clear;             |
// |              | beacon interval: two consecutive counters arrive at the new interval ±25 %  |
// | 2 expired    | the downlink's expiresAt passed first (the command is dropped)              |
// | 3 written    | identify: a write was started to the tag's verified address (its effect,    |
// |              | a blink, is not in the beacons)                                             |
// | 4 replaced   | a newer command of the same code took its place before it was delivered     |
//
// Writes go only while the tag is heard (an accepted beacon within the last WRITE_RETRY_MS), at
// most one per WRITE_RETRY_MS per command. At most one command per code is held.

import type { Beacon } from "@em-platform/protocol/core/beacon";
import { BeaconFlag } from "@em-platform/protocol/core/beacon";
import { EventCode } from "@em-platform/protocol/core/events";
import { RearmMask, TagCommandCode } from "@em-platform/protocol/core/tag-command";
import type { EventSink } from "../presence/presence-event";
import { unitEvent } from "../presence/presence-event";

export const TagCommandResult = { delivered: 1, expired: 2, written: 3, replaced: 4 } as const;

/** A write is retried this often while the command waits and the tag is heard. */
export const WRITE_RETRY_MS = 30000;

interface Held {
  counter: number;
  frame: Uint8Array;
  code: number;
  arg: number;
  expiresAt: number;
  /** Monotonic ms of the last write started; −1 before the first. */
  triedMs: number;
}

/** The latched flags a re-arm mask clears. */
function latches(mask: number): number {
  return (
    (mask & RearmMask.strap ? BeaconFlag.strapLatched : 0) |
    (mask & RearmMask.case ? BeaconFlag.caseLatched : 0)
  );
}

export class TagOutbox {
  private readonly send: (frame: Uint8Array) => boolean;
  private readonly sink: EventSink;
  private held: Held[];
  private lastCounter: number;
  private lastMs: number;

  constructor(send: (frame: Uint8Array) => boolean, sink: EventSink) {
    this.send = send;
    this.sink = sink;
    this.held = [];
    this.lastCounter = -1;
    this.lastMs = 0;
  }

  /** A verified forward_tag_command (`code` and `arg` parsed from `frame`) waits for the tag. */
  hold(
    frame: Uint8Array,
    code: number,
    arg: number,
    counter: number,
    expiresAt: number,
    utcS: number,
  ): void {
    for (let i = 0; i < this.held.length; i++)
      if (this.held[i].code === code) this.finish(i, TagCommandResult.replaced, utcS);
    this.held.push({
      counter: counter,
      frame: frame,
      code: code,
      arg: arg,
      expiresAt: expiresAt,
      triedMs: -1,
    });
  }

  /** An accepted beacon of the paired tag: effects are checked, waiting writes go out. */
  beacon(b: Beacon, nowMs: number, utcS: number): void {
    const paced =
      this.lastCounter >= 0 && b.counter === this.lastCounter + 1 ? nowMs - this.lastMs : -1;
    this.lastCounter = b.counter;
    this.lastMs = nowMs;
    for (let i = this.held.length - 1; i >= 0; i--) {
      const h = this.held[i];
      if (h.code === TagCommandCode.rearm && (b.flags & latches(h.arg)) === 0)
        this.finish(i, TagCommandResult.delivered, utcS);
      else if (
        h.code === TagCommandCode.setBeaconInterval &&
        paced >= 0 &&
        paced * 4 >= h.arg * 3000 &&
        paced * 4 <= h.arg * 5000
      )
        this.finish(i, TagCommandResult.delivered, utcS);
      else if (h.triedMs < 0 || nowMs - h.triedMs >= WRITE_RETRY_MS) {
        if (!this.send(h.frame)) continue;
        h.triedMs = nowMs;
        if (h.code === TagCommandCode.identify) this.finish(i, TagCommandResult.written, utcS);
      }
    }
  }

  /** Drops what expired. Call about once a second. */
  tick(utcS: number): void {
    for (let i = this.held.length - 1; i >= 0; i--)
      if (utcS > this.held[i].expiresAt) this.finish(i, TagCommandResult.expired, utcS);
  }

  waiting(): number {
    return this.held.length;
  }

  private finish(i: number, result: number, utcS: number): void {
    const h = this.held[i];
    this.held.splice(i, 1);
    this.sink(unitEvent(EventCode.tagCommandResult, utcS, 0, { 1: h.counter, 2: result }));
  }
}
