// A virtual bench for the home unit on the real engine: the shipped base.js booted from Storage
// on `espruino-jolt` (a Jolt.js-sized Espruino 2v29 for Linux), its Serial1 on a real
// pseudo-terminal wired to the simulator's virtual SIM800 (real TCP to a real broker), and a
// second pseudo-terminal on Serial2 through which the bench injects BLE beacons into the scan
// callback the firmware registered and asks for process.memory().
//
//   espruino-jolt ── Serial1 ── /dev/pts/N ══ socat ══ TCP 127.0.0.1 ── VirtualModem ── broker
//   espruino-jolt ── Serial2 ── /dev/pts/M ══ socat ══ TCP 127.0.0.1 ── the bench (beacons, MEM)
//
// Each UART is a socat pty bridged to a local TCP socket (serial-bridge.ts, which says why).
//
// Why Serial2 for injection: the Linux build runs a script in file mode without stdin, and has
// no `fs` module (process.env.MODULES is "timer,Flash,Storage,heatshrink"), but it has Serial2.
//
// The bench's own engine code (bench.js) is written to Storage and evaluated from there like the
// bundle, so its functions stay in flash; its RAM cost is measured before the bundle boots
// (`harness` in `bootMemory`). It keeps to `__`-prefixed globals: a bundle's names are globals.
// The modem's RESET line (D8) is wired: `digitalWrite(D8, …)` reaches the bench over Serial2 and
// powers the virtual SIM800 off and on, as the board's reset does. The mains sense input (D3)
// is the bench's too: present at every boot, pulled out and back by `setMains`.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromHex, readU32BE, toHex } from "@em-platform/protocol/core/bytes";
import { decodeCbor } from "@em-platform/protocol/core/cbor";
import { MAC_REFILL_MS } from "../../firmware/base/presence/beacon-acceptor";
import type { ModemLatency } from "../../simulator/modem/latency";
import { Network, Outage } from "../../simulator/modem/network";
import { RealTimeClock } from "../../simulator/modem/real-time-clock";
import { VirtualModem } from "../../simulator/modem/virtual-modem";
import { unitFiles } from "../lab/provision-records";
import { BenchBoard, controlLineJs } from "./bench-board";
import type { EngineMemory } from "./espruino-board";
import { lines, type SerialBridge, serialBridge } from "./serial-bridge";

export const BENCH_NUMBER = "+37120000099";

/** The SIM800's boot and bring-up shortened (the driver's own waits are unchanged). */
export const QUICK_SIM800: Partial<ModemLatency> = {
  rdyMs: 300,
  simMs: 400,
  callReadyMs: 600,
  smsReadyMs: 700,
  registerMs: 400,
  nitzMs: 300,
  attachMs: 100,
  contextMs: 200,
  connectMs: 50,
};

export interface HomeUnitBenchOptions {
  /** The built bundle (dist/firmware/base.js or a test's own build). */
  bundle: string;
  brokerHost: string;
  brokerPort: number;
  /** Fleet root secret (key version 1): the unit's and the tag's keys derive from it (SPEC §2). */
  root: Uint8Array;
  unitId: number;
  tagId: number;
  /** BLE company id of the beacons. Default 0xffff. */
  companyId?: number;
  /** The unit's SIM number. Default BENCH_NUMBER. */
  number?: string;
  centreNumbers?: string[];
  officerNumbers?: string[];
  /** Replaces entries of the SIM800 latency table (shorter boot for quick tests). */
  latency?: Partial<ModemLatency>;
  /** Every chunk of console output, as it comes. */
  onConsole?: (text: string) => void;
}

/** What answers the unit's GATT central on the bench: the tag's interpreter (bench-air.ts). */
export interface BenchGatt {
  /** The unit connects to `address` ("c0:…:01", no type); true when a device there accepts. */
  connect(address: string): Promise<boolean>;
  /** One write request to the command characteristic; true when it was acknowledged. */
  write(bytes: Uint8Array): Promise<boolean>;
  disconnect(): void;
}

/** What the bench wires around a board that is already provisioned. */
export type BenchWiring = Omit<
  HomeUnitBenchOptions,
  "bundle" | "root" | "brokerHost" | "brokerPort"
>;

/** One record of the event queue as it sits on the unit's flash (firmware/README.md). */
export interface QueueRecord {
  /** Flash address of the record. */
  addr: number;
  cls: number;
  delivered: boolean;
  /** The CBOR event (seq, time, code, tag, data) exactly as uplinked. */
  body: Uint8Array;
  seq: number;
  code: number;
}

