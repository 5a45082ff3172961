// A fake of the Espruino globals the tag and home-unit bundles use, for running the shipped
// dist/firmware/tag.js and base.js on a host ES5 engine (Duktape) under virtual time. Compiled to
// ES5 with the device build (compileBundle, global name EspruinoFake) and prepended to the
// bundle; the test drives it through that global and reads what happened as JSON.
//
// Espruino behaviour kept on purpose, because the tag must cope with it:
// - timer ids are reused (the smallest free one), so a stale handle may cancel someone else's
//   timer; clearTimeout of an unknown or fired id does nothing (Espruino 2v29, measured);
// - setWatch debounce: the callback runs once a level has been stable for `debounce` ms (time =
//   that moment), and only when it differs from the last reported level;
// - Storage: a file's size is fixed when it is written at offset 0; a write at offset > 0 may
//   only program erased (0xFF) bytes of an existing file and throws otherwise; names ≤ 28;
// - the watchdog resets the board when not kicked for its timeout, and E.reboot() resets it at
//   once: either way everything stops;
// - require("Flash") is raw nRF52 NOR flash: only whole 4-byte words at word addresses are
//   written, programming can only clear bits (new = old AND data), and only a 4 KB page erase
//   sets them again. One free area is reported; touching flash outside it throws, because on a
//   board that would be the firmware or Storage;
// - POWER.RESETREAS (peek32/poke32) is write-1-to-clear;
// - Serial1 carries a scripted SIM800 (fake-sim800.ts) whose RESET is D8; NRF.connect and the
//   GATT calls return thenables of their own (Duktape has no Promise) that settle on a later
//   turn of the event loop, as Espruino's promises do.
// Plain functions and objects only: it runs in Duktape (ES5, no Map).

import { fromHex, sliceBytes, toHex } from "@em-platform/protocol/core/bytes";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { createSim800 } from "./fake-sim800";

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
  write(value: boolean): void;
}

/** What NRF.setScan's callback gets for one advertisement. */
interface ScanDevice {
  id: string;
  rssi: number;
  manufacturer: number;
  manufacturerData: ArrayBuffer;
}

interface ScanFilter {
  manufacturerData?: { [companyId: string]: object };
}

interface Thenable {
  then(ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown): Thenable;
}

interface Deferred extends Thenable {
  settle(rejected: boolean, v: unknown): void;
}

interface Subscriber {
  ok?: (v: unknown) => unknown;
  fail?: (e: unknown) => unknown;
  next: Deferred;
}

