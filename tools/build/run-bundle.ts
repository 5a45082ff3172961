// Runs code in Debian's Duktape 2.7 (ES5 plus typed arrays; no Map, no ES2015 syntax): a strict
// interpreter that catches device code which only works in Node. mujs would be stricter still
// but has no Uint8Array, which all protocol code needs.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DuktapeRun {
  stdout: string;
  stderr: string;
  /** The interpreter's exit status; -1 when it was killed (see timedOut). */
  exitCode: number;
  timedOut: boolean;
}

export interface DuktapeOptions {
  /** Evaluated first, in the same global scope: stubs for the host globals a bundle expects. */
  prelude?: string;
  timeoutMs?: number;
}

export function runInDuktape(code: string, opts: DuktapeOptions = {}): DuktapeRun {
  const dir = mkdtempSync(join(tmpdir(), "duk-"));
  try {
    const file = join(dir, "bundle.js");
    writeFileSync(file, (opts.prelude ? opts.prelude + "\n" : "") + code);
    const r = spawnSync("duk", [file], {
      encoding: "utf8",
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error(
        "`duk` not found: install the Debian package duktape (apt-get install duktape)",
      );
    const timedOut = r.error !== undefined || r.signal !== null;
    return {
      stdout: r.stdout ?? "",
      stderr:
        (r.stderr ?? "") + (timedOut ? `\n[duk killed after ${opts.timeoutMs ?? 60_000} ms]` : ""),
      exitCode: r.status ?? -1,
      timedOut,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
