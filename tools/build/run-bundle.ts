// Runs a device bundle (ES5 text) outside Node's own globals, on one of two engines:
//
// - "vm" (the default, needs nothing but Node): a fresh node:vm realm holding only what the device
//   engines (Espruino, JerryScript) have. Before the prelude and bundle run, everything they lack
//   or run differently is deleted from the realm: the gate's missing globals and members
//   (device-gate.ts) and a few more (EXTRA_GLOBALS, EXTRA_MEMBERS). ES5 syntax is the build's
//   gate's job; this realm is about globals.
// - "duktape": Debian's Duktape 2.7 (`duk`, package duktape): a strict ES5 interpreter, an
//   engine other than V8. Chosen with EM_BUNDLE_ENGINE=duktape (`npm run test:bundles:duktape`).
//
// Both give the bundle `print` (arguments joined by a space, one line on stdout) and a `console`
// whose log writes to stdout and error/warn to stderr, as duk's does. An uncaught error ends the
// run with exitCode 1 and the error on stderr; a run longer than timeoutMs is stopped.
// mujs would be stricter still but has no Uint8Array, which all protocol code needs.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { MISSING_GLOBALS, MISSING_MEMBERS } from "./device-gate";

export type BundleEngine = "vm" | "duktape";

export interface BundleRun {
  stdout: string;
  stderr: string;
  /** 0, or 1 after an uncaught error; -1 when the run was stopped (see timedOut). */
  exitCode: number;
  timedOut: boolean;
}

export interface BundleOptions {
  /** Evaluated first, in the same global scope: stubs for the host globals a bundle expects. */
  prelude?: string;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default: EM_BUNDLE_ENGINE, else "vm". */
  engine?: BundleEngine;
}

export const ENGINE_VARIABLE = "EM_BUNDLE_ENGINE";

/** The engine EM_BUNDLE_ENGINE selects: "vm" when it is unset. */
export function selectedEngine(): BundleEngine {
  const v = process.env[ENGINE_VARIABLE];
  if (v === undefined || v === "" || v === "vm") return "vm";
  if (v === "duktape") return "duktape";
  throw new Error(`${ENGINE_VARIABLE}=${v}: the bundle engines are "vm" (default) and "duktape"`);
}

/** Whether `duk` (Debian package duktape) is on the PATH. */
export function hasDuktape(): boolean {
  return spawnSync("duk", ["-e", "1"], { encoding: "utf8" }).error === undefined;
}

export function runBundle(code: string, opts: BundleOptions = {}): BundleRun {
  const engine = opts.engine ?? selectedEngine();
  const src = (opts.prelude ? opts.prelude + "\n" : "") + code;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return engine === "duktape" ? runInDuktape(src, timeoutMs) : runInRealm(src, timeoutMs);
}

/** Lacking or different on Espruino / JerryScript, beyond what the gate names in source text. */
const EXTRA_GLOBALS = [
  "Intl",
  "WebAssembly",
  "SharedArrayBuffer",
  "Atomics",
  "FinalizationRegistry",
  "AggregateError",
  "BigInt64Array",
  "BigUint64Array",
  "Float16Array",
  "Iterator",
  "structuredClone",
  "queueMicrotask",
  "setImmediate",
  "console", // V8's, which writes nowhere in a vm realm; replaced below
];
const EXTRA_MEMBERS = [
  "ArrayBuffer.prototype.slice",
  "Promise.prototype.finally",
  "Promise.any",
  "Promise.allSettled",
  "Object.getOwnPropertyDescriptors",
  "Object.fromEntries",
  "Array.prototype.flat",
  "Array.prototype.flatMap",
  "Array.prototype.at",
  "String.prototype.at",
  "String.prototype.replaceAll",
  "Error.captureStackTrace",
];

