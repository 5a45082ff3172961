// The HAL (firmware/hal/hal.ts) bound to Espruino's globals. Board assumptions are in
// firmware/tag/README-tag.md ("Board"). Only this folder may require() the board's modules.
//
// Espruino facts this file relies on (espruino.com/Reference and the firmware source):
// - getTime() is seconds since 1970 once set, else since power-on; setTime() moves it, timers
//   are kept as intervals and do not move. Monotonic time is getTime() minus a base that
//   setNow() shifts by the same amount.
// - clearTimeout()/clearWatch() with no id clear EVERYTHING. On 2v29 clearTimeout() of an
//   unknown or already-fired id does nothing (measured; the self-test's engine canary holds it),
//   so clearTimer needs no catch; clearWatch() of an unknown id throws, so a watch is cleared
//   only by the live id it was given.
// - Storage.write throws when it refuses (bytes already written, past the file's end, no room):
//   a fault, never a normal path, so the HAL turns it into `false` once, here.
// - Storage.write(name, data, 0, size) creates a pre-sized file (erasing an old one first);
//   write(name, data, offset > 0) programs erased bytes only and throws otherwise.
// - NRF.setAdvertising() stops and restarts advertising, so new data goes out at once.
// - NRF.setServices(..., {uart: false}) removes the JavaScript console from Bluetooth.
// The tag binds only what it needs, more tightly, in hal-espruino-tag.ts (its bundle has 8 KB);
// it shares the clock base and the timer helpers below.

import type {
  BleAdvert,
  BleScanner,
  Clock,
  Crypto,
  DigitalInput,
  Indicator,
  Storage,
  Uart,
  Watchdog,
} from "../../hal/hal";

/** GATT service and characteristic the tag takes SPEC §5 commands on (write, 29 bytes); the
 * tag's binding is hal-espruino-tag.ts, the home unit's writer hal-espruino-base.ts. */
export const COMMAND_SERVICE = "e4ee0001-c280-401d-a57b-5794cfcfba70";
export const COMMAND_CHARACTERISTIC = "e4ee0002-c280-401d-a57b-5794cfcfba70";

// Espruino's timer functions return numbers (the repository's Node types say otherwise).
export const espSetTimeout = setTimeout as unknown as (fn: () => void, ms: number) => number;
export const espSetInterval = setInterval as unknown as (fn: () => void, ms: number) => number;

let base = getTime() * 1000;

/** Monotonic ms of an Espruino time (getTime(), a watch event's time). */
export function monotonicOf(seconds: number): number {
  return Math.floor(seconds * 1000 - base);
}

/** Clears a timeout or interval; 0 is ignored (it would clear every timer), and so is a handle
 * that already fired: Espruino 2v29's clearTimeout does nothing then, it does not throw. */
export function clearTimer(handle: number): void {
  if (handle > 0) clearTimeout(handle);
}

export function espruinoClock(): Clock {
  return {
    now: () => Math.floor(getTime() * 1000),
    setNow: (ms) => {
      const m = getTime() * 1000 - base;
      setTime(ms / 1000);
      base = getTime() * 1000 - m;
    },
    monotonic: () => monotonicOf(getTime()),
    setTimeout: espSetTimeout,
    clearTimeout: clearTimer,
    setInterval: espSetInterval,
    clearInterval: clearTimer,
  };
}

export function espruinoStorage(): Storage {
  const s = require("Storage") as unknown as EspruinoStorage;
  /** offset 0 creates a file of `size` bytes; offset > 0 writes into erased bytes. */
  function write(name: string, data: Uint8Array, offset: number, size: number): boolean {
    try {
      return s.write(name, data, offset, size);
    } catch (_e) {
      return false;
    }
  }
  return {
    read: (name) => {
      const b = s.readArrayBuffer(name);
      return b === undefined ? null : new Uint8Array(b);
    },
    write: (name, data) => write(name, data, 0, data.length),
    create: (name, size, head) => write(name, head, 0, size),
    writeAt: (name, offset, data) => offset > 0 && write(name, data, offset, 0),
    erase: (name) => s.erase(name),
    free: () => s.getFree(),
  };
}

