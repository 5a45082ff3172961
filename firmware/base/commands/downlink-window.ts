// Downlink receive window (SPEC §3, "Downlink window"). A command can reach the unit by SMS while
// an older one still waits for MQTT (the centre sends a command both ways when the unit looks
// offline, §8), so downlink counters arrive out of order; the strict "above the highest" rule
// dropped the late MQTT command as a replay. As for uplinks, a counter not seen yet inside the
// last DOWNLINK_WINDOW is fresh; a seen one is a redelivery; one below the window is a replay.
// The window is a 16-bit mask, persisted with the highest counter before a command takes effect,
// so a reboot never reopens it.

import type { ReceiverState } from "@em-platform/protocol/core/counters";
import { ReceiverCounter } from "@em-platform/protocol/core/counters";
import { ErrorCode, fail, ok, type Result } from "@em-platform/protocol/core/errors";

export const DOWNLINK_WINDOW = 16;

export interface DownlinkWindowState extends ReceiverState {
  /** Bit i set: counter highest − i was accepted (bit 0 is the highest itself). */
  seen: number;
}

export class DownlinkWindow {
  private readonly strict: ReceiverCounter;
  private seen: number;

  constructor(gap: number, state: DownlinkWindowState | null) {
    this.strict = new ReceiverCounter(gap, state === null ? undefined : state);
    this.seen = state === null ? 0 : state.seen & 0xffff;
  }

  /** Classifies and, when fresh, accepts. Only call with frames whose MAC already verified. */
  check(counter: number, mac: Uint8Array): Result<number> {
    const h = this.strict.state().highest;
    if (h >= 0 && counter < h) {
      const d = h - counter;
      if (d >= DOWNLINK_WINDOW)
        return fail(ErrorCode.replay, "counter " + counter + " below the window ending " + h);
      if ((this.seen >> d) & 1) return fail(ErrorCode.duplicate, "frame " + counter + " seen");
      this.seen |= 1 << d;
      return ok(counter);
    }
    const r = this.strict.check(counter, mac);
    if (r.ok) {
      const d = h < 0 ? DOWNLINK_WINDOW : counter - h;
      this.seen = d >= DOWNLINK_WINDOW ? 1 : ((this.seen << d) | 1) & 0xffff;
    }
    return r;
  }

  state(): DownlinkWindowState {
    const s = this.strict.state();
    return { highest: s.highest, mac: s.mac, seen: this.seen };
  }
}
