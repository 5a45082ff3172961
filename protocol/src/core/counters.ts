// Frame counters (SPEC §3). The sender persists only a reservation every K frames (OSCORE,
// RFC 8613 appendix B.1.1) so a tag does not write flash on every beacon; the receiver
// classifies every authenticated frame as fresh, duplicate, replay or too far ahead.

import { copyBytes, equalBytes } from "./bytes";
import { ErrorCode, fail, ok, type Result } from "./errors";

const MAX_COUNTER = 0xffffffff;

/** Where a sender keeps its counter reservation. `load` returns null when nothing was stored. */
export interface CounterStore {
  load(): number | null;
  save(value: number): void;
}

export class SenderCounter {
  private next: number;
  private reserved: number;
  private readonly store: CounterStore;
  private readonly k: number;

  constructor(store: CounterStore, k: number) {
    if (!(k >= 1)) throw new Error("counter: K must be >= 1");
    this.store = store;
    this.k = k;
    const stored = store.load();
    this.next = stored === null ? 0 : stored;
    this.reserved = this.next;
    this.reserve();
  }

  private reserve(): void {
    let r = this.next + this.k;
    if (r > MAX_COUNTER + 1) r = MAX_COUNTER + 1;
    this.store.save(r);
    this.reserved = r;
  }

  /** The counter for the next frame, or counter_exhausted once all 2^32 values are used. */
  take(): Result<number> {
    if (this.next > MAX_COUNTER) return fail(ErrorCode.counterExhausted, "all counters used");
    if (this.next >= this.reserved) this.reserve();
    const c = this.next;
    this.next = c + 1;
    return ok(c);
  }

  /** The counter the next `take` would return (for status reports). */
  peek(): number {
    return this.next;
  }
}

export type CounterClass = "fresh" | "duplicate" | "replay" | "too_far_ahead";

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
    if (this.highest < 0) return "fresh";
    if (counter === this.highest) {
      return this.mac !== null && equalBytes(mac, this.mac) ? "duplicate" : "replay";
    }
    if (counter < this.highest) return "replay";
    if (counter - this.highest > this.gap) return "too_far_ahead";
    return "fresh";
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