/** Realm-side setup: deletes `strip`, and installs print and console writing to the host. */
const SETUP = `(function (strip, out, err) {
  var g = new Function("return this")();
  var R = Reflect, hasOwn = Object.prototype.hasOwnProperty, getProto = Object.getPrototypeOf;
  var desc = Object.getOwnPropertyDescriptor, define = Object.defineProperty;
  var ownKeys = Object.getOwnPropertyNames;
  var replaced = {};
  function drop(path) {
    var parts = path.split("."), owner = g;
    for (var i = 0; i < parts.length - 1; i++) {
      if (owner == null) return;
      owner = owner[parts[i]];
    }
    var name = parts[parts.length - 1];
    // Uint8Array.from lives on %TypedArray%: delete it where it is defined.
    for (var o = owner; o != null && name in Object(o); o = getProto(o)) {
      if (!hasOwn.call(o, name)) continue;
      if (!delete o[name]) {
        // Non-configurable (Number.MAX_SAFE_INTEGER): replace the global constructor instead.
        if (parts.length !== 2 || o !== g[parts[0]]) throw new Error("cannot remove " + path);
        (replaced[parts[0]] = replaced[parts[0]] || []).push(name);
      }
    }
  }
  for (var i = 0; i < strip.length; i++) drop(strip[i]);
  for (var ctor in replaced) {
    var orig = g[ctor], omit = replaced[ctor];
    var w = (function (orig) {
      return function () {
        return new.target ? R.construct(orig, arguments) : R.apply(orig, this, arguments);
      };
    })(orig);
    var keys = ownKeys(orig);
    for (var k = 0; k < keys.length; k++)
      if (omit.indexOf(keys[k]) < 0 && keys[k] !== "arguments" && keys[k] !== "caller")
        define(w, keys[k], desc(orig, keys[k]));
    define(g, ctor, { value: w, writable: true, enumerable: false, configurable: true });
  }
  function line(args) {
    var s = "";
    for (var i = 0; i < args.length; i++) s += (i ? " " : "") + String(args[i]);
    return s;
  }
  define(g, "print", {
    value: function print() { out(line(arguments)); },
    writable: true, enumerable: false, configurable: true,
  });
  function log() { out(line(arguments)); }
  function warn() { err(line(arguments)); }
  g.console = { log: log, info: log, debug: log, warn: warn, error: warn };
})`;

const STRIP = [...MISSING_GLOBALS, ...MISSING_MEMBERS, ...EXTRA_GLOBALS, ...EXTRA_MEMBERS];

function runInRealm(src: string, timeoutMs: number): BundleRun {
  let stdout = "";
  let stderr = "";
  const context = vm.createContext({}, { microtaskMode: "afterEvaluate" });
  (vm.runInContext(SETUP, context) as (s: string[], o: Sink, e: Sink) => void)(
    vm.runInContext(JSON.stringify(STRIP), context),
    (s) => {
      stdout += s + "\n";
    },
    (s) => {
      stderr += s + "\n";
    },
  );
  try {
    new vm.Script(src, { filename: "bundle.js" }).runInContext(context, { timeout: timeoutMs });
    return { stdout, stderr, exitCode: 0, timedOut: false };
  } catch (e) {
    if ((e as { code?: string } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT")
      return {
        stdout,
        stderr: stderr + `\n[bundle stopped after ${timeoutMs} ms]`,
        exitCode: -1,
        timedOut: true,
      };
    return { stdout, stderr: stderr + describeThrown(e) + "\n", exitCode: 1, timedOut: false };
  }
}

type Sink = (line: string) => void;

/** What duk prints for an uncaught throw: the error and the bundle's frames, else the value. */
function describeThrown(e: unknown): string {
  try {
    const err = e as { name?: unknown; message?: unknown; stack?: unknown } | null;
    if (err === null || typeof err !== "object" || typeof err.stack !== "string") return String(e);
    // Node puts the offending source line above the stack (a whole minified bundle on one line),
    // and its own frames below the bundle's: neither is the bundle's.
    const lines = err.stack.split("\n");
    const frames = lines.filter((l) => l.startsWith("    at ") && l.includes("bundle.js"));
    // A syntax error has no frames: the location is that first line.
    if (frames.length === 0 && /^bundle\.js:\d+$/.test(lines[0])) frames.push(`    at ${lines[0]}`);
    return [`${String(err.name)}: ${String(err.message)}`, ...frames].join("\n");
  } catch {
    return "an uncaught value that cannot be printed";
  }
}

function runInDuktape(src: string, timeoutMs: number): BundleRun {
  const dir = mkdtempSync(join(tmpdir(), "duk-"));
  try {
    const file = join(dir, "bundle.js");
    writeFileSync(file, src);
    const r = spawnSync("duk", [file], {
      encoding: "utf8",
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(
        `${ENGINE_VARIABLE}=duktape, but \`duk\` is not on the PATH: install the Debian package ` +
          "duktape (apt-get install duktape), or unset the variable to use the vm engine",
      );
    const timedOut = r.error !== undefined || r.signal !== null;
    return {
      stdout: r.stdout ?? "",
      stderr: (r.stderr ?? "") + (timedOut ? `\n[duk killed after ${timeoutMs} ms]` : ""),
      exitCode: r.status ?? -1,
      timedOut,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
