// Espruino's upload protocol over its serial REPL, as EspruinoTools speaks it: Ctrl-C for a
// clean line, `echo(0)`, every line prefixed with DLE (0x10, "don't echo this line"), Storage
// written in ~1 KB chunks with `require("Storage").write(name, chunk, offset, total)`, one line
// at a time. Flow control is per line: each line prints a tagged acknowledgement
// (`<<EM n result>>`, built by concatenation so an echoed line never looks like one) and the
// next line is sent only once it arrived — with echo off there is no prompt to wait for, and
// the ack also carries the line's result or its exception.
//
// Flash never leaves a half-written boot file marked good: the bundle goes to a temporary file
// (name + "~"), whose CRC-32 (E.CRC32) must equal the host's; only then is the target erased,
// written on the device from the verified temporary file in one Storage.write, and verified in
// turn; then the temporary file is erased. A cut during the upload leaves the target untouched
// (the old boot code, or none); a cut between the erase and the copy leaves no boot file and
// the verified temporary one; a cut inside the on-device copy (milliseconds, no serial line
// involved) leaves a target whose CRC differs, which the next flash replaces. The host reports
// success only after the target's CRC matched.
//
// An interrupted upload resumes: each chunk is written whole by its own line or not at all, and
// the rest of the temporary file is still erased flash (0xFF, writable without an erase), so the
// next flash of the same bundle asks the device for the CRC-32 of each chunk of the temporary
// file, keeps the leading chunks that match and sends only the rest. Anything else found there
// (another bundle, a chunk neither right nor blank) is erased and sent again from the start.

import { crc32 } from "node:zlib";
import { LabError } from "./errors";
import { Link, type LinkOptions, type PortLike, sleep } from "./link";

/** Bytes of a file per upload line on a small board (a Puck.js: ~2,500 JsVars), and on one with
 * room for a longer line (a Jolt.js: 12,000). Each line waits for its acknowledgement, a round
 * trip (~50 ms on the Linux engine), so fewer, longer lines upload a large bundle faster — but
 * the longer the line, the longer the engine stalls while it arrives, and the Linux build dies
 * (`ASSERT(len <= 64)`) on a stall that lets more than 64 bytes pile up: measured with base.js
 * on a fresh espruino-jolt, 4 KB lines killed it in 4 uploads of 8 (12.0 s each), 2 KB lines in
 * 1 of 10 (13.5 s). A real board has flow control instead. */
export const CHUNK_BYTES = 1024;
export const LARGE_CHUNK_BYTES = 2048;
/** Free JsVars above which a board takes LARGE_CHUNK_BYTES: the line and its string literal
 * cost well under 1,000. */
const LARGE_CHUNK_FREE_VARS = 6000;

/** The upload line size for a board with `freeVars` free JsVars. */
export function chunkFor(freeVars: number): number {
  return freeVars >= LARGE_CHUNK_FREE_VARS ? LARGE_CHUNK_BYTES : CHUNK_BYTES;
}
/** How long an open console has to stay quiet after an empty line for the lab to take it as
 * not locked: a locked one answers at once, from the interpreter's input handler. */
const UNLOCK_PROBE_MS = 1000;
/** Starts a line the REPL does not echo. */
export const DLE = "\x10";

/** A JavaScript string literal that an engine without Unicode strings reads byte for byte. */
export function byteLiteral(text: string): string {
  let s = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new Error("byteLiteral: character " + c + " at " + i + " is not a byte");
    if (c === 34 || c === 92) s += "\\" + text[i];
    else if (c >= 32 && c < 127) s += text[i];
    else s += "\\x" + (c < 16 ? "0" : "") + c.toString(16);
  }
  return s + '"';
}

/** One REPL line that evaluates `expr` and acknowledges it as `<<EM id value>>`. */
export function commandLine(id: number, expr: string): string {
  const tag = JSON.stringify("EM " + id + " ");
  return (
    DLE + `try{print("<<"+${tag}+(${expr})+">>")}catch(e){print("<<"+${tag}+"!"+e+">>")}` + "\n"
  );
}