/** One NRF.connect and what went over it. */
interface GattSession {
  atMs: number;
  address: string;
  writes: { atMs: number; service: string; characteristic: string; data: string }[];
  disconnected: boolean;
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
/** E.setPassword's, and whether E.lockConsole() locked the console with it (and when). */
let consolePassword: string | null = null;
let consoleLockedAt = -1;
const batteryV = 3.0;
let rand = 12345;
const watchdog = { timeoutMs: 0, lastKick: 0, kicks: 0, bittenAt: -1 };

function pin(name: string, level: boolean): Pin {
  const p: Pin = {
    name: name,
    level: level,
    mode: "",
    read: () => p.level,
    write: (v: boolean) => digitalWrite(p, v),
  };
  return p;
}

// Tag: the strap loop and case switch are closed (intact) at power-on: D1 and D2 read low.
// Home unit: mains present (D3 high), case shut (D4 to GND), the modem's RESET released (D8
// high), the subject's button up (D10 pulled high); D31 is analog (analogIn).
const pins: { [name: string]: Pin } = {
  D1: pin("D1", false),
  D2: pin("D2", false),
  D3: pin("D3", true),
  D4: pin("D4", false),
  D5: pin("D5", false),
  D6: pin("D6", false),
  D7: pin("D7", false),
  D8: pin("D8", true),
  D9: pin("D9", false),
  D10: pin("D10", true),
  D31: pin("D31", false),
};
const led = pin("LED1", false);
/** analogRead values, 0…1 of full scale (3.6 V): D31 sees the 4.0 V backup cell through 1:2. */
const analogIn: { [name: string]: number } = { D31: 4000 / 7200 };
const digitalWrites: { atMs: number; pin: string; value: boolean }[] = [];

const RESETREAS = 0x40000400;
const registers: { [addr: number]: number } = {};
registers[RESETREAS] = 0;

let serialSetup: { baud: number; rx: string; tx: string } | null = null;
let serialFn: ((data: string) => void) | null = null;
let packetHook: ((type: number, atMs: number) => void) | null = null;
/** After the broker got a packet, before its answer is back (fake-sim800's 40 ms network). */
const PACKET_HOOK_MS = 20;
const modem = createSim800({
  later: (fn: () => void, ms: number) => {
    addTimer(fn, ms, 0, true);
  },
  deliver: (data: string) => {
    if (serialFn !== null) serialFn(data);
  },
  now: () => now,
  received: (type: number) => {
    const hook = packetHook;
    const atMs = now;
    if (hook !== null) addTimer(() => hook(type, atMs), PACKET_HOOK_MS, 0, true);
  },
});

let scanFn: ((d: ScanDevice) => void) | null = null;
let scanFilters: ScanFilter[] | null = null;
const gatt: GattSession[] = [];
const GATT_CONNECT_MS = 300;
const GATT_WRITE_MS = 30;
let rebootedAt = -1;

// nRF52 NOR flash: the one free area getFree() reports (72 pages of 4 KB: the event queue's 64,
// then the record log's 8).
const NOR_BASE = 0xb0000;
const NOR_SIZE = 0x48000;
const NOR_PAGE = 4096;
const nor = new Uint8Array(NOR_SIZE);
for (let i = 0; i < NOR_SIZE; i++) nor[i] = 0xff;
const norCounts = { writes: 0, erases: 0 };
const marks: { label: string; atMs: number; nor: { [addr: string]: string } }[] = [];

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
  // Espruino 2v29: an unknown or already-fired id is ignored, not an error.
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

/** A pin's level changes now, whoever drives it; debounced watches restart. */
function setLevel(p: Pin, level: boolean): void {
  if (p.level === level) return;
  p.level = level;
  for (let i = 0; i < watches.length; i++) {
    const w = watches[i];
    if (w.pin !== p) continue;
    if (w.timer !== null) removeTimer(w.timer);
    w.timer = addTimer(() => watchFired(w), w.debounce, 0, true);
  }
}

function digitalWrite(p: Pin, value: boolean): void {
  digitalWrites.push({ atMs: now, pin: p.name, value: value });
  setLevel(p, value);
  if (p === pins.D8) modem.setReset(value);
}

/** Espruino's E.toUint8Array for what the bundle passes: a string of byte values, or bytes. */
function toUint8Array(d: string | ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++)
    b[i] = typeof d === "string" ? d.charCodeAt(i) & 255 : (d as ArrayLike<number>)[i] & 255;
  return b;
}

/** A GATT promise: settles once, runs its subscribers on a later turn of the event loop. */
function deferred(): Deferred {
  let state = 0; // 0 pending, 1 resolved, 2 rejected
  let value: unknown;
  let subs: Subscriber[] = [];
  function run(): void {
    const list = subs;
    subs = [];
    addTimer(
      () => {
        for (let i = 0; i < list.length; i++) {
          const s = list[i];
          const h = state === 1 ? s.ok : s.fail;
          if (h === undefined) s.next.settle(state === 2, value);
          else
            try {
              s.next.settle(false, h(value));
            } catch (e) {
              s.next.settle(true, e);
            }
        }
      },
      0,
      0,
      true,
    );
  }
  const d: Deferred = {
    // biome-ignore lint/suspicious/noThenProperty: a thenable is the point (Espruino's GATT promises)
    then: (ok?: (v: unknown) => unknown, fail?: (e: unknown) => unknown) => {
      const next = deferred();
      subs.push({ ok: ok, fail: fail, next: next });
      if (state !== 0) run();
      return next;
    },
    settle: (rejected: boolean, v: unknown) => {
      if (state !== 0) return;
      const t = v as Thenable | null;
      if (!rejected && t !== null && typeof t === "object" && typeof t.then === "function") {
        t.then(
          (x: unknown) => d.settle(false, x),
          (e: unknown) => d.settle(true, e),
        );
        return;
      }
      state = rejected ? 2 : 1;
      value = v;
      if (subs.length > 0) run();
    },
  };
  return d;
}

function resolveLater(v: unknown, ms: number): Thenable {
  const d = deferred();
  addTimer(() => d.settle(false, v), ms, 0, true);
  return d;
}

