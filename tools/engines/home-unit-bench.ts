// A virtual bench for the home unit on the real engine: the shipped base.js booted from Storage
// on `espruino-jolt` (a Jolt.js-sized Espruino 2v29 for Linux), its Serial1 on a real
// pseudo-terminal wired to the simulator's virtual SIM800 (real TCP to a real broker), and a
// second pseudo-terminal on Serial2 through which the bench injects BLE beacons into the scan
// callback the firmware registered and asks for process.memory().
//
//   espruino-jolt ── Serial1 ── /dev/pts/N ══ socat ══ TCP 127.0.0.1 ── VirtualModem ── broker
//   espruino-jolt ── Serial2 ── /dev/pts/M ══ socat ══ TCP 127.0.0.1 ── the bench (beacons, MEM)
//
// Why socat bridges each pty to a local TCP socket rather than Node opening the pty itself:
// Node has no pty API without a native addon, a pty read through fs streams blocks a libuv
// thread and cannot be cancelled, and the socket gives open/close events for free. The engine
// sees a real tty either way. Each boot gets fresh ptys, so a killed interpreter's unread bytes
// die with it, as they would in a real UART's FIFO at a power cut.
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

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { readU32BE, toHex } from "@em-platform/protocol/core/bytes";
import { decodeCbor } from "@em-platform/protocol/core/cbor";
import { MAC_REFILL_MS } from "../../firmware/base/presence/beacon-acceptor";
import type { ModemLatency } from "../../simulator/modem/latency";
import { Network, Outage } from "../../simulator/modem/network";
import { RealTimeClock } from "../../simulator/modem/real-time-clock";
import { VirtualModem } from "../../simulator/modem/virtual-modem";
import { unitFiles } from "../lab/provision-records";
import { type EngineMemory, EspruinoBoard, readMemory } from "./espruino-board";

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

/** The bench's engine side, evaluated from Storage before the bundle; `__pty1`/`__pty2` are set
 * by the boot script. Espruino 2v29: 1-character split and indexOf only. */
const BENCH_JS = `(function () {
  var dw = digitalWrite;
  global.peek32 = function () { return 4; };
  global.poke32 = function () {};
  global.analogRead = function () { return 0.6; };
  global.NRF = {
    setScan: function (fn) { global.__scan = fn; },
    connect: function () { return Promise.reject(new Error("no BLE on the bench")); },
    setServices: function () {},
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
  Serial2.setup(115200, { path: __pty2 });
  var buf = "";
  Serial2.on("data", function (d) {
    buf += d;
    for (var i = buf.indexOf("\\n"); i >= 0; i = buf.indexOf("\\n")) {
      var c = buf.slice(0, i).split(" ");
      buf = buf.slice(i + 1);
      if (c[0] === "M") print("MEM " + c[1] + " " + JSON.stringify(process.memory()));
      else if (c[0] === "P") {
        mains = c[1] === "1";
        if (mainsWatch) mainsWatch({ state: mains, time: getTime(), lastTime: getTime() });
      }
      else if (c[0] === "B" && global.__scan) {
        var h = c[3];
        var a = new Uint8Array(h.length / 2);
        for (var j = 0; j < a.length; j++) a[j] = parseInt(h.substr(2 * j, 2), 16);
        global.__scan({ id: c.slice(4).join(" "), rssi: +c[1], manufacturer: +c[2], manufacturerData: a.buffer });
      }
    }
  });
})();
`;

interface Bridge {
  server: net.Server;
  port: number;
  socket: net.Socket | null;
  onData: (b: Buffer) => void;
}

async function bridge(onData: (b: Buffer) => void): Promise<Bridge> {
  const b: Bridge = { server: net.createServer(), port: 0, socket: null, onData };
  b.server.on("connection", (s) => {
    s.setNoDelay(true);
    b.socket?.destroy();
    b.socket = s;
    s.on("data", (d) => b.onData(d));
    s.on("error", () => {});
    s.on("close", () => {
      if (b.socket === s) b.socket = null;
    });
  });
  await new Promise<void>((r) => b.server.listen(0, "127.0.0.1", () => r()));
  b.port = (b.server.address() as net.AddressInfo).port;
  return b;
}