/** Where a linux build's fake flash starts (FLASH_START): the file holds it from offset 0. */
const FLASH_START = 0x10000000;
const PAGE = 4096;
const SEGMENT_MAGIC = "ee5101ff";

/** The unit's GATT central on the bench: each step goes to the bench over Serial2 ("C id address",
 * "W id hex", "D id") and waits for its answer ("c id 1|0", "w id 1|0"); the bench's air
 * (bench-air.ts) carries it to the tag. Only the HIL bench (onBoard) has it: it costs ~27 JsVars,
 * which a device's native NRF does not, and the RAM benches (create) count the stubs with the
 * unit, so they keep the plain refusal. */
const GATT_CENTRAL_JS = `  var gq = {}, gn = 0;
  var gsay = function (line) { Serial2.write(line + "\\n"); };
  var gwait = function (k) { return new Promise(function (res, rej) { gq[k] = [res, rej]; }); };
  global.__gattAnswer = function (k, ok) {
    var q = gq[k];
    delete gq[k];
    if (q) { if (ok) q[0](); else q[1](new Error("bench: " + k + " failed")); }
  };
`;
const GATT_CONNECT_JS = `    connect: function (address) {
      var id = ++gn;
      gsay("C " + id + " " + address.split(" ")[0]);
      return gwait("c" + id).then(function () {
        var chr = { writeValue: function (v) {
          var h = "";
          for (var i = 0; i < v.length; i++) h += (v[i] < 16 ? "0" : "") + v[i].toString(16);
          gsay("W " + id + " " + h);
          return gwait("w" + id);
        } };
        var svc = { getCharacteristic: function () { return Promise.resolve(chr); } };
        return {
          getPrimaryService: function () { return Promise.resolve(svc); },
          disconnect: function () { gsay("D " + id); return Promise.resolve(); }
        };
      });
    },
`;
const NO_RADIO_JS = `    connect: function () { return Promise.reject(new Error("no BLE on the bench")); },
`;

/** The bench's engine side, evaluated from Storage before the bundle; `__pty1`/`__pty2` are set
 * by the boot script. Espruino 2v29: 1-character split and indexOf only. */
