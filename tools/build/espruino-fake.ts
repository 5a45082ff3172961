// A fake of the Espruino globals the tag bundle uses, for running the shipped dist/firmware/tag.js
// on a host ES5 engine (Duktape) under virtual time. Compiled to ES5 with the device build
// (compileBundle, global name EspruinoFake) and prepended to the bundle; the test drives it
// through that global and reads what happened as JSON.
//
// Espruino behaviour kept on purpose, because the tag must cope with it:
// - timer ids are reused (the smallest free one), and clearTimeout of an unknown id throws, so a
//   stale handle cancels someone else's timer or throws, as on the board;
// - setWatch debounce: the callback runs once a level has been stable for `debounce` ms (time =
//   that moment), and only when it differs from the last reported level;
// - Storage: a file's size is fixed when it is written at offset 0; a write at offset > 0 may
//   only program erased (0xFF) bytes of an existing file and throws otherwise; names ≤ 28;
// - the watchdog resets the board when not kicked for its timeout: everything stops.
// Plain functions and objects only: it runs in Duktape (ES5, no Map).

import { fromHex, sliceBytes, toHex } from "../../protocol/src/core/bytes";
import { sha256 } from "../../protocol/src/core/sha256";
import { countJsVars, installScopeHooks } from "./jsvar-model";

interface Timer {
  id: number; // 0 for the fake's own (debounce) timers
  due: number;
  every: number;
  seq: number;
  fn: () => void;
}

interface Pin {
  name: string;
  level: boolean;
  mode: string;
  read(): boolean;
}

interface Watch {
  id: number;
  pin: Pin;
  fn: (e: { state: boolean; time: number; lastTime: number }) => void;
  debounce: number;
  reported: boolean;
  lastTime: number;
  timer: Timer | null;
}

interface Advert {
  atMs: number;
  companyId: number;
  data: string;
  intervalMs: number;
  connectable: boolean;
  /** The flash files at the moment this advert went on air (hex; absent files left out). */
  flash: { [name: string]: string };
}

let now = 0;
let clockOffset = 0;
let seq = 0;
let timers: Timer[] = [];
let watches: Watch[] = [];
let nextWatchId = 1;
let halted = false;
const files: { [name: string]: Uint8Array } = {};
const adverts: Advert[] = [];
const logs: string[] = [];
const pulses: { atMs: number; pin: string; ms: number }[] = [];
let onWrite: ((evt: { data: ArrayBuffer }) => void) | null = null;
let uart = true;
let batteryV = 3.0;
let rand = 12345;
const watchdog = { timeoutMs: 0, lastKick: 0, kicks: 0, bittenAt: -1 };
/** What install() put on the global object, and the modules: board things, not the bundle's. */
const natives: unknown[] = [];

function pin(name: string, level: boolean): Pin {
  const p: Pin = { name: name, level: level, mode: "", read: () => p.level };
  return p;
}

// The strap loop and case switch are closed (intact) at power-on: their pins read low.
const pins: { [name: string]: Pin } = { D1: pin("D1", false), D2: pin("D2", false) };
const led = pin("LED1", false);

function smallestFreeId(): number {
  for (let id = 1; ; id++) {
    let used = false;
    for (let i = 0; i < timers.length; i++) if (timers[i].id === id) used = true;
    if (!used) return id;
  }
}

function addTimer(fn: () => void, ms: number, every: number, own: boolean): Timer {
  const t: Timer = {
    id: own ? 0 : smallestFreeId(),
    due: now + Math.max(ms, 0),
    every: every,
    seq: seq++,
    fn: fn,
  };
  timers.push(t);
  return t;
}

function removeTimer(t: Timer): void {
  const rest: Timer[] = [];
  for (let i = 0; i < timers.length; i++) if (timers[i] !== t) rest.push(timers[i]);
  timers = rest;
}

function clearTimer(id?: number): void {
  if (id === undefined) {
    // Espruino: no argument clears every timer.
    const own: Timer[] = [];
    for (let i = 0; i < timers.length; i++) if (timers[i].id === 0) own.push(timers[i]);
    timers = own;
    return;
  }
  for (let i = 0; i < timers.length; i++)
    if (timers[i].id === id && id > 0) {
      removeTimer(timers[i]);
      return;
    }
  throw new Error("Unknown Timeout " + id);
}

function getTime(): number {
  return now / 1000 + clockOffset;
}

