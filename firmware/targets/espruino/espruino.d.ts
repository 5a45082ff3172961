// The Espruino globals the HAL binding uses, and nothing else (no npm types). Signatures follow
// Espruino's reference (espruino.com/Reference, libs/bluetooth/jswrap_bluetooth.c,
// src/jswrap_storage.c, src/jswrap_espruino.c); checked against firmware 2v2x.
// `require`, `setTimeout` & co. are typed by @types/node in this repository; hal-espruino.ts
// casts them to their Espruino shapes where they differ (Espruino timer ids are numbers).

interface EspruinoPin {
  read(): boolean;
  write(value: boolean): void;
}

/** The event setWatch passes: state after the edge, and times in seconds (getTime() base). */
interface EspruinoWatchEvent {
  state: boolean;
  time: number;
  lastTime: number;
}

interface EspruinoWatchOptions {
  repeat: boolean;
  edge: "rising" | "falling" | "both";
  /** ms the level must stay stable before the callback runs (0 = off). */
  debounce: number;
}

interface EspruinoAdvertisingOptions {
  showName?: boolean;
  connectable?: boolean;
  scannable?: boolean;
  /** nRF52: keep advertising (non-connectable) while a central is connected. */
  whenConnected?: boolean;
  /** ms, 20…10,000 (clamped by Espruino to 0x20…0x4000 units of 0.625 ms). */
  interval?: number;
  manufacturer?: number;
  manufacturerData?: Uint8Array;
}

/** What NRF.setScan reports for each advertisement. */
interface EspruinoBluetoothDevice {
  id: string;
  rssi: number;
  manufacturer?: number;
  manufacturerData?: ArrayBuffer;
}

interface EspruinoCharacteristic {
  value?: number[];
  maxLen?: number;
  readable?: boolean;
  writable?: boolean;
  onWrite?: (evt: { data: ArrayBuffer }) => void;
}

interface EspruinoNRF {
  setAdvertising(data: object, options: EspruinoAdvertisingOptions): void;
  setScan(fn?: (device: EspruinoBluetoothDevice) => void, options?: { filters: object[] }): void;
  setServices(
    services: { [uuid: string]: { [uuid: string]: EspruinoCharacteristic } },
    options: { uart: boolean },
  ): void;
  /** Supply voltage in volts (the cell voltage on a coin-cell board). */
  getBattery(): number;
  disconnect(): void;
  on(event: "connect" | "disconnect", fn: () => void): void;
}

interface EspruinoE {
  /** Once enabled the nRF52 watchdog cannot be stopped. isAuto=false: only kickWatchdog() kicks. */
  enableWatchdog(timeoutSeconds: number, isAuto: boolean): void;
  kickWatchdog(): void;
  /** 32 random bits from the hardware RNG. */
  hwRand(): number;
  toUint8Array(data: string): Uint8Array;
  /** The console asks for this password (≤ 20 characters) at every boot once set. */
  setPassword(password: string): void;
  /** Locks the console now, if a password is set. */
  lockConsole(): void;
}

interface EspruinoSerial {
  setup(baud: number, options: { rx: EspruinoPin; tx: EspruinoPin }): void;
  write(data: Uint8Array): void;
  on(event: "data", fn: (data: string) => void): void;
}

/** require("Storage"): Espruino's flash file store. Writes throw on refusal. */
interface EspruinoStorage {
  /** A memory-mapped view of flash, or undefined when there is no such file. */
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  /** The same, as a string. */
  read(name: string): string | undefined;
  /** offset 0 (or omitted) creates the file with `size` bytes; offset > 0 writes in place. */
  write(name: string, data: Uint8Array, offset?: number, size?: number): boolean;
  erase(name: string): void;
  getFree(): number;
}

/** require("crypto") on boards that have it (Puck.js, Jolt.js). */
interface EspruinoCrypto {
  SHA256(data: Uint8Array): ArrayBuffer;
}

/** Espruino's `process` (Node's types declare the global; device code casts to this). */
interface EspruinoProcess {
  /** MODULES: the build's require()-able modules, comma-separated ("timer,Flash,Storage"). */
  env: { VERSION: string; MODULES?: string };
}

declare const NRF: EspruinoNRF;
declare const E: EspruinoE;
declare const Serial1: EspruinoSerial;
declare const LED1: EspruinoPin;
declare const LED2: EspruinoPin;
declare const D1: EspruinoPin;
declare const D2: EspruinoPin;

declare function setWatch(
  fn: (e: EspruinoWatchEvent) => void,
  pin: EspruinoPin,
  options: EspruinoWatchOptions,
): number;
declare function clearWatch(id: number): void;
declare function pinMode(pin: EspruinoPin, mode: "input" | "input_pullup" | "output"): void;
declare function digitalPulse(pin: EspruinoPin, value: boolean, ms: number): void;
declare function analogWrite(pin: EspruinoPin, value: number, options: { freq: number }): void;
/** Seconds (with fraction) since 1970 once set, else since power-on. */
declare function getTime(): number;
declare function setTime(seconds: number): void;