/** The Storage.write lines that upload `data` to `name`, CHUNK_BYTES of it per line. */
export function chunkExprs(name: string, data: string, chunk = CHUNK_BYTES): string[] {
  const out: string[] = [];
  const n = JSON.stringify(name);
  for (let off = 0; off < data.length || off === 0; off += chunk) {
    const lit = byteLiteral(data.slice(off, off + chunk));
    out.push(
      off === 0
        ? `require("Storage").write(${n},${lit},0,${data.length})`
        : `require("Storage").write(${n},${lit},${off})`,
    );
  }
  return out;
}

/** The expression a device answers with "length crc" of a Storage file, or "none". */
export function fileInfoExpr(name: string): string {
  return `(function(f){return f===undefined?"none":f.length+" "+(E.CRC32(f)>>>0)})(require("Storage").read(${JSON.stringify(name)}))`;
}

export interface DeviceInfo {
  version: string;
  board: string;
  storageFree: number;
  /** process.memory().free: JsVars free when we arrived. */
  freeVars: number;
}

export interface Timeouts {
  /** For the first answer after Ctrl-C (default 3 s). */
  hello: number;
  /** For each line's acknowledgement (default 5 s). */
  line: number;
}

export interface SessionOptions extends LinkOptions {
  timeouts?: Partial<Timeouts>;
  /** The console password of a provisioned unit (provision-records.ts, unitConsolePassword):
   * typed if the console asks for one; never logged. */
  password?: string;
}

/** What a locked Espruino console answers every line with (E.setPassword, E.lockConsole). */
const PASSWORD_PROMPT = /password>/;

/** What typePassword needs of a console: a line out (and what a transcript may show of it), and
 * the first match of what arrives from now on, or null after `ms`. */
export interface ConsoleIo {
  send(text: string, logged: string): Promise<void>;
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray | null>;
}

/**
 * A locked console takes every line as a password attempt (a Ctrl-C before it included) and
 * answers each with the prompt; an open one runs an empty line quietly. So: an empty line, then
 * the password only if the prompt came back — an open console never sees it. "silent": no
 * answer to the password within `answerMs`.
 */
export async function typePassword(
  io: ConsoleIo,
  password: string,
  answerMs: number,
): Promise<"open" | "unlocked" | "refused" | "silent"> {
  await io.send("\n", "\n");
  if ((await io.waitFor(PASSWORD_PROMPT, UNLOCK_PROBE_MS)) === null) return "open";
  await io.send(password + "\n", "<the unit's console password>\n");
  const m = await io.waitFor(/Logged in|Invalid password/, answerMs);
  return m === null ? "silent" : m[0] === "Logged in" ? "unlocked" : "refused";
}

export class EspruinoSession {
  private next = 1;
  readonly link: Link;
  readonly timeouts: Timeouts;
  private readonly password: string | undefined;

  constructor(port: PortLike, opts: SessionOptions = {}) {
    this.link = new Link(port, opts);
    this.timeouts = { hello: 3000, line: 5000, ...opts.timeouts };
    this.password = opts.password;
  }

  /** Ctrl-C (one only: a second on an empty line quits the Linux build), the password if the
   * console is locked, echo off, identify; a device whose board is not one of `boards` (when
   * given) is refused (wrong-board). A locked console without the password is `locked`. */
  async hello(boards?: string[]): Promise<DeviceInfo> {
    await this.link.send("\x03");
    await sleep(100);
    if (this.password !== undefined) await this.unlock(this.password);
    await this.link.send(DLE + "echo(0)\n");
    let r: string;
    try {
      r = await this.run(
        'process.env.VERSION+" "+process.env.BOARD+" "+require("Storage").getFree()+" "+process.memory().free',
        this.timeouts.hello,
        "the REPL's answer (is this an Espruino?)",
        "not-espruino",
      );
    } catch (e) {
      if (e instanceof LabError && e.code === "not-espruino" && PASSWORD_PROMPT.test(e.message))
        throw new LabError(
          "locked",
          "the console asks for a password (a provisioned unit): give the unit's id to unlock it with (--unlock, with the fleet root)",
        );
      throw e;
    }
    const m = /^(\S+) (\S+) (\d+) (\d+)$/.exec(r);
    if (!m) throw new LabError("not-espruino", "unexpected identification: " + JSON.stringify(r));
    if (boards !== undefined && !boards.includes(m[2]))
      throw new LabError(
        "wrong-board",
        `this is a ${m[2]} (Espruino ${m[1]}), not ${boards.join(" or ")}`,
      );
    return { version: m[1], board: m[2], storageFree: Number(m[3]), freeVars: Number(m[4]) };
  }

