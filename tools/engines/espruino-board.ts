// One Espruino interpreter's flash, in a temporary folder: the engine keeps its fake flash in
// `./espruino.flash` of its working directory, so every board gets its own folder and the file
// persists between runs, as a device's flash does across resets.
//
// A bundle is put into Storage as a device gets it — in chunks, `Storage.write(name, chunk,
// offset, total)` — then booted with `eval(require("Storage").read(name))`, so its code stays in
// (memory-mapped) flash and only what it creates costs JsVars. Each chunk is written by its own
// short run in file mode: feeding a large upload into this Linux build's console can trip an
// assertion on its input buffer, and a script's own text sits in RAM while it runs, so a chunk
// is kept to 4 KB.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { byteLiteral } from "../lab/espruino";
import { type EngineName, enginePath } from "./engines";

const CHUNK = 4096;

export interface EngineRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  timedOut: boolean;
}

/** Espruino's `process.memory()` after its garbage collection. */
export interface EngineMemory {
  usage: number;
  total: number;
  free: number;
}

/** The line a boot script prints for memoryReport(tag), and how to read it back. */
export function memoryProbe(tag: string): string {
  return `print("MEM ${tag} " + JSON.stringify(process.memory()));`;
}

export function readMemory(stdout: string, tag: string): EngineMemory | null {
  // Fields, not JSON.parse: the console can interleave the unit's own output with the line.
  const at = stdout.indexOf("MEM " + tag + " {");
  if (at < 0) return null;
  const text = stdout.slice(at, at + 600);
  const field = (name: string) => {
    const m = new RegExp('"' + name + '":(\\d+)').exec(text);
    return m ? Number(m[1]) : -1;
  };
  const r = { usage: field("usage"), total: field("total"), free: field("free") };
  return r.usage < 0 || r.total < 0 ? null : r;
}

export class EspruinoBoard {
  readonly dir: string;
  readonly bin: string;
  private readonly children: ChildProcess[] = [];

  constructor(
    readonly engine: Exclude<EngineName, "jerry">,
    dir?: string,
  ) {
    const bin = enginePath(engine);
    if (bin === null) throw new Error(engine + " is not installed (see tools/engines/engines.ts)");
    this.bin = bin;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "em-" + engine + "-"));
  }

  /** Runs a script in file mode to its end (the engine exits once no timer is left). */
  run(script: string, timeoutMs = 20000): EngineRun {
    const file = join(this.dir, "run.js");
    writeFileSync(file, script);
    const r = spawnSync(this.bin, [file], {
      cwd: this.dir,
      encoding: "latin1",
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return {
      stdout: r.stdout ?? "",
      stderr: r.stderr ?? "",
      exitCode: r.status ?? -1,
      timedOut: r.error !== undefined || r.signal !== null,
    };
  }

  /**
   * Writes a Storage file in 4 KB chunks and reads back its CRC-32 (E.CRC32 over the stored
   * text); throws if any run fails or the stored file differs from `text`.
   */
  writeFile(name: string, text: string): void {
    for (let off = 0; off < text.length; off += CHUNK) {
      const chunk = byteLiteral(text.slice(off, off + CHUNK));
      const call =
        off === 0
          ? `require("Storage").write(${JSON.stringify(name)}, ${chunk}, 0, ${text.length})`
          : `require("Storage").write(${JSON.stringify(name)}, ${chunk}, ${off})`;
      const r = this.run(`print(${call} ? "WROTE" : "FAILED");`);
      if (!/WROTE/.test(r.stdout))
        throw new Error(
          `${this.engine}: writing ${name} at ${off} failed: ${r.stdout.slice(-400)}${r.stderr}`,
        );
    }
    const crc = this.storedCrc(name);
    const want = crc32(Buffer.from(text, "latin1")) | 0;
    if (crc !== want)
      throw new Error(`${this.engine}: ${name} reads back CRC ${crc}, wrote ${want}`);
  }

  /** E.CRC32 of a Storage file as the engine reads it (a signed 32-bit number), or null. */
  storedCrc(name: string): number | null {
    const r = this.run(
      `var f = require("Storage").read(${JSON.stringify(name)}); print("CRC " + (f === undefined ? "none" : (E.CRC32(f) | 0)));`,
    );
    const m = /CRC (-?\d+|none)/.exec(r.stdout);
    if (!m || m[1] === "none") return null;
    return Number(m[1]);
  }

  /** The script that boots a Storage file as a device does: stubs first, then the code. */
  static bootScript(file: string, stubs: string, after = ""): string {
    return `${stubs}\neval(require("Storage").read(${JSON.stringify(file)}));\n${after}\n`;
  }

  /**
   * A long-running interpreter (file mode) whose output streams to `onOutput`. `serialInput`:
   * keep its stdin an open pipe (never written) — with stdin at end of file (/dev/null) this
   * Linux build delivers no input from Serial1/Serial2 devices at all (measured).
   */
  start(script: string, onOutput: (text: string) => void, serialInput = false): ChildProcess {
    const file = join(this.dir, "boot.js");
    writeFileSync(file, script);
    const child = spawn(this.bin, [file], {
      cwd: this.dir,
      stdio: [serialInput ? "pipe" : "ignore", "pipe", "pipe"],
    });
    child.stdout?.setEncoding("latin1");
    child.stderr?.setEncoding("latin1");
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    this.children.push(child);
    return child;
  }

  /** Kills every interpreter this board started (SIGKILL: a power cut). */
  async killAll(): Promise<void> {
    const waits = this.children.map(
      (c) =>
        new Promise<void>((res) => {
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once("exit", () => res());
          c.kill("SIGKILL");
        }),
    );
    this.children.length = 0;
    await Promise.all(waits);
  }

  async dispose(): Promise<void> {
    await this.killAll();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
