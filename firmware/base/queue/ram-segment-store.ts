// A SegmentStore in RAM with real flash rules (write only into erased bytes, erase whole
// segments), erase and write counters for wear tests, and power-cut injection: after
// `cutAfterBytes(n)`, the next write stores only its first n bytes and then the "power" is gone
// until `restore()`. Used by the tests, the simulator and the self-test bundle.

import { fillBytes } from "@em-platform/protocol/core/bytes";
import type { SegmentStore } from "./segment-store";

export class RamSegmentStore implements SegmentStore {
  readonly segmentCount: number;
  readonly segmentSize: number;
  readonly data: Uint8Array;
  readonly erases: number[] = [];
  writes = 0;
  bytesWritten = 0;
  private cut = -1;
  private dead = false;

  constructor(segmentCount: number, segmentSize: number) {
    this.segmentCount = segmentCount;
    this.segmentSize = segmentSize;
    this.data = new Uint8Array(segmentCount * segmentSize);
    fillBytes(this.data, 0xff, 0, this.data.length);
    for (let i = 0; i < segmentCount; i++) this.erases.push(0);
  }

  read(segment: number, offset: number, length: number): Uint8Array {
    const base = segment * this.segmentSize;
    return this.data.subarray(base + offset, base + offset + length);
  }

  write(segment: number, offset: number, bytes: Uint8Array): boolean {
    if (this.dead) return false;
    if (offset < 0 || offset + bytes.length > this.segmentSize) return false;
    const base = segment * this.segmentSize + offset;
    for (let i = 0; i < bytes.length; i++) {
      if (this.data[base + i] !== 0xff && bytes[i] !== this.data[base + i]) return false;
    }
    let n = bytes.length;
    if (this.cut >= 0) {
      n = Math.min(n, this.cut);
      this.cut = -1;
      this.dead = true;
    }
    for (let i = 0; i < n; i++) this.data[base + i] = bytes[i];
    this.writes++;
    this.bytesWritten += n;
    return !this.dead;
  }

  erase(segment: number): void {
    if (this.dead) return;
    const base = segment * this.segmentSize;
    fillBytes(this.data, 0xff, base, base + this.segmentSize);
    this.erases[segment]++;
  }

  /** The next write stores only `n` bytes, then everything fails until restore(). */
  cutAfterBytes(n: number): void {
    this.cut = n;
  }

  /** Power back: the flash keeps what it had. */
  restore(): void {
    this.dead = false;
    this.cut = -1;
  }
}