  /** The password typed if the console is locked (typePassword); a wrong one is `locked`. */
  private async unlock(password: string): Promise<void> {
    this.link.discard();
    const io: ConsoleIo = {
      send: (text, logged) => this.link.send(text, logged),
      waitFor: async (re, ms) => {
        try {
          return await this.link.expect(re, ms, "a console's answer");
        } catch (e) {
          if (e instanceof LabError && e.code !== "upload-interrupted") return null;
          throw e;
        }
      },
    };
    const r = await typePassword(io, password, this.timeouts.hello);
    if (r === "open") this.link.discard();
    else if (r === "refused")
      throw new LabError(
        "locked",
        "the console refused the password: is this the unit it was derived for, under this fleet root?",
      );
    else if (r === "silent")
      throw new LabError(
        "not-espruino",
        "the console asked for a password, then said nothing to it",
      );
  }

  /** Evaluates `expr` on the device and returns its printed value; throws on its exception. */
  async run(
    expr: string,
    timeoutMs = this.timeouts.line,
    what = "an acknowledgement",
    onGarbage: "not-espruino" | "upload-interrupted" = "upload-interrupted",
  ): Promise<string> {
    const id = this.next++;
    await this.link.send(commandLine(id, expr));
    const m = await this.link.expect(
      new RegExp("<<EM " + id + " ([^>]*)>>"),
      timeoutMs,
      what + " (line " + id + ")",
      onGarbage,
    );
    if (m[1].startsWith("!"))
      throw new LabError(
        "failed",
        `the device threw: ${m[1].slice(1)} (evaluating ${expr.slice(0, 80)})`,
      );
    return m[1];
  }

