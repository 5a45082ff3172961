// The flash the event queue lives in: a ring of equal, pre-sized segments with the semantics of
// Espruino's Storage (firmware/README.md, the HAL): a segment is erased as a whole (all bytes 0xFF), and a write
// may only turn erased bytes into data — rewriting a written byte is refused. On Espruino each
// segment is one pre-sized Storage file ("emq0" … "emq15"); in tests and the simulator it is RAM.

export interface SegmentStore {
  readonly segmentCount: number;
  readonly segmentSize: number;
  /** A view of `length` bytes at `offset` (may be memory-mapped: do not keep it across writes). */
  read(segment: number, offset: number, length: number): Uint8Array;
  /** Writes into erased bytes only; returns false (writing nothing) if any target byte is not 0xFF. */
  write(segment: number, offset: number, bytes: Uint8Array): boolean;
  /** Erases the whole segment back to 0xFF. The costly operation; counted by wear tests. */
  erase(segment: number): void;
}