/** socat: a fresh pty (raw, no echo) bridged to the bridge's TCP port; resolves with the pty's path. */
async function ptyTo(b: Bridge): Promise<{ proc: ChildProcess; path: string }> {
  b.socket?.destroy(); // the last boot's pty, if its close is still under way
  b.socket = null;
  const proc = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "tcp:127.0.0.1:" + b.port], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  const path = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error("socat gave no pty: " + err)), 5000);
    proc.stderr?.on("data", (d) => {
      err += d;
      const m = /PTY is (\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        res(m[1]);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error("socat exited (" + code + "): " + err));
    });
  });
  // The TCP leg is connected once the bridge sees the socket.
  const until = Date.now() + 5000;
  while (b.socket === null && Date.now() < until) await sleep(10);
  if (b.socket === null) throw new Error("socat did not connect to the bench: " + err);
  return { proc, path };
}

/** A whole memory report line (output arrives in chunks: wait for the line's end). */
const memLine = (tag: string) => new RegExp("MEM " + tag + " \\{[^\\n]*\\}\\r?\\n");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether socat (the pty pairs) is installed; null when it is, else why the bench cannot run. */
export function socatMissing(): string | null {
  const r = (process.env.PATH ?? "").split(":").some((d) => d !== "" && canRun(join(d, "socat")));
  return r ? null : "socat is not installed (Debian package socat): the bench's ptys need it";
}

