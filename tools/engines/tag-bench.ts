// A virtual bench for the tag on the real engine: the bundle a lab flashed (`.bootcde` on
// `espruino-puck`, a Puck.js-sized Espruino 2v29 for Linux) booted in real time, with what a
// Linux build lacks stubbed before it over a pseudo-terminal on Serial2 (serial-bridge.ts):
//
//   espruino-puck ── Serial2 ── /dev/pts/N ══ socat ══ TCP 127.0.0.1 ── the bench
//
// | tag → bench                 | what                                                        |
// | --------------------------- | ----------------------------------------------------------- |
// | `A interval company hex`    | NRF.setAdvertising: the frame now on air and how often it   |
// |                             | repeats (the bench's air, bench-air.ts, carries the copies) |
// | bench → tag                 |                                                             |
// | `S pin level`               | the strap loop (pin 1) or case switch (pin 2): 1 = open     |
// | `W hex`                     | a GATT write to the command characteristic (onWrite)        |
// | `M tag`                     | print process.memory()                                      |
//
// Booted by a file-mode script, not by the engine: in file mode this Linux build does not run
// `.bootcde`, so the stubs go first and then exactly the flashed file is evaluated from Storage.
// The stubs live in Storage too (bench.js), so their code stays in flash as the bundle's does.
// The counter log gets the two pages at the top of Storage the RAM benches lend it (ram.ts,
// TAG_LOG_PAGES): the engine's Flash.getFree() would otherwise hand it Storage's own pages.

import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { BenchBoard, controlLineJs } from "./bench-board";
import { storageEnd, TAG_LOG_PAGES } from "./ram";
import { lines, type SerialBridge, serialBridge } from "./serial-bridge";

/** One NRF.setAdvertising call: the frame stays on air, repeated every intervalMs, until the next. */
export interface Advert {
  /** Host clock (Date.now()) when the bench heard of it. */
  atMs: number;
  intervalMs: number;
  company: number;
  payload: Uint8Array;
}

const TAG_BENCH_JS = `(function () {
  var F = require("Flash");
  F.getFree = function () { return [{ addr: ${TAG_LOG_PAGES.addr}, length: ${TAG_LOG_PAGES.length} }]; };
  var level = {}, watches = [], onWrite = null;
  Pin.prototype.read = function () { return !!level[this]; };
  global.setWatch = function (fn, pin) { watches.push({ fn: fn, pin: pin }); return watches.length; };
  global.NRF = {
    setAdvertising: function (d, o) {
      var b = new Uint8Array(o.manufacturerData), h = "";
      for (var i = 0; i < b.length; i++) h += (b[i] < 16 ? "0" : "") + b[i].toString(16);
      Serial2.write("A " + o.interval + " " + o.manufacturer + " " + h + "\\n");
    },
    setServices: function (s) {
      for (var sv in s) for (var ch in s[sv]) if (s[sv][ch].onWrite) onWrite = s[sv][ch].onWrite;
    },
    getBattery: function () { return 3; }
  };
${controlLineJs(
  "__pty",
  `      else if (c[0] === "S") {
        var pin = c[1] === "2" ? D2 : D1;
        level[pin] = c[2] === "1";
        for (var j = 0; j < watches.length; j++)
          if (watches[j].pin === pin) watches[j].fn({ state: level[pin], time: getTime() });
      } else if (c[0] === "W" && onWrite) {
        var a = new Uint8Array(c[1].length / 2);
        for (var k = 0; k < a.length; k++) a[k] = parseInt(c[1].substr(2 * k, 2), 16);
        onWrite({ data: a.buffer });
      }`,
)}})();
`;

export class TagBench extends BenchBoard {
  /** Each frame the tag put on air, in order (every boot). */
  readonly adverts: Advert[] = [];
  /** Called as each new frame goes on air. */
  onAdvert: ((a: Advert) => void) | null = null;

  private constructor(control: SerialBridge, bootFile: string, dir: string) {
    super("espruino-puck", control, bootFile, "the tag", dir);
    control.onData = lines((line) => {
      const c = line.split(" ");
      if (c[0] !== "A" || c.length !== 4) return;
      const a: Advert = {
        atMs: Date.now(),
        intervalMs: Number(c[1]),
        company: Number(c[2]),
        payload: fromHex(c[3]) as Uint8Array,
      };
      this.adverts.push(a);
      this.onAdvert?.(a);
    });
  }

  /** A tag a lab flashed and provisioned in `dir`: only the bench's stubs (bench.js) are added,
   * below the pages lent to the counter log. */
  static async onBoard(dir: string, bootFile = ".bootcde"): Promise<TagBench> {
    const b = new TagBench(await serialBridge(), bootFile, dir);
    b.board.writeFile("bench.js", TAG_BENCH_JS);
    const end = storageEnd(b.board);
    if (end > TAG_LOG_PAGES.addr)
      throw new Error(
        `tag bench: Storage ends at 0x${end.toString(16)}, in the counter log's pages`,
      );
    return b;
  }

  /** Starts the interpreter on the board's flash, Serial2 the bench's. */
  boot(): Promise<void> {
    return this.start([["__pty", this.control]]);
  }

  /** The strap loop closed (true) or cut (false); `input` 2 is the case switch. */
  setLoop(closed: boolean, input: 1 | 2 = 1): void {
    this.send(`S ${input} ${closed ? 0 : 1}`);
  }

  /** A GATT write to the tag's command characteristic, as its central sends it. */
  gattWrite(bytes: Uint8Array): void {
    this.send("W " + toHex(bytes));
  }

  dispose(): Promise<void> {
    return this.close([this.control]);
  }
}
