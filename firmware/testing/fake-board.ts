// Virtual hardware behind every HAL interface, driven by a VirtualClock. One FakeBoard is one
// boot of one device: reboot() powers it off (every timer, watch and the watchdog of that boot
// die) and returns the next boot, which keeps the flash, the physical inputs, the battery and
// the record of everything advertised. Behaviours can be overridden per test (zwave-js style):
// make the radio fail, hook every advertisement, bite on a missed watchdog kick.

import { copyBytes } from "@em-platform/protocol/core/bytes";
import { sha256 } from "@em-platform/protocol/core/sha256";
import type {
  AnalogInput,
  BleAdvert,
  BleAdvertiser,
  BleCommandPort,
  BleScanner,
  Clock,
  Crypto,
  DigitalInput,
  Indicator,
  IndicatorPattern,
  Uart,
  Watchdog,
} from "../hal/hal";
import type { TimerOwner, VirtualClock } from "./virtual-clock";
import { type VirtualFlash, VirtualNor } from "./virtual-flash";

/** The HAL clock of one boot: monotonic time restarts at 0, timers die with the boot. */
export class FakeClock implements Clock {
  readonly world: VirtualClock;
  readonly bootAt: number;
  private wallOffset = 0;
  /** This boot's timers stop with it (world/virtual-clock.ts TimerOwner). */
  private readonly owner: TimerOwner = { off: false };

  constructor(world: VirtualClock) {
    this.world = world;
    this.bootAt = world.time;
  }

  now(): number {
    return this.world.epochMs + this.world.time + this.wallOffset;
  }

  setNow(ms: number): void {
    this.wallOffset = ms - this.world.epochMs - this.world.time;
  }

  monotonic(): number {
    return this.world.time - this.bootAt;
  }

  setTimeout(fn: () => void, ms: number): number {
    return this.world.schedule(fn, ms, 0, this.owner);
  }

  clearTimeout(handle: number): void {
    this.world.cancel(handle);
  }

  setInterval(fn: () => void, ms: number): number {
    return this.world.schedule(fn, ms, ms > 0 ? ms : 1, this.owner);
  }

  clearInterval(handle: number): void {
    this.clearTimeout(handle);
  }

  /** Cancels every timer of this boot. */
  powerOff(): void {
    this.owner.off = true;
  }
}

/** A physical input: set(level) from the test; watchers see it through the debounce filter. */
export class FakeDigitalInput implements DigitalInput {
  level: boolean;
  private clock: FakeClock | null = null;
  private fn: ((level: boolean, atMs: number) => void) | null = null;
  private debounceMs = 0;
  private reported = false;
  private timer = 0;

  constructor(level: boolean) {
    this.level = level;
  }

  /** Connects the input to a boot's clock (done by FakeBoard). */
  attach(clock: FakeClock): void {
    this.clock = clock;
    this.fn = null;
    this.timer = 0;
  }

  read(): boolean {
    return this.level;
  }

  watch(debounceMs: number, fn: (level: boolean, atMs: number) => void): void {
    this.unwatch();
    this.fn = fn;
    this.debounceMs = debounceMs;
    this.reported = this.level;
  }

  unwatch(): void {
    if (this.timer && this.clock !== null) this.clock.clearTimeout(this.timer);
    this.timer = 0;
    this.fn = null;
  }

  /** The physical level changes now (e.g. the strap is cut: set(false)). */
  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    const clock = this.clock;
    if (this.fn === null || clock === null) return;
    if (this.debounceMs <= 0) {
      this.report();
      return;
    }
    // Like Espruino's setWatch debounce: report once the level has been stable long enough.
    if (this.timer) clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => {
      this.timer = 0;
      this.report();
    }, this.debounceMs);
  }

  private report(): void {
    if (this.fn === null || this.clock === null || this.level === this.reported) return;
    this.reported = this.level;
    this.fn(this.level, this.clock.monotonic());
  }
}

export class FakeAnalogInput implements AnalogInput {
  mv: number;
  reads = 0;
  constructor(mv: number) {
    this.mv = mv;
  }
  readMv(): number {
    this.reads++;
    return this.mv;
  }
}

