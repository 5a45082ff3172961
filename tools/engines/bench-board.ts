// What the tag's and the home unit's virtual benches share: an Espruino interpreter on a board's
// flash, started in file mode with its UARTs on fresh ptys (serial-bridge.ts), the bench's stubs
// evaluated from Storage (`bench.js`, so their code stays in flash like the bundle's) before the
// flashed bundle, a memory report on either side of the bundle's boot, and the bench's control
// line on Serial2 (`M tag` → process.memory()).

import type { ChildProcess } from "node:child_process";
import { type EngineMemory, EspruinoBoard, readMemory } from "./espruino-board";
import { closeBridge, ptyToBridge, type SerialBridge, stopSocats } from "./serial-bridge";

/**
 * The engine side of the control line, for a bench's stubs: Serial2 on the pty named by the
 * global `pty`, each line split into words `c`; `M tag` (print process.memory()) is answered
 * here, then `branches` — `else if (c[0] === …) …` — run. Generated inline, not as shared
 * functions: every function object and scope costs JsVars, and the RAM benches count the stubs
 * with the bundle.
 */
export function controlLineJs(pty: string, branches: string): string {
  return `  Serial2.setup(115200, { path: ${pty} });
  var buf = "";
  Serial2.on("data", function (d) {
    buf += d;
    for (var i = buf.indexOf("\\n"); i >= 0; i = buf.indexOf("\\n")) {
      var c = buf.slice(0, i).split(" ");
      buf = buf.slice(i + 1);
      if (c[0] === "M") print("MEM " + c[1] + " " + JSON.stringify(process.memory()));
${branches}
    }
  });
`;
}

/** A whole memory report line (output arrives in chunks: wait for the line's end). */
const memLine = (tag: string) => new RegExp("MEM " + tag + " \\{[^\\n]*\\}\\r?\\n");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export abstract class BenchBoard {
  readonly board: EspruinoBoard;
  /** Everything the interpreter printed, every boot. */
  console = "";
  /** Console output of the current boot only. */
  bootConsole = "";
  boots = 0;
  /** Every chunk of console output, as it comes. */
  onConsole: ((text: string) => void) | null = null;
  private engine: ChildProcess | null = null;
  private readonly socats: ChildProcess[] = [];
  private probes = 0;

  protected constructor(
    engine: "espruino-puck" | "espruino-jolt",
    /** Serial2: the bench's control line. */
    protected readonly control: SerialBridge,
    /** The Storage file the bundle boots from. */
    private readonly bootFile: string,
    /** Who speaks, in errors ("the unit", "the tag"). */
    private readonly who: string,
    dir?: string,
  ) {
    this.board = new EspruinoBoard(engine, dir);
  }

  /**
   * Starts the interpreter on the board's flash: a fresh pty per UART (its path in the global the
   * stubs read), the bench's stubs from Storage, a memory report (`harness`), the bundle from
   * Storage, a memory report (`boot`). Resolves once the bundle's boot code has run.
   */
  protected async start(uarts: [string, SerialBridge][]): Promise<void> {
    if (this.engine !== null) throw new Error("already running");
    let script = "";
    for (const [name, bridge] of uarts) {
      const p = await ptyToBridge(bridge);
      this.socats.push(p.proc);
      script += `global.${name} = ${JSON.stringify(p.path)};\n`;
    }
    this.boots++;
    this.bootConsole = "";
    script +=
      `eval(require("Storage").read("bench.js"));\n` +
      `print("MEM harness${this.boots} " + JSON.stringify(process.memory()));\n` +
      `eval(require("Storage").read(${JSON.stringify(this.bootFile)}));\n` +
      `print("MEM boot${this.boots} " + JSON.stringify(process.memory()));\n`;
    this.engine = this.board.start(
      script,
      (t) => {
        this.console += t;
        this.bootConsole += t;
        this.onConsole?.(t);
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

  /** Whether the interpreter is up with its control line connected. */
  get listening(): boolean {
    return this.engine !== null && this.control.socket !== null;
  }

  /** Waits until the console (this boot) matches. */
  async waitConsole(re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.bootConsole);
      if (m) return m;
      if (this.engine === null || this.engine.exitCode !== null || this.engine.signalCode !== null)
        throw new Error(
          `${what}: the interpreter is not running; ${this.who} said:\n${this.tail()}`,
        );
      if (Date.now() > until)
        throw new Error(`${what}: timed out; ${this.who} said:\n${this.tail()}`);
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
    await stopSocats(this.socats);
  }

  /** Stops the interpreter and closes the bench's ends of its UARTs. */
  protected async close(bridges: SerialBridge[]): Promise<void> {
    await this.kill();
    for (const b of bridges) await closeBridge(b);
  }

  protected send(line: string): void {
    const s = this.control.socket;
    if (s === null) throw new Error(`${this.who}'s Serial2 is not connected`);
    s.write(line + "\n");
  }
}
