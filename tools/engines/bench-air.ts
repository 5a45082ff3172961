// The radio between the virtual bench's two interpreters, which a Linux build of Espruino lacks:
// the tag's frames carried to the home unit's scan callback, and the unit's GATT writes carried
// to the tag's command characteristic.
//
//   TagBench ── A (frame on air) ──▶ BenchAir ── every interval: B (one copy heard) ──▶ HomeUnitBench
//   HomeUnitBench ── C / W / D (connect, write, disconnect) ──▶ BenchAir ── W ──▶ TagBench
//
// Advertising as a radio does it: a frame stays on air, repeated at the interval the tag asked
// for, until the tag puts up the next one. The bench sets where the subject is — the signal
// strength the unit hears, or out of range (no copy heard, no connection). A write is
// acknowledged once handed to the tag's interpreter; what the tag made of it shows in its
// beacons, as on a real bench.

import { type BenchGatt, defaultAddress, type HomeUnitBench } from "./home-unit-bench";
import type { Advert, TagBench } from "./tag-bench";

/** A GATT write the unit made to the tag: host time, bytes. */
export interface AirWrite {
  atMs: number;
  bytes: Uint8Array;
}

export class BenchAir implements BenchGatt {
  /** What the unit's scanner reports for each copy, dBm. */
  rssi = -60;
  /** Out of range: the unit hears nothing and cannot connect. */
  inRange = true;
  /** Every write the unit made to the tag. */
  readonly writes: AirWrite[] = [];
  private current: Advert | null = null;
  private repeat: ReturnType<typeof setInterval> | null = null;
  private connected = false;

  constructor(
    readonly tag: TagBench,
    readonly unit: HomeUnitBench,
  ) {
    tag.onAdvert = (a) => {
      this.current = a;
      if (this.repeat !== null) clearInterval(this.repeat);
      this.repeat = setInterval(() => this.copy(), a.intervalMs);
      this.copy();
    };
    unit.gatt = this;
  }

  /** The BLE address the tag's frames come from (as the unit's scan reports it, type dropped). */
  get address(): string {
    return this.current === null ? "" : defaultAddress(this.current.payload).split(" ")[0];
  }

  connect(address: string): Promise<boolean> {
    this.connected = this.inRange && address === this.address;
    return Promise.resolve(this.connected);
  }

  write(bytes: Uint8Array): Promise<boolean> {
    if (!this.connected || !this.inRange) return Promise.resolve(false);
    this.writes.push({ atMs: Date.now(), bytes: bytes });
    this.tag.gattWrite(bytes);
    return Promise.resolve(true);
  }

  disconnect(): void {
    this.connected = false;
  }

  stop(): void {
    if (this.repeat !== null) clearInterval(this.repeat);
    this.repeat = null;
    this.tag.onAdvert = null;
    this.unit.gatt = null;
  }

  /** One copy heard by the unit, if it is running and the tag in range. */
  private copy(): void {
    const a = this.current;
    if (a === null || !this.inRange || !this.unit.listening) return;
    this.unit.beacon(a.payload, this.rssi);
  }
}
