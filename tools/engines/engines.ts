// The real device engines, built for Linux: Espruino 2v29 with a Puck.js-sized pool
// (`espruino-puck`, the tag) and a Jolt.js-sized one (`espruino-jolt`, the home unit), both with
// Storage memory-mapped as on an nRF52, and JerryScript 3.0 (`jerry`). They are not packaged for
// Debian or npm; the project expects them in `../shared/engines/` beside the repository, or in
// the folder `EM_ENGINES_DIR` names. Without them the device script skips, saying why. The
// Espruino builds are 32-bit x86: a kernel with 32-bit programs disabled (ia32_emulation off)
// cannot run them, and the tests skip saying so; with EM_ENGINES_QEMU=1 they run under
// qemu-i386 instead (Debian's qemu-user-static) — measured ~18× slower (the self-test on
// espruino-jolt: 183–229 s), so on such a kernel CI runs only the tests that hold the size and
// RAM budgets emulated (`npm run test:device:emulated`, ~6 min).

import { spawnSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export type EngineName = "espruino-puck" | "espruino-jolt" | "jerry";

/** JsVars in each Espruino build's pool (Puck.js: 2,630 × 13 B; Jolt.js: 12,000 × 14 B). */
export const POOL_JSVARS: Record<"espruino-puck" | "espruino-jolt", number> = {
  "espruino-puck": 2630,
  "espruino-jolt": 12000,
};

const repoRoot = resolve(import.meta.dirname, "..", "..");

export function enginesDir(): string {
  return process.env.EM_ENGINES_DIR ?? join(repoRoot, "..", "shared", "engines");
}

/** Debian's qemu-user-static: runs the 32-bit Espruino builds where the kernel will not. */
const QEMU_I386 = "/usr/bin/qemu-i386-static";
/** Where the wrappers that run an engine under it are written. */
const QEMU_WRAPPERS = join(tmpdir(), "em-engines-qemu");

/** How each engine runs here: directly, through a qemu wrapper, or not at all (with why). */
const how = new Map<EngineName, { path: string } | { why: string }>();

/** Whether `argv` runs an empty script and exits 0 (a 32-bit build on a kernel with 32-bit
 * programs disabled does not: exec fails and the shell's fallback reads the ELF as a script). */
function runs(argv: string[]): boolean {
  const r = spawnSync(argv[0], [...argv.slice(1), "/dev/null"], {
    cwd: tmpdir(),
    timeout: 10_000,
    stdio: "ignore",
  });
  return r.status === 0;
}

function probe(name: EngineName): { path: string } | { why: string } {
  const p = join(enginesDir(), name);
  try {
    accessSync(p, constants.X_OK);
  } catch {
    return { why: "not found" };
  }
  if (runs([p])) return { path: p };
  const noQemu =
    process.env.EM_ENGINES_QEMU !== "1"
      ? "EM_ENGINES_QEMU=1 runs it under qemu-i386, ~18× slower"
      : !existsSync(QEMU_I386)
        ? `EM_ENGINES_QEMU=1, but ${QEMU_I386} is not installed (Debian's qemu-user-static)`
        : runs([QEMU_I386, p])
          ? null
          : `${QEMU_I386} fails on it too`;
  if (noQemu !== null)
    return {
      why: `cannot run here: a 32-bit x86 build, and this kernel runs no 32-bit programs (ia32_emulation is off); ${noQemu}`,
    };
  // A wrapper the tests, socat's EXEC and the lab tools run as if it were the engine.
  mkdirSync(QEMU_WRAPPERS, { recursive: true });
  const w = join(QEMU_WRAPPERS, name);
  const script = `#!/bin/sh\nexec ${QEMU_I386} '${p}' "$@"\n`;
  // Written aside and renamed into place: CI runs two suites at once, and one must never exec
  // the wrapper while the other is halfway through rewriting it.
  if (!existsSync(w) || readFileSync(w, "utf8") !== script) {
    const tmp = `${w}.${process.pid}`;
    writeFileSync(tmp, script);
    chmodSync(tmp, 0o755);
    renameSync(tmp, w);
  }
  return { path: w };
}

function engine(name: EngineName): { path: string } | { why: string } {
  let h = how.get(name);
  if (h === undefined) {
    h = probe(name);
    how.set(name, h);
  }
  return h;
}

/** The engine's path (or a wrapper that runs it under qemu-i386), or null when it is not
 * installed here or cannot run. */
export function enginePath(name: EngineName): string | null {
  const h = engine(name);
  return "path" in h ? h.path : null;
}

/** Whether the engine runs here under qemu-i386 (EM_ENGINES_QEMU=1), not natively. */
export function engineEmulated(name: EngineName): boolean {
  return enginePath(name)?.startsWith(QEMU_WRAPPERS) ?? false;
}

/** Why the engines' tests skip here, or null when every engine can run. */
export function enginesMissing(names: EngineName[]): string | null {
  const missing = names.filter((n) => enginePath(n) === null);
  if (missing.length === 0) return null;
  return (
    "device engines unusable in " +
    enginesDir() +
    ": " +
    missing.map((n) => `${n} ${(engine(n) as { why: string }).why}`).join("; ") +
    " — set EM_ENGINES_DIR to the folder holding espruino-puck, espruino-jolt and jerry"
  );
}