/** Everything the radio sent: one record per advertise() call. */
export interface AdvertRecord {
  /** World time (ms) when the data was put on air. */
  atMs: number;
  /** Which boot of the device sent it (0 = first). */
  boot: number;
  companyId: number;
  data: Uint8Array;
  intervalMs: number;
  connectable: boolean;
}

export class FakeAdvertiser implements BleAdvertiser {
  readonly log: AdvertRecord[];
  current: AdvertRecord | null = null;
  /** Set to make advertise() throw, as a dead radio would. */
  failing = false;
  /** Called with every record as it goes on air. */
  onAdvertise: ((rec: AdvertRecord) => void) | null = null;
  private readonly clock: FakeClock;
  private readonly boot: number;

  private readonly hw: FakeHardware;

  constructor(clock: FakeClock, boot: number, hw: FakeHardware) {
    this.clock = clock;
    this.boot = boot;
    this.hw = hw;
    this.log = hw.adverts;
  }

  advertise(companyId: number, data: Uint8Array, intervalMs: number, connectable: boolean): void {
    if (this.failing) throw new Error("radio failure");
    const rec: AdvertRecord = {
      atMs: this.clock.world.time,
      boot: this.boot,
      companyId: companyId,
      data: copyBytes(data),
      intervalMs: intervalMs,
      connectable: connectable,
    };
    if (this.hw.keepAdverts) this.log.push(rec);
    this.current = rec;
    if (this.onAdvertise !== null) this.onAdvertise(rec);
  }

  stop(): void {
    this.current = null;
  }
}

export class FakeScanner implements BleScanner {
  private companyId = -1;
  private fn: ((a: BleAdvert) => void) | null = null;
  start(companyId: number, fn: (a: BleAdvert) => void): void {
    this.companyId = companyId;
    this.fn = fn;
  }
  stop(): void {
    this.fn = null;
  }
  /** An advertisement arrives over the air. */
  inject(a: BleAdvert): void {
    if (this.fn !== null && a.companyId === this.companyId) this.fn(a);
  }
}

export class FakeCommandPort implements BleCommandPort {
  private fn: ((d: Uint8Array) => void) | null = null;
  listen(fn: (d: Uint8Array) => void): void {
    this.fn = fn;
  }
  /** A GATT write arrives. Returns false when nobody listens. */
  deliver(data: Uint8Array): boolean {
    if (this.fn === null) return false;
    this.fn(copyBytes(data));
    return true;
  }
}

export class FakeUart implements Uart {
  readonly written: Uint8Array[] = [];
  private fn: ((chunk: Uint8Array) => void) | null = null;
  write(data: Uint8Array): void {
    this.written.push(copyBytes(data));
  }
  onData(fn: (chunk: Uint8Array) => void): void {
    this.fn = fn;
  }
  inject(chunk: Uint8Array): void {
    if (this.fn !== null) this.fn(chunk);
  }
}

/** Bites (calls onBite) when not kicked for the timeout, like the nRF52 WDT. */
export class FakeWatchdog implements Watchdog {
  timeoutMs = 0;
  kicks = 0;
  bitten = false;
  onBite: (() => void) | null = null;
  private readonly clock: FakeClock;
  private timer = 0;
  /** World time of the last kick (or the start). */
  private kickedAt = 0;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  start(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    this.kickedAt = this.clock.world.time;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.arm(timeoutMs);
  }

  kick(): void {
    this.kicks++;
    // A kick only moves the deadline; the one timer finds it moved when it fires (a timer per
    // kick would cost the simulator a heap entry every tick of every unit).
    this.kickedAt = this.clock.world.time;
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      const left = this.kickedAt + this.timeoutMs - this.clock.world.time;
      if (left > 0) {
        this.arm(left);
        return;
      }
      this.timer = 0;
      this.bitten = true;
      if (this.onBite !== null) this.onBite();
    }, ms);
  }
}

export interface IndicatorRecord {
  atMs: number;
  pattern: IndicatorPattern | null;
}