const benchJs = (radio: boolean) => `(function () {
${radio ? GATT_CENTRAL_JS : ""}  var dw = digitalWrite;
  global.peek32 = function () { return 4; };
  global.poke32 = function () {};
  global.analogRead = function () { return 0.6; };
  global.NRF = {
    setScan: function (fn) { global.__scan = fn; },
${radio ? GATT_CONNECT_JS : NO_RADIO_JS}    setServices: function () {},
    setAdvertising: function () {}
  };
  // The mains sense input (the board's D3, high while mains is present): the Linux build reads
  // every pin low, which the unit would take for mains lost at boot. The bench drives it ("P").
  var mains = true, mainsWatch = null, rd = digitalRead, sw = setWatch, cw = clearWatch;
  Pin.prototype.read = function () { return this == D3 ? mains : rd(this) == 1; };
  global.setWatch = function (f, p, o) { if (p == D3) { mainsWatch = f; return 99; } return sw(f, p, o); };
  global.clearWatch = function (id) { if (id === 99) mainsWatch = null; else if (id === undefined) cw(); else cw(id); };
  var s1 = Serial1.setup;
  Serial1.setup = function (baud, o) { o.path = __pty1; s1.call(Serial1, baud, o); };
  global.digitalWrite = function (p, v) {
    if (p === D8) Serial2.write(v ? "R1\\n" : "R0\\n");
    dw(p, v);
  };
${controlLineJs(
  "__pty2",
  `      else if (c[0] === "P") {
        mains = c[1] === "1";
        if (mainsWatch) mainsWatch({ state: mains, time: getTime(), lastTime: getTime() });
      }
      else if (c[0] === "K") Serial2.setConsole(true);
      else if ((c[0] === "c" || c[0] === "w") && global.__gattAnswer) __gattAnswer(c[0] + c[1], c[2] === "1");
      else if (c[0] === "B" && global.__scan) {
        var h = c[3];
        var a = new Uint8Array(h.length / 2);
        for (var j = 0; j < a.length; j++) a[j] = parseInt(h.substr(2 * j, 2), 16);
        global.__scan({ id: c.slice(4).join(" "), rssi: +c[1], manufacturer: +c[2], manufacturerData: a.buffer });
      }`,
)}})();
`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class HomeUnitBench extends BenchBoard {
  readonly clock = new RealTimeClock();
  readonly network: Network;
  readonly modem: VirtualModem;
  /** RESET-line pulses seen (the driver power-cycling the modem). */
  modemResets = 0;
  /** The radio the unit connects to as a GATT central (a BenchAir); null: nothing answers. */
  gatt: BenchGatt | null = null;

  private constructor(
    readonly o: BenchWiring,
    private readonly uart: SerialBridge,
    control: SerialBridge,
    bootFile: string,
    dir?: string,
  ) {
    super("espruino-jolt", control, bootFile, "the unit", dir);
    this.onConsole = o.onConsole ?? null;
    this.network = new Network({ clock: this.clock });
    this.modem = new VirtualModem({
      clock: this.clock,
      network: this.network,
      number: o.number ?? BENCH_NUMBER,
      area: null,
      latency: o.latency,
      // Off until the unit's driver releases the reset line, as on the board.
      autoBoot: false,
    });
    this.modem.uart.onData((bytes) => this.uart.socket?.write(Buffer.from(bytes)));
    this.uart.onData = (d) => this.modem.uart.write(new Uint8Array(d));
    this.control.onData = lines((c) => {
      if (c === "R0") {
        this.modemResets++;
        this.modem.powerOff();
      } else if (c === "R1") this.modem.powerOn();
      else this.central(c.split(" "));
    });
  }

  /** A board in a fresh folder, provisioned: the three records, bench.js and the bundle in
   * Storage (4 KB chunks, CRC-checked). */
  static async create(o: HomeUnitBenchOptions): Promise<HomeUnitBench> {
    const b = new HomeUnitBench(o, await serialBridge(), await serialBridge(), "base.js");
    const files = unitFiles(o.root, o.unitId, o.tagId, o.companyId ?? 0xffff, {
      brokerHost: o.brokerHost,
      brokerPort: o.brokerPort,
      apn: "em.m2m",
      apnUser: "",
      apnPass: "",
      centreNumbers: o.centreNumbers ?? ["+37129000000"],
      officerNumbers: o.officerNumbers ?? ["+37129000001"],
    });
    for (const name of Object.keys(files)) b.board.writeFile(name, files[name]);
    b.board.writeFile("bench.js", benchJs(false));
    b.board.writeFile("base.js", readFileSync(o.bundle, "latin1"));
    return b;
  }

  /**
   * A board provisioned the way a lab does it — `lab flash` and `lab provision` over its console
   * (the HIL suite) — in `dir`: only the bench's own stubs (bench.js: the radio and the modem's
   * reset line, which a Linux build lacks) are added; the bundle boots from `bootFile`.
   */
  static async onBoard(dir: string, bootFile: string, o: BenchWiring): Promise<HomeUnitBench> {
    const b = new HomeUnitBench(o, await serialBridge(), await serialBridge(), bootFile, dir);
    b.board.writeFile("bench.js", benchJs(true));
    return b;
  }

  /** The flash file the interpreter keeps in the board's folder. */
  get flashFile(): string {
    return join(this.board.dir, "espruino.flash");
  }

  /** Starts the interpreter on the board's flash: Serial1 to the modem, Serial2 the bench's. */
  boot(): Promise<void> {
    return this.start([
      ["__pty1", this.uart],
      ["__pty2", this.control],
    ]);
  }

  /**
   * A backlog and its drain: packet data is cut, `frames` are heard 60 ms apart (their events
   * queue in flash), data comes back, and process.memory() is sampled until every record on the
   * flash pages is acknowledged. Returns the events queued, the drain's peak and the level after.
   */
  async drainBacklog(
    frames: Uint8Array[],
    timeoutMs: number,
  ): Promise<{ events: number; peak: EngineMemory; after: EngineMemory }> {
    const sub = this.network.subscriber(this.o.number ?? BENCH_NUMBER);
    if (sub === null) throw new Error("bench: the modem is not on the network");
    const pending = () => this.queueRecords().filter((r) => !r.delivered).length;
    const before = this.queueRecords().length;
    sub.beginOutage(Outage.packet);
    await sleep(500);
    // One new frame per MAC_REFILL_MS: faster, the unit's MAC budget drops them as a flood
    // (beacon_flood), as it must; a genuine tag sends one per 2 s at most.
    for (const f of frames) {
      this.beacon(f);
      await sleep(MAC_REFILL_MS + 10);
    }
    let last = -1;
    // Queued when the count has stopped growing for a second.
    while (pending() !== last) {
      last = pending();
      await sleep(1000);
    }
    const events = this.queueRecords().length - before;
    sub.endOutage(Outage.packet);
    const end = Date.now() + timeoutMs;
    let peak = await this.memory();
    while (pending() > 0) {
      if (Date.now() > end) throw new Error("bench: the backlog did not drain:\n" + this.tail());
      const m = await this.memory();
      if (m.usage > peak.usage) peak = m;
    }
    return { events: events, peak: peak, after: await this.memory() };
  }

  /** One advertisement heard: `payload` is the manufacturer data after the company id. */
  beacon(payload: Uint8Array, rssi = -60, address?: string): void {
    const company = this.o.companyId ?? 0xffff;
    const id = address ?? defaultAddress(payload);
    this.send(`B ${rssi} ${company} ${toHex(payload)} ${id}`);
  }

  /**
   * A cable on the unit's wired console, as whoever opens the case attaches one: the console
   * is moved onto the bench's control line (Serial2), which then carries nothing else — no
   * beacons, no memory reports, no GATT — until the next boot. `type` sends bytes as typed;
   * `output` is everything the console has answered since.
   */
  async wiredConsole(): Promise<{ type(text: string): void; output(): string }> {
    let out = "";
    this.send("K");
    await sleep(300);
    this.control.onData = (d) => {
      out += d.toString("latin1");
    };
    return {
      type: (text) => this.control.socket?.write(Buffer.from(text, "latin1")),
      output: () => out,
    };
  }

  /** Mains plugged in (true, as at every boot) or pulled out: the unit's mains sense input. */
  setMains(on: boolean): void {
    this.send(`P ${on ? 1 : 0}`);
  }

  /** Every event-queue record on the unit's flash, read from the flash file: segments are
   * 4 KB pages starting with the magic EE 51 01 FF (firmware/README.md, "Event queue"). */
  queueRecords(): QueueRecord[] {
    const f = readFileSync(this.flashFile);
    const out: QueueRecord[] = [];
    for (let page = 0; page + PAGE <= f.length; page += PAGE) {
      if (f.subarray(page, page + 4).toString("hex") !== SEGMENT_MAGIC) continue;
      let p = page + 12;
      while (p + 6 <= page + PAGE && f[p] === 0xe7) {
        const len = f[p + 1];
        if (p + 6 + len > page + PAGE) break;
        const body = new Uint8Array(f.subarray(p + 4, p + 4 + len));
        const crc = crc16(Buffer.concat([f.subarray(p, p + 3), f.subarray(p + 4, p + 4 + len)]));
        if (crc !== ((f[p + 4 + len] << 8) | f[p + 5 + len])) break; // torn: the segment is sealed
        const head = eventHead(body);
        out.push({
          addr: FLASH_START + p,
          cls: f[p + 2],
          delivered: f[p + 3] === 0,
          body,
          seq: head.seq,
          code: head.code,
        });
        p += len + 6;
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  async dispose(): Promise<void> {
    await this.close([this.uart, this.control]);
    this.modem.powerOff();
    await this.board.dispose();
  }

  /** The unit's GATT central (NRF.connect and what follows), carried out on the bench's air. */
  private central(c: string[]): void {
    const gatt = this.gatt;
    const answer = (k: string) => (ok: boolean) => {
      if (this.control.socket !== null) this.send(`${k} ${c[1]} ${ok ? 1 : 0}`);
    };
    if (c[0] === "C")
      void (gatt === null ? Promise.resolve(false) : gatt.connect(c[2])).then(answer("c"));
    else if (c[0] === "W")
      void (gatt === null ? Promise.resolve(false) : gatt.write(fromHex(c[2]) as Uint8Array)).then(
        answer("w"),
      );
    else if (c[0] === "D") gatt?.disconnect();
  }
}

/** A BLE random static address from the tag id (SPEC §4 bytes 1…4), as the scan reports it. */
export function defaultAddress(payload: Uint8Array): string {
  const id = payload.length >= 5 ? readU32BE(payload, 1) : 0;
  const hex = id.toString(16).padStart(8, "0");
  return `c0:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:01 random`;
}

/** CRC-16/CCITT-FALSE (the queue's record check). */
function crc16(b: Uint8Array): number {
  let crc = 0xffff;
  for (const x of b) {
    crc ^= x << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : crc << 1;
    crc &= 0xffff;
  }
  return crc;
}

/** seq and code of a queued event: the CBOR array [seq, time, code, tag, data] (SPEC §9). */
function eventHead(b: Uint8Array): { seq: number; code: number } {
  const d = decodeCbor(b);
  if (!d.ok || !Array.isArray(d.value)) return { seq: -1, code: -1 };
  return { seq: d.value[0] as number, code: d.value[2] as number };
}
