// Fault injection for one virtual modem, all decided by a seeded PRNG so a failing run replays
// exactly. Rates are probabilities per byte / per reply; the "mean" options schedule random
// events (exponential gaps) on the modem's clock. Counters say what was actually injected.

import { SeededRandom } from "./seeded-random";

export interface ModemFaultOptions {
  seed?: number;
  /** Each byte the modem sends to the unit is lost with this probability. */
  dropByteRate?: number;
  /** Before a reply, a line of random bytes is sent with this probability. */
  garbageLineRate?: number;
  /** A reply is late by slowReplyMs with this probability. */
  slowReplyRate?: number;
  slowReplyMs?: number;
  /** Mean time between sudden socket closes ("CLOSED" with no request); 0 = never. */
  socketDropMeanMs?: number;
  /** Mean time between spontaneous reboots ("RDY" …, state lost); 0 = never. */
  rebootMeanMs?: number;
}

export interface FaultCounts {
  droppedBytes: number;
  garbageLines: number;
  slowReplies: number;
  errorReplies: number;
  silenced: number;
  socketDrops: number;
  reboots: number;
}

export class ModemFaults {
  dropByteRate: number;
  garbageLineRate: number;
  slowReplyRate: number;
  slowReplyMs: number;
  socketDropMeanMs: number;
  rebootMeanMs: number;
  readonly counts: FaultCounts = {
    droppedBytes: 0,
    garbageLines: 0,
    slowReplies: 0,
    errorReplies: 0,
    silenced: 0,
    socketDrops: 0,
    reboots: 0,
  };
  private readonly rng: SeededRandom;
  private errorsLeft = 0;
  private silentLeft = 0;

  constructor(o: ModemFaultOptions) {
    this.rng = new SeededRandom(o.seed ?? 1);
    this.dropByteRate = o.dropByteRate ?? 0;
    this.garbageLineRate = o.garbageLineRate ?? 0;
    this.slowReplyRate = o.slowReplyRate ?? 0;
    this.slowReplyMs = o.slowReplyMs ?? 5000;
    this.socketDropMeanMs = o.socketDropMeanMs ?? 0;
    this.rebootMeanMs = o.rebootMeanMs ?? 0;
  }

  /** The next n commands get "ERROR" and change nothing. */
  errorNext(n: number): void {
    this.errorsLeft = n;
  }

  /** The next n commands get no reply at all (a wedged modem; the driver must time out). */
  silenceNext(n: number): void {
    this.silentLeft = n;
  }

  /** @internal Called once per command line. */
  takeSilence(): boolean {
    if (this.silentLeft <= 0) return false;
    this.silentLeft--;
    this.counts.silenced++;
    return true;
  }

  /** @internal Called once per command line that was not silenced. */
  takeError(): boolean {
    if (this.errorsLeft <= 0) return false;
    this.errorsLeft--;
    this.counts.errorReplies++;
    return true;
  }

  /** @internal Extra delay for one reply. */
  extraDelay(): number {
    if (!this.rng.chance(this.slowReplyRate)) return 0;
    this.counts.slowReplies++;
    return this.slowReplyMs;
  }

  /** @internal A garbage line to send before a reply, or null. */
  garbageLine(): Uint8Array | null {
    if (!this.rng.chance(this.garbageLineRate)) return null;
    this.counts.garbageLines++;
    const n = this.rng.int(3, 16);
    const b = new Uint8Array(n + 4);
    b[0] = 13;
    b[1] = 10;
    for (let i = 0; i < n; i++) b[2 + i] = this.rng.int(1, 255);
    b[n + 2] = 13;
    b[n + 3] = 10;
    return b;
  }

  /** @internal The bytes that survive the line. */
  filter(bytes: Uint8Array): Uint8Array {
    if (this.dropByteRate <= 0) return bytes;
    const keep: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      if (this.rng.chance(this.dropByteRate)) this.counts.droppedBytes++;
      else keep.push(bytes[i]);
    }
    return keep.length === bytes.length ? bytes : Uint8Array.from(keep);
  }

  /** @internal Time to the next random event with this mean (exponential); -1 = never. */
  nextGap(meanMs: number): number {
    if (meanMs <= 0) return -1;
    return Math.max(1, Math.round(-Math.log(1 - this.rng.next()) * meanMs));
  }
}
