// Frame counters (SPEC §3). The sender persists only a reservation every K frames (OSCORE,
// RFC 8613 appendix B.1.1) so a tag does not write flash on every beacon; the receiver
// classifies every authenticated frame as fresh, duplicate, replay or too far ahead.

import { copyBytes } from "./bytes.js";
import {
  type CounterClass,
  type CounterStore,
  classifyCounter,
  counterSender,
} from "./counter-rules.js";
import { ErrorCode, fail, ok, type Result } from "./errors.js";

export {
  type CounterClass,
  type CounterStore,
  classifyCounter,
  counterSender,
} from "./counter-rules.js";

export class SenderCounter {
  private readonly sender: () => number;

  constructor(store: CounterStore, k: number) {
    this.sender = counterSender(store, k);
  }

  /** The counter for the next frame, or counter_exhausted once all 2^32 values are used. */
  take(): Result<number> {
    const c = this.sender();
    return c < 0 ? fail(ErrorCode.counterExhausted, "all counters used") : ok(c);
  }
}

export interface ReceiverState {
  highest: number;
  mac: Uint8Array | null;
}

export class ReceiverCounter {
  private highest: number;
  private mac: Uint8Array | null;
  private readonly gap: number;

  constructor(gap: number, state?: ReceiverState) {
    this.gap = gap;
    this.highest = state ? state.highest : -1;
    this.mac = state ? state.mac : null;
  }

  classify(counter: number, mac: Uint8Array): CounterClass {
    return classifyCounter(this.highest, this.mac, this.gap, counter, mac);
  }

  /** Classifies and, when fresh, accepts. Only call with frames whose MAC already verified. */
  check(counter: number, mac: Uint8Array): Result<number> {
    const c = this.classify(counter, mac);
    if (c === "fresh") {
      this.highest = counter;
      this.mac = copyBytes(mac);
      return ok(counter);
    }
    if (c === "duplicate") return fail(ErrorCode.duplicate, "frame " + counter + " seen already");
    if (c === "replay")
      return fail(ErrorCode.replay, "counter " + counter + " not above " + this.highest);
    return fail(ErrorCode.tooFarAhead, "counter " + counter + " beyond gap " + this.gap);
  }

  state(): ReceiverState {
    return { highest: this.highest, mac: this.mac };
  }
}