function watchFired(w: Watch): void {
  w.timer = null;
  if (w.pin.level === w.reported) return;
  w.reported = w.pin.level;
  const t = getTime();
  w.fn({ state: w.pin.level, time: t, lastTime: w.lastTime });
  w.lastTime = t;
}

function storageFile(name: string): string {
  if (typeof name !== "string" || name.length < 1 || name.length > 28)
    throw new Error("Storage: bad name " + name);
  return name;
}

const storage = {
  write: (name: string, data: Uint8Array, offset?: number, size?: number): boolean => {
    const n = storageFile(name);
    if (!offset) {
      const f = new Uint8Array(size || data.length);
      if (data.length > f.length) throw new Error("Storage: data longer than the file");
      for (let i = 0; i < f.length; i++) f[i] = i < data.length ? data[i] : 0xff;
      files[n] = f;
      return true;
    }
    const f = files[n];
    if (f === undefined) throw new Error("Storage: no file " + n);
    if (offset + data.length > f.length) throw new Error("Storage: past the end of " + n);
    for (let i = 0; i < data.length; i++)
      if (f[offset + i] !== 0xff) throw new Error("Storage: not erased at " + (offset + i));
    for (let i = 0; i < data.length; i++) f[offset + i] = data[i];
    return true;
  },
  readArrayBuffer: (name: string): ArrayBuffer | undefined => {
    const f = files[storageFile(name)];
    return f === undefined ? undefined : (sliceBytes(f, 0, f.length).buffer as ArrayBuffer);
  },
  erase: (name: string): void => {
    delete files[storageFile(name)];
  },
  getFree: (): number => 40960,
};

const crypto = {
  SHA256: (d: Uint8Array): ArrayBuffer => sliceBytes(sha256(d), 0, 32).buffer as ArrayBuffer,
};

function snapshot(): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  const names = Object.keys(files);
  for (let i = 0; i < names.length; i++) out[names[i]] = toHex(files[names[i]]);
  return out;
}

/** Defines the Espruino globals on the global object. */
export function install(): void {
  const g = new Function("return this")() as { [name: string]: unknown };
  g.getTime = getTime;
  g.setTime = (s: number) => {
    clockOffset = s - now / 1000;
  };
  g.setTimeout = (fn: () => void, ms: number) => addTimer(fn, ms, 0, false).id;
  g.setInterval = (fn: () => void, ms: number) => addTimer(fn, ms, Math.max(ms, 1), false).id;
  g.clearTimeout = clearTimer;
  g.clearInterval = clearTimer;
  g.D1 = pins.D1;
  g.D2 = pins.D2;
  g.LED1 = led;
  g.pinMode = (p: Pin, mode: string) => {
    p.mode = mode;
  };
  g.digitalPulse = (p: Pin, _value: boolean, ms: number) => {
    pulses.push({ atMs: now, pin: p.name, ms: ms });
  };
  g.setWatch = (
    fn: Watch["fn"],
    p: Pin,
    opts: { repeat: boolean; edge: string; debounce: number },
  ) => {
    if (!opts.repeat || opts.edge !== "both") throw new Error("fake: only repeat + both edges");
    const w: Watch = {
      id: nextWatchId++,
      pin: p,
      fn: fn,
      debounce: opts.debounce,
      reported: p.level,
      lastTime: getTime(),
      timer: null,
    };
    watches.push(w);
    return w.id;
  };
  g.clearWatch = (id: number) => {
    const rest: Watch[] = [];
    for (let i = 0; i < watches.length; i++) if (watches[i].id !== id) rest.push(watches[i]);
    if (rest.length === watches.length) throw new Error("Unknown Watch " + id);
    watches = rest;
  };
  g.NRF = {
    setAdvertising: (
      _data: object,
      o: {
        manufacturer?: number;
        manufacturerData?: Uint8Array;
        interval?: number;
        connectable?: boolean;
      },
    ) => {
      if (o.manufacturerData === undefined) return;
      adverts.push({
        atMs: now,
        companyId: o.manufacturer === undefined ? -1 : o.manufacturer,
        data: toHex(o.manufacturerData),
        intervalMs: o.interval === undefined ? -1 : o.interval,
        connectable: o.connectable === true,
        flash: snapshot(),
      });
    },
    setServices: (
      services: { [uuid: string]: { [uuid: string]: { onWrite?: typeof onWrite } } },
      o: { uart: boolean },
    ) => {
      uart = o.uart;
      const s = Object.keys(services);
      for (let i = 0; i < s.length; i++) {
        const c = Object.keys(services[s[i]]);
        for (let j = 0; j < c.length; j++) {
          const w = services[s[i]][c[j]].onWrite;
          if (w) onWrite = w;
        }
      }
    },
    getBattery: () => batteryV,
  };
  g.E = {
    enableWatchdog: (seconds: number, isAuto: boolean) => {
      if (isAuto) throw new Error("fake: the tag must kick the watchdog itself");
      watchdog.timeoutMs = seconds * 1000;
      watchdog.lastKick = now;
    },
    kickWatchdog: () => {
      watchdog.lastKick = now;
      watchdog.kicks++;
    },
    hwRand: () => {
      // xorshift32: repeatable runs
      rand ^= rand << 13;
      rand ^= rand >>> 17;
      rand ^= rand << 5;
      return rand >>> 0;
    },
  };
  g.require = (name: string) => {
    if (name === "Storage") return storage;
    if (name === "crypto") return crypto;
    throw new Error("Module " + name + " not found");
  };
  g.console = {
    log: (msg: unknown) => {
      logs.push(String(msg));
    },
  };
  const names = Object.keys(g);
  for (let i = 0; i < names.length; i++) natives.push(g[names[i]]);
  natives.push(storage, crypto);
  installScopeHooks();
}

