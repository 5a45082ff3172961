// The hardware abstraction layer: the only way firmware logic touches the world.
//
// Two implementations: firmware/targets/espruino (the real boards) and firmware/testing (virtual
// hardware under virtual time, used by the tests, the simulator and the HIL virtual bench).
// Modelled on ECMA-419 (Moddable) and Espruino: small objects, plain callbacks, bytes as
// Uint8Array, no Promises, no events library. Everything here must run on Espruino/JerryScript
// (firmware/../DEVICE-JS rules): these are types only, they cost nothing in the bundle.
//
// Conventions: times are milliseconds; "monotonic" time is what durations, debounce and timeouts
// use; wall time is only for timestamps that leave the device. Timer handles are numbers > 0.

/** Clock and timers. */
export interface Clock {
  /** Wall-clock time: ms since 1970-01-01T00:00:00Z (UTC). Jumps when set; never use for durations. */
  now(): number;
  /** Sets the wall clock (home-unit time sync). Moves neither monotonic() nor pending timers. */
  setNow(ms: number): void;
  /** ms since boot (or since the HAL started). Never jumps, never goes back. */
  monotonic(): number;
  /** Runs fn once after ms. Returns a handle > 0. */
  setTimeout(fn: () => void, ms: number): number;
  /** Cancels a timeout. 0, or a handle that already fired or was cleared, is ignored. */
  clearTimeout(handle: number): void;
  setInterval(fn: () => void, ms: number): number;
  clearInterval(handle: number): void;
}

/**
 * Flash storage with the semantics of Espruino's Storage (and of NOR flash in general):
 *
 * - A file has a fixed size, chosen when it is created; a name is at most 28 characters.
 * - `create` writes `head` at offset 0 and leaves the rest erased (every byte 0xFF).
 * - `writeAt` programs bytes in place, but only into bytes that are still erased (0xFF); it
 *   returns false and changes nothing if any target byte was already written, or on overflow.
 *   Appending this way creates no garbage: it is how logs and counters should grow.
 * - `create` or `write` over an existing name first erases the old copy, then writes the new one:
 *   it is NOT atomic (a power cut in between loses both) and the old copy stays as garbage until
 *   the store is compacted (slow, coarse: whole pages). Writes cost energy and wear; count them.
 *   Code that must survive power cuts writes a new copy under a second name before giving up the
 *   old one (see firmware/tag/tag-storage.ts).
 * - `read` may return a view of flash itself: do not keep it across a write or erase.
 */
export interface Storage {
  /** The file's bytes, or null when there is no such file. */
  read(name: string): Uint8Array | null;
  /** Replaces the whole record with `data` (a file exactly data.length long; data.length >= 1). */
  write(name: string, data: Uint8Array): boolean;
  /** Creates (or replaces) a pre-sized file: `head` (length >= 1) at offset 0, the rest erased. */
  create(name: string, size: number, head: Uint8Array): boolean;
  /** Programs `data` at `offset` (>= 1) into erased bytes of an existing file; false otherwise. */
  writeAt(name: string, offset: number, data: Uint8Array): boolean;
  /** Removes a file (no-op when absent). Its space is garbage until the next compaction. */
  erase(name: string): void;
  /** Bytes still free for new files, before compaction. */
  free(): number;
}

/**
 * A digital input (strap loop, case switch, mains sense, buttons). The board binding maps the
 * electrical polarity: `true` means "active", documented per input (strap loop: true = closed).
 */
export interface DigitalInput {
  read(): boolean;
  /**
   * Calls fn(level, monotonicMs) on each change that stayed stable for debounceMs (0: every
   * edge). One watcher per input: watching again replaces it.
   */
  watch(debounceMs: number, fn: (level: boolean, atMs: number) => void): void;
  unwatch(): void;
}

/** Mains-power sense on the home unit: true = mains present. */
export type MainsSense = DigitalInput;

/** An analog measurement in millivolts (battery voltage, divided supply rails). */
export interface AnalogInput {
  readMv(): number;
}

/**
 * BLE advertiser: one legacy advertisement carrying manufacturer-specific data (AD type 0xFF).
 * The radio repeats the current data every intervalMs (plus the BLE spec's 0–10 ms random delay)
 * until `advertise` is called again with new data, or `stop`.
 */
export interface BleAdvertiser {
  /** data is what follows the 2-byte company id. connectable: accept GATT connections (commands). */
  advertise(companyId: number, data: Uint8Array, intervalMs: number, connectable: boolean): void;
  /** No more frames of ours (the board may keep its own default advertising for maintenance). */
  stop(): void;
}

/** One received advertisement. The object may be reused for the next one: copy what you keep. */
export interface BleAdvert {
  /** "aa:bb:cc:dd:ee:ff" plus, on some stacks, " public"/" random". */
  address: string;
  rssi: number;
  companyId: number;
  /** Manufacturer data after the company id. */
  data: Uint8Array;
}

export interface BleScanner {
  /** Reports advertisements carrying manufacturer data of companyId only. */
  start(companyId: number, fn: (advert: BleAdvert) => void): void;
  stop(): void;
}

/** Incoming command bytes, e.g. GATT writes to the tag's command characteristic. */
export interface BleCommandPort {
  /** fn gets each write as received (a long command may arrive split into several writes). */
  listen(fn: (data: Uint8Array) => void): void;
}

/** A serial port, already configured (baud rate, pins) by the board binding. */
export interface Uart {
  write(data: Uint8Array): void;
  /** fn gets bytes as they arrive, in chunks of any size. */
  onData(fn: (chunk: Uint8Array) => void): void;
}

/** Hardware watchdog: once started it cannot be stopped; a missed kick resets the device. */
export interface Watchdog {
  start(timeoutMs: number): void;
  kick(): void;
}

/** Blink and/or buzz: on for onMs, off for offMs, repeated until totalMs has passed. */
export interface IndicatorPattern {
  led: boolean;
  buzzer: boolean;
  onMs: number;
  offMs: number;
  totalMs: number;
}

export interface Indicator {
  /** Starts the pattern, replacing any running one. */
  signal(pattern: IndicatorPattern): void;
  off(): void;
}

/** SHA-256 (hardware or firmware where the board has it) and random bytes (hardware RNG). */
export interface Crypto {
  sha256(data: Uint8Array): Uint8Array;
  randomBytes(n: number): Uint8Array;
}
