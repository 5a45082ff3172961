// The centre's receiver rule for uplinks (SPEC §3, "Uplink window"). An alarm can reach the
// centre by SMS while an older envelope is still waiting for MQTT (§12), so uplink counters
// may arrive out of order; a strict "above the highest" rule would reject the late MQTT
// envelope as a replay. Like DTLS (RFC 6347 §4.1.2.6) the receiver keeps the last W counters:
// one not seen yet inside the window is fresh; one seen is a duplicate (counters never repeat,
// so a MAC-valid frame with a seen counter is a redelivery, or a replay of it: harmless either
// way, events are processed once by seq); one below the window is a replay.

import { ErrorCode, fail, ok, type Result } from "./errors.js";

export const UPLINK_WINDOW = 64;

export class WindowReceiverCounter {
  private highest = -1;
  private readonly seen: Uint8Array;

  constructor(
    private readonly gap: number,
    private readonly window: number = UPLINK_WINDOW,
  ) {
    this.seen = new Uint8Array(window);
  }

  /** Classifies and, when fresh, accepts. Only call with frames whose MAC already verified. */
  check(counter: number): Result<number> {
    const h = this.highest;
    if (h >= 0 && counter > h && counter - h > this.gap)
      return fail(ErrorCode.tooFarAhead, "counter " + counter + " beyond gap " + this.gap);
    if (h >= 0 && counter <= h) {
      if (h - counter >= this.window)
        return fail(ErrorCode.replay, "counter " + counter + " below the window ending " + h);
      if (this.seen[counter % this.window] === 1)
        return fail(ErrorCode.duplicate, "frame " + counter + " seen already");
    } else {
      // Slide: the slots of h+1 … counter now stand for new counters, none seen yet.
      const from = h < 0 || counter - h >= this.window ? counter - this.window + 1 : h + 1;
      for (let c = from; c <= counter; c++)
        this.seen[((c % this.window) + this.window) % this.window] = 0;
      this.highest = counter;
    }
    this.seen[counter % this.window] = 1;
    return ok(counter);
  }

  highestSeen(): number {
    return this.highest;
  }
}