/** Writes a file before the bundle runs (provisioning). */
export function provision(name: string, hex: string): void {
  files[storageFile(name)] = fromHex(hex) as Uint8Array;
}

/** Moves virtual time on by ms, running timers, debounced watches and the watchdog. */
export function advance(ms: number): void {
  const end = now + ms;
  while (!halted) {
    let next: Timer | null = null;
    for (let i = 0; i < timers.length; i++) {
      const t = timers[i];
      if (
        t.due <= end &&
        (next === null || t.due < next.due || (t.due === next.due && t.seq < next.seq))
      )
        next = t;
    }
    const bite = watchdog.timeoutMs > 0 ? watchdog.lastKick + watchdog.timeoutMs : Infinity;
    if (bite <= end && (next === null || bite < next.due)) {
      now = bite;
      watchdog.bittenAt = bite;
      halted = true; // the board resets: nothing of this run goes on
      return;
    }
    if (next === null) break;
    now = next.due;
    if (next.every > 0) {
      next.due += next.every;
      next.seq = seq++;
    } else removeTimer(next);
    next.fn();
  }
  if (!halted) now = end;
}

/** The physical level of a pin changes now (a cut strap loop reads high: setPin("D1", true)). */
export function setPin(name: string, level: boolean): void {
  const p = pins[name];
  if (p.level === level) return;
  p.level = level;
  for (let i = 0; i < watches.length; i++) {
    const w = watches[i];
    if (w.pin !== p) continue;
    if (w.timer !== null) removeTimer(w.timer);
    w.timer = addTimer(() => watchFired(w), w.debounce, 0, true);
  }
}

/** A GATT write of these bytes to the command characteristic (as the central sent them). */
export function gattWrite(hex: string): void {
  if (onWrite === null) throw new Error("fake: no writable characteristic");
  onWrite({ data: (fromHex(hex) as Uint8Array).buffer as ArrayBuffer });
}

export function setBatteryVolts(v: number): void {
  batteryV = v;
}

/** The JsVar estimate (jsvar-model.ts) of what the bundle holds now; needs an instrumented bundle. */
export function jsvars(): string {
  const fns: unknown[] = [];
  let n = 0;
  for (let i = 0; i < timers.length; i++)
    if (timers[i].id > 0) {
      fns.push(timers[i].fn);
      n++;
    }
  for (let i = 0; i < watches.length; i++) fns.push(watches[i].fn);
  if (onWrite !== null) fns.push(onWrite);
  return JSON.stringify(countJsVars({ fns: fns, timers: n, watches: watches.length }, natives));
}

/** Everything that happened, for the test to check on the host. */
export function report(): string {
  return JSON.stringify({
    nowMs: now,
    adverts: adverts,
    logs: logs,
    pulses: pulses,
    uart: uart,
    pinModes: { D1: pins.D1.mode, D2: pins.D2.mode },
    watchdog: watchdog,
    flash: snapshot(),
    timers: timers.length,
    watches: watches.length,
  });
}