/**
 * activeLow: the input is "true" when the pin reads 0 (a loop or switch to GND).
 * pullUp: the pin's internal pull-up (~13 kΩ: ~230 µA through a closed loop; tags use an
 * external 10 MΩ one instead, see README-tag.md).
 */
export function espruinoInput(pin: EspruinoPin, activeLow: boolean, pullUp: boolean): DigitalInput {
  pinMode(pin, pullUp ? "input_pullup" : "input");
  let id = 0;
  function unwatch(): void {
    if (id > 0) clearWatch(id);
    id = 0;
  }
  return {
    read: () => pin.read() !== activeLow,
    watch: (debounceMs, fn) => {
      unwatch();
      id = setWatch((e) => fn(e.state !== activeLow, monotonicOf(e.time)), pin, {
        repeat: true,
        edge: "both",
        debounce: debounceMs,
      });
    },
    unwatch: unwatch,
  };
}

export function espruinoScanner(): BleScanner {
  const advert: BleAdvert = { address: "", rssi: 0, companyId: 0, data: new Uint8Array(0) };
  return {
    start: (companyId, fn) => {
      const wanted: { [id: number]: object } = {};
      wanted[companyId] = {};
      NRF.setScan(
        (d) => {
          if (d.manufacturer !== companyId || d.manufacturerData === undefined) return;
          advert.address = d.id;
          advert.rssi = d.rssi;
          advert.companyId = companyId;
          advert.data = new Uint8Array(d.manufacturerData);
          fn(advert);
        },
        { filters: [{ manufacturerData: wanted }] },
      );
    },
    stop: () => NRF.setScan(),
  };
}

/** Serial1 on the given pins. One onData listener. */
export function espruinoUart(baud: number, rx: EspruinoPin, tx: EspruinoPin): Uart {
  Serial1.setup(baud, { rx: rx, tx: tx });
  return {
    write: (data) => Serial1.write(data),
    onData: (fn) => Serial1.on("data", (s) => fn(E.toUint8Array(s))),
  };
}

export function espruinoWatchdog(): Watchdog {
  return {
    start: (timeoutMs) => E.enableWatchdog(timeoutMs / 1000, false),
    kick: () => E.kickWatchdog(),
  };
}

/** An LED and optionally an active (self-oscillating) buzzer, both active high. */
export function espruinoIndicator(led: EspruinoPin, buzzer: EspruinoPin | null): Indicator {
  let every = 0;
  function off(): void {
    clearTimer(every);
    every = 0;
  }
  return {
    signal: (p) => {
      off();
      const end = getTime() * 1000 + p.totalMs;
      function pulse(): void {
        if (getTime() * 1000 >= end) off();
        else {
          if (p.led) digitalPulse(led, true, p.onMs);
          if (p.buzzer && buzzer !== null) digitalPulse(buzzer, true, p.onMs);
        }
      }
      pulse();
      every = espSetInterval(pulse, p.onMs + p.offMs);
    },
    off: off,
  };
}

/**
 * SHA-256 from the board (require("crypto").SHA256, in firmware on Puck.js and Jolt.js) or, on a
 * board without it, `fallback` (protocol/src/core/sha256.ts: +2 KB, so the tag passes null).
 */
/** Whether the firmware build has a module (process.env.MODULES, e.g. "timer,Flash,Storage"). */
export function boardHas(module: string): boolean {
  const names = ((process as unknown as EspruinoProcess).env.MODULES || "").split(",");
  for (let i = 0; i < names.length; i++) if (names[i] === module) return true;
  return false;
}

export function espruinoCrypto(fallback: ((data: Uint8Array) => Uint8Array) | null): Crypto {
  let sha = fallback;
  // Asked of the build's module list, not by a require() that throws: a throw while the bundle's
  // code is on the stack costs RAM in proportion to that code (firmware/README.md, "Engine differences").
  if (boardHas("crypto")) {
    // biome-ignore lint/style/useNodejsImportProtocol: Espruino's crypto module, not Node's
    const c = require("crypto") as unknown as EspruinoCrypto;
    if (c.SHA256) sha = (d: Uint8Array): Uint8Array => new Uint8Array(c.SHA256(d));
  }
  if (sha === null) throw new Error("no SHA-256");
  return {
    sha256: sha,
    randomBytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = E.hwRand();
      return b;
    },
  };
}