  async fileInfo(name: string): Promise<{ length: number; crc: number } | null> {
    const r = await this.run(fileInfoExpr(name));
    if (r === "none") return null;
    const [len, crc] = r.split(" ").map(Number);
    return { length: len, crc };
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

/** The boards (process.env.BOARD) each kind of device is built for: the tag is a Puck.js-class
 * nRF52832, the home unit a Jolt.js-class nRF52840; the LINUX_ ones are their engines here. */
export const BOARDS = {
  tag: ["PUCKJS", "LINUX_PUCKLIKE"],
  unit: ["JOLTJS", "LINUX_JOLTLIKE"],
};

export interface FlashOptions extends SessionOptions {
  /** Refuse (wrong-board) a device whose board is not one of these, before writing anything. */
  boards?: string[];
  name?: string;
  /** Called after each chunk is acknowledged (bytes written so far, total). */
  onProgress?: (written: number, total: number) => void;
}

export interface FlashReport {
  device: DeviceInfo;
  name: string;
  bytes: number;
  crc: number;
  chunks: number;
  /** Chunks an earlier, interrupted upload of the same bundle had written (not sent again). */
  kept: number;
  ms: number;
}

/** The expression a device answers with the CRC-32 of each `chunk`-byte piece of a Storage file
 * of `length` bytes, space-separated; "none" when there is no such file of that length. */
export function chunkCrcsExpr(name: string, length: number, chunk: number): string {
  return `(function(f){if(f===undefined||f.length!==${length})return"none";var r=[];for(var o=0;o<f.length;o+=${chunk})r.push(E.CRC32(f.substr(o,${chunk}))>>>0);return r.join(" ")})(require("Storage").read(${JSON.stringify(name)}))`;
}

/** How many leading chunks of `data` the device's answer to chunkCrcsExpr shows written, with
 * every later chunk still blank flash; 0 means start over. */
export function resumableChunks(answer: string, data: string, chunk: number): number {
  const n = Math.max(1, Math.ceil(data.length / chunk));
  const got = answer.split(" ").map(Number);
  if (answer === "none" || got.length !== n) return 0;
  const crcOf = (b: Buffer) => crc32(b) >>> 0;
  let kept = 0;
  while (
    kept < n &&
    got[kept] === crcOf(Buffer.from(data.slice(kept * chunk, (kept + 1) * chunk), "latin1"))
  )
    kept++;
  for (let j = kept; j < n; j++)
    if (got[j] !== crcOf(Buffer.alloc(Math.min(chunk, data.length - j * chunk), 0xff))) return 0;
  return kept;
}

/** Storage bytes a flash needs: the temporary file and the target, headers included. */
export function storageNeeded(bytes: number): number {
  return 2 * (bytes + 64);
}

export function tempName(name: string): string {
  return (name.length >= 28 ? name.slice(0, 27) : name) + "~";
}

/** Uploads `data` (a latin1 string of the bundle's bytes) and verifies it; see the header. */
export async function flashOver(
  port: PortLike,
  data: string,
  opts: FlashOptions = {},
): Promise<FlashReport> {
  return (await flashFilesOver(port, [{ name: opts.name ?? ".bootcde", data }], opts))[0];
}

/**
 * Uploads and verifies several files in one session: one Ctrl-C and one `echo(0)` for all (a
 * second Ctrl-C on an empty line quits the Linux build, and costs a real board nothing to skip).
 */
export async function flashFilesOver(
  port: PortLike,
  files: { name: string; data: string }[],
  opts: FlashOptions = {},
): Promise<FlashReport[]> {
  const s = new EspruinoSession(port, opts);
  const device = await s.hello(opts.boards);
  const reports: FlashReport[] = [];
  for (const f of files) reports.push(await storeVerified(s, device, f.name, f.data, opts));
  return reports;
}

async function storeVerified(
  s: EspruinoSession,
  device: DeviceInfo,
  name: string,
  data: string,
  opts: FlashOptions,
): Promise<FlashReport> {
  const started = Date.now();
  const tmp = tempName(name);
  const want = crc32(Buffer.from(data, "latin1")) >>> 0;
  const S = 'require("Storage")';
  const chunk = chunkFor(device.freeVars);
  const lines = chunkExprs(tmp, data, chunk);
  const earlier = await s.run(chunkCrcsExpr(tmp, data.length, chunk), 30000, "an earlier upload");
  const kept = resumableChunks(earlier, data, chunk);
  if (kept === 0) {
    await s.run(`${S}.erase(${JSON.stringify(tmp)})`);
    let free = Number(await s.run(`${S}.getFree()`));
    if (free < storageNeeded(data.length)) {
      await s.run(`${S}.compact()`, 30000, "Storage.compact()");
      free = Number(await s.run(`${S}.getFree()`));
    }
    if (free < storageNeeded(data.length))
      throw new LabError(
        "out-of-storage",
        `out of Storage: ${free} bytes free, ${storageNeeded(data.length)} needed (a temporary copy and ${name})`,
      );
  }
  for (let i = kept; i < lines.length; i++) {
    const ok = await s.run(lines[i], s.timeouts.line, "chunk " + (i + 1) + " of " + lines.length);
    if (ok !== "true")
      throw new LabError("upload-interrupted", `chunk ${i + 1} not written: ${ok}`);
    opts.onProgress?.(Math.min((i + 1) * chunk, data.length), data.length);
  }
  const got = await s.fileInfo(tmp);
  if (got === null || got.length !== data.length || got.crc !== want)
    throw new LabError(
      "verify-failed",
      `${tmp} reads back ${got === null ? "missing" : got.length + " bytes, CRC " + got.crc}; sent ${data.length} bytes, CRC ${want}`,
    );
  // Commit: the target is replaced only from a verified copy on the device.
  await s.run(`${S}.erase(${JSON.stringify(name)})`);
  await s.run(`${S}.write(${JSON.stringify(name)},${S}.read(${JSON.stringify(tmp)}))`, 30000);
  const fin = await s.fileInfo(name);
  if (fin === null || fin.length !== data.length || fin.crc !== want)
    throw new LabError(
      "verify-failed",
      `${name} reads back ${fin === null ? "missing" : fin.length + " bytes, CRC " + fin.crc} after the copy; want CRC ${want}`,
    );
  await s.run(`${S}.erase(${JSON.stringify(tmp)})`);
  return {
    device,
    name,
    bytes: data.length,
    crc: want,
    chunks: lines.length,
    kept,
    ms: Date.now() - started,
  };
}
