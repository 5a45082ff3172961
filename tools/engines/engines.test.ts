// Which engines the device tests may use: one that runs an empty script is used as it is; one
// that cannot run here (a 32-bit build on a kernel with 32-bit programs off — exec falls back
// to the shell, which fails) is reported with why, and the tests skip rather than fail.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "em-engines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fake(name: string, body: string): void {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

it("uses an engine that runs, names one that cannot and one that is not there", async () => {
  fake("jerry", "exit 0");
  fake("espruino-jolt", 'echo "1: Syntax error: \\"(\\" unexpected" >&2; exit 2');
  process.env.EM_ENGINES_DIR = dir;
  delete process.env.EM_ENGINES_QEMU;
  const { enginePath, enginesMissing } = await import("./engines");
  expect(enginePath("jerry")).toBe(join(dir, "jerry"));
  expect(enginesMissing(["jerry"])).toBeNull();
  expect(enginePath("espruino-jolt")).toBeNull();
  const why = enginesMissing(["espruino-jolt", "espruino-puck", "jerry"]) ?? "";
  expect(why).toContain(
    "espruino-jolt cannot run here: a 32-bit x86 build, and this kernel runs no 32-bit programs",
  );
  expect(why).toContain("EM_ENGINES_QEMU=1 runs it under qemu-i386");
  expect(why).toContain("espruino-puck not found");
  expect(why).not.toContain("jerry cannot");
  expect(why).not.toContain("jerry not found");
});
