// Flash storage with Espruino Storage semantics (firmware/hal/hal.ts), instrumented: it counts
// writes, programmed bytes, erases, garbage and compactions, refuses (and counts) writes into
// bytes that are not erased, and can cut the power after a given number of flash operations to
// prove that records survive. Survives a simulated reboot: keep the object, build a new board.

import { copyBytes, fillBytes, sliceBytes } from "@em-platform/protocol/core/bytes";
import type { Storage } from "../hal/hal";

/** Espruino file header: size word + 28-byte name; data is padded to 4 bytes. */
export const FILE_OVERHEAD = 32;
export const MAX_NAME_LENGTH = 28;

function footprint(size: number): number {
  return FILE_OVERHEAD + ((size + 3) & ~3);
}

export class VirtualFlash implements Storage {
  readonly capacity: number;
  /** create/write/writeAt calls that reached flash. */
  writes = 0;
  /** Bytes programmed (headers excluded). */
  bytesWritten = 0;
  /** Files erased or replaced. */
  erases = 0;
  compactions = 0;
  /** Writes refused because a target byte was already programmed (a firmware bug on a device). */
  violations = 0;
  /** Per-name count of create/write/writeAt calls. */
  readonly writesByName: { [name: string]: number } = {};
  private files: { [key: string]: Uint8Array } = {};
  private used = 0;
  private opsLeft = -1;

  /** capacity: bytes of the Storage area (Puck.js: ~40 KB). */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  // ------------------------------------------------------------------ power cuts

  /** After n more elementary operations (erase, header, each byte) nothing reaches flash. */
  cutPowerAfter(n: number): void {
    this.opsLeft = n;
  }

  restorePower(): void {
    this.opsLeft = -1;
  }

  /** Whether the power is (still) on. */
  powered(): boolean {
    return this.opsLeft !== 0;
  }

  private op(): boolean {
    if (this.opsLeft < 0) return true;
    if (this.opsLeft === 0) return false;
    this.opsLeft--;
    return true;
  }

  // ------------------------------------------------------------------ Storage

  private check(name: string): string {
    if (name.length < 1 || name.length > MAX_NAME_LENGTH)
      throw new Error("flash: bad name '" + name + "'");
    return "f:" + name;
  }

  read(name: string): Uint8Array | null {
    const f = this.files[this.check(name)];
    return f === undefined ? null : copyBytes(f);
  }

  write(name: string, data: Uint8Array): boolean {
    return this.create(name, data.length, data);
  }

  create(name: string, size: number, head: Uint8Array): boolean {
    const key = this.check(name);
    if (head.length < 1 || head.length > size) throw new Error("flash: bad create of " + name);
    if (!this.powered()) return false;
    this.countWrite(name);
    const old = this.files[key];
    if (old !== undefined) {
      // Espruino erases the old copy first (jsfCreateFile), then writes the new one.
      if (!this.op()) return false;
      delete this.files[key];
      this.erases++;
    }
    if (this.capacity - this.used < footprint(size)) this.compact();
    if (this.capacity - this.used < footprint(size)) return false;
    if (!this.op()) return false;
    const f = new Uint8Array(size);
    fillBytes(f, 0xff, 0, f.length);
    this.files[key] = f;
    this.used += footprint(size);
    return this.program(f, 0, head);
  }

  writeAt(name: string, offset: number, data: Uint8Array): boolean {
    const key = this.check(name);
    if (offset < 1) throw new Error("flash: writeAt offset must be >= 1");
    const f = this.files[key];
    if (f === undefined || offset + data.length > f.length) return false;
    for (let i = 0; i < data.length; i++)
      if (f[offset + i] !== 0xff) {
        this.violations++;
        return false;
      }
    if (!this.powered()) return false;
    this.countWrite(name);
    return this.program(f, offset, data);
  }

  erase(name: string): void {
    const key = this.check(name);
    if (this.files[key] === undefined || !this.op()) return;
    delete this.files[key];
    this.erases++;
  }

  free(): number {
    return this.capacity - this.used;
  }

  // ------------------------------------------------------------------ internals

  private countWrite(name: string): void {
    this.writes++;
    this.writesByName[name] = (this.writesByName[name] || 0) + 1;
  }

