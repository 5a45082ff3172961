// Runs a bundle in Debian's Duktape (ES5, typed arrays, no Map, no ES2015 syntax): the strict
// interpreter that catches code that only works in Node.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function duktapeAvailable(): boolean {
  return spawnSync("duk", ["-e", "1"], { encoding: "utf8" }).error === undefined;
}

export function runInDuktape(code: string, prelude = "", timeoutMs = 60_000): RunResult {
  if (!duktapeAvailable())
    throw new Error("duk not found: install the Debian package `duktape` (.ci/run does)");
  const dir = mkdtempSync(join(tmpdir(), "duk-"));
  try {
    const file = join(dir, "bundle.js");
    writeFileSync(file, prelude + "\n" + code);
    const r = spawnSync("duk", [file], { encoding: "utf8", timeout: timeoutMs });
    return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", exitCode: r.status ?? -1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