function gattConnect(address: string): Thenable {
  const s: GattSession = { atMs: now, address: address, writes: [], disconnected: false };
  gatt.push(s);
  const characteristic = (service: string, uuid: string) => ({
    writeValue: (data: Uint8Array) => {
      if (s.disconnected) throw new Error("fake: GATT write after disconnect");
      s.writes.push({ atMs: now, service: service, characteristic: uuid, data: toHex(data) });
      return resolveLater(undefined, GATT_WRITE_MS);
    },
  });
  const server = {
    getPrimaryService: (service: string) =>
      resolveLater(
        { getCharacteristic: (uuid: string) => resolveLater(characteristic(service, uuid), 0) },
        0,
      ),
    disconnect: () => {
      s.disconnected = true;
    },
  };
  return resolveLater(server, GATT_CONNECT_MS);
}

/** The offset of [addr, addr + length) in the free NOR area; anything else is not ours. */
function norOffset(addr: number, length: number): number {
  if (!(addr >= NOR_BASE && length >= 0 && addr + length <= NOR_BASE + NOR_SIZE))
    throw new Error("fake: Flash access outside the free area at 0x" + addr.toString(16));
  return addr - NOR_BASE;
}

const flashModule = {
  getFree: () => [{ addr: NOR_BASE, length: NOR_SIZE }],
  getPage: (addr: number) =>
    addr >= 0 && addr < 0x100000 ? { addr: addr - (addr % NOR_PAGE), length: NOR_PAGE } : undefined,
  erasePage: (addr: number) => {
    const at = norOffset(addr - (addr % NOR_PAGE), NOR_PAGE);
    for (let i = 0; i < NOR_PAGE; i++) nor[at + i] = 0xff;
    norCounts.erases++;
  },
  write: (data: Uint8Array, addr: number) => {
    if (addr % 4 !== 0 || data.length % 4 !== 0)
      throw new Error("fake: Flash.write takes whole words at word addresses");
    const at = norOffset(addr, data.length);
    for (let i = 0; i < data.length; i++) nor[at + i] &= data[i];
    norCounts.writes++;
  },
  read: (length: number, addr: number) => {
    const at = norOffset(addr, length);
    return sliceBytes(nor, at, at + length);
  },
};

/** The NOR pages that are not erased, by address ("0xb0000"), as hex. */
function norPages(): { [addr: string]: string } {
  const out: { [addr: string]: string } = {};
  for (let p = 0; p < NOR_SIZE; p += NOR_PAGE) {
    let used = false;
    for (let i = 0; i < NOR_PAGE && !used; i++) if (nor[p + i] !== 0xff) used = true;
    if (used) out["0x" + (NOR_BASE + p).toString(16)] = toHex(sliceBytes(nor, p, p + NOR_PAGE));
  }
  return out;
}

