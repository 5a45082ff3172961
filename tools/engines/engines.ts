// The real device engines, built for Linux: Espruino 2v29 with a Puck.js-sized pool
// (`espruino-puck`, the tag) and a Jolt.js-sized one (`espruino-jolt`, the home unit), both with
// Storage memory-mapped as on an nRF52, and JerryScript 3.0 (`jerry`). They are not packaged for
// Debian or npm; the project expects them in `../shared/engines/` beside the repository, or in
// the folder `EM_ENGINES_DIR` names. Without them the device script skips, saying why.

import { accessSync, constants } from "node:fs";
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

/** The engine's path, or null when it is not installed here. */
export function enginePath(name: EngineName): string | null {
  const p = join(enginesDir(), name);
  try {
    accessSync(p, constants.X_OK);
    return p;
  } catch {
    return null;
  }
}

/** Why the engines' tests skip here, or null when every engine is present. */
export function enginesMissing(names: EngineName[]): string | null {
  const missing = names.filter((n) => enginePath(n) === null);
  if (missing.length === 0) return null;
  return (
    "device engines not found (" +
    missing.join(", ") +
    ") in " +
    enginesDir() +
    " — set EM_ENGINES_DIR to the folder holding espruino-puck, espruino-jolt and jerry"
  );
}