function canRun(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class HomeUnitBench {
  readonly board: EspruinoBoard;
  readonly clock = new RealTimeClock();
  readonly network: Network;
  readonly modem: VirtualModem;
  /** Everything the interpreter printed, every boot. */
  console = "";
  /** Console output of the current boot only. */
  bootConsole = "";
  boots = 0;
  /** RESET-line pulses seen (the driver power-cycling the modem). */
  modemResets = 0;
  private engine: ChildProcess | null = null;
  private socats: ChildProcess[] = [];
  private probes = 0;

  private constructor(
    readonly o: BenchWiring,
    private readonly uart: Bridge,
    private readonly control: Bridge,
    /** The Storage file the bundle boots from. */
    private readonly bootFile: string,
    dir?: string,
  ) {
    this.board = new EspruinoBoard("espruino-jolt", dir);
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
    let line = "";
    this.control.onData = (d) => {
      line += d.toString("latin1");
      for (let i = line.indexOf("\n"); i >= 0; i = line.indexOf("\n")) {
        const c = line.slice(0, i);
        line = line.slice(i + 1);
        if (c === "R0") {
          this.modemResets++;
          this.modem.powerOff();
        } else if (c === "R1") this.modem.powerOn();
      }
    };
  }

  /** A board in a fresh folder, provisioned: the three records, bench.js and the bundle in
   * Storage (4 KB chunks, CRC-checked). */
  static async create(o: HomeUnitBenchOptions): Promise<HomeUnitBench> {
    const nothing = () => {};
    const b = new HomeUnitBench(o, await bridge(nothing), await bridge(nothing), "base.js");
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
    b.board.writeFile("bench.js", BENCH_JS);
    b.board.writeFile("base.js", readFileSync(o.bundle, "latin1"));
    return b;
  }

  /**
   * A board provisioned the way a lab does it — `lab flash` and `lab provision` over its console
   * (the HIL suite) — in `dir`: only the bench's own stubs (bench.js: the radio and the modem's
   * reset line, which a Linux build lacks) are added; the bundle boots from `bootFile`.
   */
  static async onBoard(dir: string, bootFile: string, o: BenchWiring): Promise<HomeUnitBench> {
    const nothing = () => {};
    const b = new HomeUnitBench(o, await bridge(nothing), await bridge(nothing), bootFile, dir);
    b.board.writeFile("bench.js", BENCH_JS);
    return b;
  }

  /** The flash file the interpreter keeps in the board's folder. */
  get flashFile(): string {
    return join(this.board.dir, "espruino.flash");
  }

  /**
   * Starts the interpreter on the board's flash: fresh ptys, the bench's stubs from Storage, a
   * memory report (`harness`), the bundle from Storage, a memory report (`boot`). Resolves once
   * the bundle's boot code has run.
   */
  async boot(): Promise<void> {
    if (this.engine !== null) throw new Error("already running");
    const p1 = await ptyTo(this.uart);
    this.socats.push(p1.proc);
    const p2 = await ptyTo(this.control);
    this.socats.push(p2.proc);
    this.boots++;
    this.bootConsole = "";
    const script =
      `global.__pty1 = ${JSON.stringify(p1.path)}; global.__pty2 = ${JSON.stringify(p2.path)};\n` +
      `eval(require("Storage").read("bench.js"));\n` +
      `print("MEM harness${this.boots} " + JSON.stringify(process.memory()));\n` +
      `eval(require("Storage").read(${JSON.stringify(this.bootFile)}));\n` +
      `print("MEM boot${this.boots} " + JSON.stringify(process.memory()));\n`;
    this.engine = this.board.start(
      script,
      (t) => {
        this.console += t;
        this.bootConsole += t;
        this.o.onConsole?.(t);
      },
      true,
    );
    await this.waitConsole(memLine("boot" + this.boots), 20000, "the bundle booted");
  }

  /** JsVars reported just before (`harness`) and just after (`boot`) the bundle's boot code. */
  bootMemory(boot = this.boots): { harness: EngineMemory; boot: EngineMemory } {
    const h = readMemory(this.console, "harness" + boot);
    const b = readMemory(this.console, "boot" + boot);
    if (h === null || b === null) throw new Error("no boot memory report for boot " + boot);
    return { harness: h, boot: b };
  }

  /** process.memory() now (after its garbage collection). */
  async memory(): Promise<EngineMemory> {
    const tag = "probe" + ++this.probes;
    this.send("M " + tag);
    await this.waitConsole(memLine(tag), 10000, "memory report " + tag);
    return readMemory(this.console, tag) as EngineMemory;
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

  /** Mains plugged in (true, as at every boot) or pulled out: the unit's mains sense input. */
  setMains(on: boolean): void {
    this.send(`P ${on ? 1 : 0}`);
  }

  /** Waits until the console (this boot) matches. */
  async waitConsole(re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.bootConsole);
      if (m) return m;
      if (this.engine === null || this.engine.exitCode !== null || this.engine.signalCode !== null)
        throw new Error(`${what}: the interpreter is not running; it said:\n${this.tail()}`);
      if (Date.now() > until) throw new Error(`${what}: timed out; the unit said:\n${this.tail()}`);
      await sleep(20);
    }
  }

  tail(chars = 2000): string {
    return this.bootConsole.slice(-chars);
  }

  /** A power cut: SIGKILL the interpreter; the ptys go with it. Flash stays. */
  async kill(): Promise<void> {
    await this.board.killAll();
    this.engine = null;
    await this.stopSocats();
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
    await this.kill();
    this.modem.powerOff();
    for (const b of [this.uart, this.control]) {
      b.socket?.destroy();
      await new Promise<void>((r) => b.server.close(() => r()));
    }
    await this.board.dispose();
  }

  private send(line: string): void {
    const s = this.control.socket;
    if (s === null) throw new Error("the bench's Serial2 is not connected");
    s.write(line + "\n");
  }

  private async stopSocats(): Promise<void> {
    const all = this.socats.splice(0);
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((res) => {
            if (c.exitCode !== null || c.signalCode !== null) return res();
            c.once("exit", () => res());
            c.kill("SIGTERM");
          }),
      ),
    );
  }
}

/** A BLE random static address from the tag id (SPEC §4 bytes 1…4), as the scan reports it. */
function defaultAddress(payload: Uint8Array): string {
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