function scanAccepts(companyId: number): boolean {
  if (scanFilters === null) return true;
  for (let i = 0; i < scanFilters.length; i++) {
    const m = scanFilters[i].manufacturerData;
    if (m !== undefined && m[String(companyId)] !== undefined) return true;
  }
  return false;
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
  read: (name: string): string | undefined => {
    const f = files[storageFile(name)];
    if (f === undefined) return undefined;
    let t = "";
    for (let i = 0; i < f.length; i++) t += String.fromCharCode(f[i]);
    return t;
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
  const pinNames = Object.keys(pins);
  for (let i = 0; i < pinNames.length; i++) g[pinNames[i]] = pins[pinNames[i]];
  g.LED1 = led;
  g.pinMode = (p: Pin, mode: string) => {
    p.mode = mode;
  };
  g.digitalWrite = digitalWrite;
  g.analogRead = (p: Pin) => (analogIn[p.name] === undefined ? 0 : analogIn[p.name]);
  g.peek32 = (addr: number) => {
    if (registers[addr] === undefined) throw new Error("fake: peek32 of an unmodelled address");
    return registers[addr];
  };
  g.poke32 = (addr: number, v: number) => {
    if (addr !== RESETREAS) throw new Error("fake: poke32 of an unmodelled address");
    registers[addr] = (registers[addr] & ~v) >>> 0;
  };
  g.Serial1 = {
    setup: (baud: number, o: { rx: Pin; tx: Pin }) => {
      serialSetup = { baud: baud, rx: o.rx.name, tx: o.tx.name };
    },
    write: (data: string | Uint8Array) => {
      if (serialSetup === null) throw new Error("fake: Serial1 written before setup");
      modem.write(toUint8Array(data));
    },
    on: (event: string, fn: (data: string) => void) => {
      if (event !== "data") throw new Error("fake: Serial1 event " + event);
      serialFn = fn;
    },
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
    setScan: (fn?: (d: ScanDevice) => void, o?: { filters?: ScanFilter[] }) => {
      scanFn = fn === undefined ? null : fn;
      scanFilters = o !== undefined && o.filters !== undefined ? o.filters : null;
    },
    connect: gattConnect,
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
    setPassword: (p: string) => {
      // The console appends at most 20 typed characters to a password line: a longer one
      // could never be typed, and the board would be locked for good.
      if (typeof p !== "string" || p.length > 20)
        throw new Error("fake: E.setPassword wants a string of at most 20 characters");
      consolePassword = p;
    },
    lockConsole: () => {
      if (consolePassword !== null && consoleLockedAt < 0) consoleLockedAt = now;
    },
    reboot: () => {
      rebootedAt = now;
      halted = true; // the board resets: nothing of this run goes on
    },
    toUint8Array: toUint8Array,
  };
  g.require = (name: string) => {
    if (name === "Storage") return storage;
    if (name === "crypto") return crypto;
    if (name === "Flash") return flashModule;
    throw new Error("Module " + name + " not found");
  };
  g.console = {
    log: (msg: unknown) => {
      logs.push(String(msg));
    },
  };
  // What require() above answers, as Espruino lists it (a Puck.js build: with crypto).
  g.process = { env: { VERSION: "2v29", MODULES: "timer,Flash,Storage,heatshrink,crypto" } };
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
  setLevel(pins[name], level);
}

/** What POWER.RESETREAS holds at boot (the reset that brought the board up). */
export function setResetReason(bits: number): void {
  registers[RESETREAS] = bits;
}

/**
 * One advertisement on air now, as the scanner hears it; false when nobody scans for it (no
 * setScan callback, or its filters do not take this company id).
 */
export function advertise(id: string, rssi: number, companyId: number, hex: string): boolean {
  if (scanFn === null || !scanAccepts(companyId)) return false;
  const data = fromHex(hex) as Uint8Array;
  scanFn({
    id: id,
    rssi: rssi,
    manufacturer: companyId,
    manufacturerData: data.buffer as ArrayBuffer,
  });
  return true;
}

/** The broker publishes this (QoS 1) to the unit, over the modem's socket. */
export function brokerPublish(topic: string, hex: string, packetId: number): void {
  modem.brokerPublish(topic, fromHex(hex) as Uint8Array, packetId);
}

/** The broker (or the backhaul to it) goes away, or comes back: see fake-sim800.ts. */
export function brokerReachable(up: boolean): void {
  modem.setBrokerReachable(up);
}

/**
 * fn(type, atMs) runs 20 ms after the broker received each MQTT packet from the unit: on a turn
 * of the event loop of its own, while a PUBLISH waits for its PUBACK.
 */
export function onBrokerPacket(fn: (type: number, atMs: number) => void): void {
  packetHook = fn;
}

/** Remembers the NOR flash as it is now, under a label, for the report. */
export function mark(label: string): void {
  marks.push({ label: label, atMs: now, nor: norPages() });
}

/** A GATT write of these bytes to the command characteristic (as the central sent them). */
export function gattWrite(hex: string): void {
  if (onWrite === null) throw new Error("fake: no writable characteristic");
  onWrite({ data: (fromHex(hex) as Uint8Array).buffer as ArrayBuffer });
}

/** Everything that happened, for the test to check on the host. */
export function report(): string {
  return JSON.stringify({
    nowMs: now,
    adverts: adverts,
    logs: logs,
    pulses: pulses,
    uart: uart,
    console: { password: consolePassword, lockedAtMs: consoleLockedAt },
    pinModes: pinModes(),
    watchdog: watchdog,
    flash: snapshot(),
    timers: timers.length,
    watches: watches.length,
    digitalWrites: digitalWrites,
    resetReason: registers[RESETREAS],
    rebootedAt: rebootedAt,
    serial: serialSetup,
    modem: modem.report(),
    scanning: scanFn !== null,
    gatt: gatt,
    nor: norPages(),
    norCounts: norCounts,
    marks: marks,
  });
}

/** The modes set with pinMode, by pin (pins never set are left out). */
function pinModes(): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  const names = Object.keys(pins);
  for (let i = 0; i < names.length; i++)
    if (pins[names[i]].mode !== "") out[names[i]] = pins[names[i]].mode;
  return out;
}