  private program(f: Uint8Array, offset: number, data: Uint8Array): boolean {
    for (let i = 0; i < data.length; i++) {
      if (!this.op()) return false;
      f[offset + i] = data[i];
      this.bytesWritten++;
    }
    return true;
  }

  /** Garbage is reclaimed: only live files keep their footprint. */
  private compact(): void {
    let live = 0;
    const keys = Object.keys(this.files);
    for (let i = 0; i < keys.length; i++) live += footprint(this.files[keys[i]].length);
    this.used = live;
    this.compactions++;
  }

  /** Bytes held by erased or replaced files, waiting for a compaction. */
  garbage(): number {
    let live = 0;
    const keys = Object.keys(this.files);
    for (let i = 0; i < keys.length; i++) live += footprint(this.files[keys[i]].length);
    return this.used - live;
  }
}

/**
 * require("Flash") of an nRF52 (EspruinoFlash) over `pages` raw NOR pages from `base`, all of
 * them reported free: whole words at word addresses only, programming ANDs bits (1 → 0 only),
 * only a page erase sets them again. Counts writes and erases per page (wear), and can cut the
 * power after n more word writes or erases (`cutPowerAfter`): the word being written then keeps
 * only its low half-byte of each byte programmed (a torn write), and nothing more reaches flash.
 */
export class VirtualNor implements EspruinoFlash {
  readonly mem: Uint8Array;
  readonly erases: number[] = [];
  writes = 0;
  /** Program operations on each 32-bit word since its page's last erase (nRF52: n_WRITE). */
  readonly wordWrites: number[];
  private opsLeft = -1;

  constructor(
    readonly base: number,
    readonly pageSize: number,
    readonly pages: number,
  ) {
    this.mem = new Uint8Array(pageSize * pages);
    fillBytes(this.mem, 0xff, 0, this.mem.length);
    // A loop, not Array.prototype.fill: the self-test carries this class to ES5 engines (Duktape).
    this.wordWrites = [];
    for (let i = 0; i < this.mem.length / 4; i++) this.wordWrites.push(0);
    for (let i = 0; i < pages; i++) this.erases.push(0);
  }

  cutPowerAfter(n: number): void {
    this.opsLeft = n;
  }

  restorePower(): void {
    this.opsLeft = -1;
  }

  private op(): boolean {
    if (this.opsLeft < 0) return true;
    if (this.opsLeft === 0) return false;
    this.opsLeft--;
    return true;
  }

  private offset(addr: number, n: number): number {
    const o = addr - this.base;
    if (o < 0 || o + n > this.mem.length) throw new Error("VirtualNor: outside the free area");
    return o;
  }

  getFree(): { addr: number; length: number }[] {
    return [{ addr: this.base, length: this.pageSize * this.pages }];
  }

  getPage(addr: number): { addr: number; length: number } | undefined {
    const o = addr - this.base;
    if (o < 0 || o >= this.mem.length) return undefined;
    return { addr: addr - (o % this.pageSize), length: this.pageSize };
  }

  erasePage(addr: number): void {
    const o = this.offset(addr, 1);
    const start = o - (o % this.pageSize);
    if (!this.op()) return;
    fillBytes(this.mem, 0xff, start, start + this.pageSize);
    for (let w = start / 4; w < (start + this.pageSize) / 4; w++) this.wordWrites[w] = 0;
    this.erases[start / this.pageSize]++;
  }

  write(data: Uint8Array, addr: number): void {
    if (addr % 4 !== 0 || data.length % 4 !== 0)
      throw new Error("VirtualNor: whole words at word addresses only");
    const o = this.offset(addr, data.length);
    this.writes++;
    for (let w = 0; w < data.length; w += 4) {
      const alive = this.op();
      this.wordWrites[(o + w) / 4]++;
      for (let i = w; i < w + 4; i++) this.mem[o + i] &= alive ? data[i] : data[i] | 0xf0; // torn: half the bits
      if (!alive) return;
    }
  }

  read(length: number, addr: number): Uint8Array {
    const o = this.offset(addr, length);
    return sliceBytes(this.mem, o, o + length);
  }
}
