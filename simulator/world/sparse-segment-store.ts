// The home unit's queue flash for the simulator: the same rules as RamSegmentStore (write only
// into erased bytes, erase whole segments), but a segment takes memory only once something is
// written to it, and gives it back when erased. A unit's queue is 64 × ~4 KB of flash of which a
// unit with a working uplink uses one or two segments: allocated up front, the flash was half of
// a simulated home's memory.

import type { SegmentStore } from "../../firmware/base/queue/segment-store";

export class SparseSegmentStore implements SegmentStore {
  readonly segmentCount: number;
  readonly segmentSize: number;
  private readonly segments: (Uint8Array | null)[] = [];
  /** What an erased segment reads as; never written. */
  private readonly erased: Uint8Array;

  constructor(segmentCount: number, segmentSize: number) {
    this.segmentCount = segmentCount;
    this.segmentSize = segmentSize;
    this.erased = new Uint8Array(segmentSize).fill(0xff);
    for (let i = 0; i < segmentCount; i++) this.segments.push(null);
  }

  /** Segments holding memory now. */
  allocated(): number {
    return this.segments.filter((x) => x !== null).length;
  }

  read(segment: number, offset: number, length: number): Uint8Array {
    const s = this.segments[segment] ?? this.erased;
    return s.subarray(offset, offset + length);
  }

  write(segment: number, offset: number, bytes: Uint8Array): boolean {
    if (offset < 0 || offset + bytes.length > this.segmentSize) return false;
    let s = this.segments[segment];
    if (s !== null)
      for (let i = 0; i < bytes.length; i++)
        if (s[offset + i] !== 0xff && bytes[i] !== s[offset + i]) return false;
    if (s === null) {
      s = new Uint8Array(this.segmentSize).fill(0xff);
      this.segments[segment] = s;
    }
    s.set(bytes, offset);
    return true;
  }

  erase(segment: number): void {
    this.segments[segment] = null;
  }
}