export class FakeIndicator implements Indicator {
  readonly log: IndicatorRecord[] = [];
  private readonly clock: FakeClock;
  constructor(clock: FakeClock) {
    this.clock = clock;
  }
  signal(pattern: IndicatorPattern): void {
    this.log.push({ atMs: this.clock.world.time, pattern: pattern });
  }
  off(): void {
    this.log.push({ atMs: this.clock.world.time, pattern: null });
  }
}

/** SHA-256 from the protocol core; random bytes from a seeded xorshift32 (deterministic). */
export class FakeCrypto implements Crypto {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  sha256(data: Uint8Array): Uint8Array {
    return sha256(data);
  }
  /** Uniform 32-bit unsigned. */
  next32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  randomBytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next32() & 255;
    return b;
  }
}

/** The physical parts of a device that outlive a reboot. */
export interface FakeHardware {
  world: VirtualClock;
  flash: VirtualFlash;
  /** Raw flash pages outside Storage (require("Flash")): 2 free 4 KB pages, as a Puck.js may
   * have between its firmware and Storage. */
  nor: VirtualNor;
  strap: FakeDigitalInput;
  caseInput: FakeDigitalInput;
  mains: FakeDigitalInput;
  battery: FakeAnalogInput;
  adverts: AdvertRecord[];
  /** Whether `adverts` keeps every record (default). A simulation of days turns it off where
   * nobody reads it: a tag puts ~10,800 frames on air a day. */
  keepAdverts: boolean;
  seed: number;
}

export function createHardware(
  world: VirtualClock,
  flash: VirtualFlash,
  seed: number,
): FakeHardware {
  return {
    world: world,
    flash: flash,
    nor: new VirtualNor(0x6a000, 4096, 2),
    strap: new FakeDigitalInput(true),
    caseInput: new FakeDigitalInput(true),
    mains: new FakeDigitalInput(true),
    battery: new FakeAnalogInput(3000),
    adverts: [],
    keepAdverts: true,
    seed: seed,
  };
}

/** One boot of a device: every HAL part, wired to virtual time. */
export class FakeBoard {
  readonly hw: FakeHardware;
  readonly boot: number;
  readonly clock: FakeClock;
  readonly storage: VirtualFlash;
  readonly strap: FakeDigitalInput;
  readonly caseInput: FakeDigitalInput;
  readonly mains: FakeDigitalInput;
  readonly battery: FakeAnalogInput;
  readonly advertiser: FakeAdvertiser;
  readonly scanner = new FakeScanner();
  readonly commands = new FakeCommandPort();
  readonly uart = new FakeUart();
  readonly watchdog: FakeWatchdog;
  readonly indicator: FakeIndicator;
  readonly crypto: FakeCrypto;
  private off = false;

  constructor(hw: FakeHardware, boot: number) {
    this.hw = hw;
    this.boot = boot;
    this.clock = new FakeClock(hw.world);
    this.storage = hw.flash;
    this.strap = hw.strap;
    this.caseInput = hw.caseInput;
    this.mains = hw.mains;
    this.battery = hw.battery;
    hw.strap.attach(this.clock);
    hw.caseInput.attach(this.clock);
    hw.mains.attach(this.clock);
    this.advertiser = new FakeAdvertiser(this.clock, boot, hw);
    this.watchdog = new FakeWatchdog(this.clock);
    this.indicator = new FakeIndicator(this.clock);
    // A different random stream per boot, still fixed by the seed.
    this.crypto = new FakeCrypto((hw.seed + boot * 0x6d2b79f5) >>> 0);
  }

  /** Power off: this boot's timers, watches and watchdog stop; the radio goes quiet. */
  powerOff(): void {
    if (this.off) return;
    this.off = true;
    this.clock.powerOff();
    this.strap.unwatch();
    this.caseInput.unwatch();
    this.mains.unwatch();
    this.advertiser.stop();
  }

  /** Powers off and boots again on the same hardware. */
  reboot(): FakeBoard {
    this.powerOff();
    return new FakeBoard(this.hw, this.boot + 1);
  }
}
