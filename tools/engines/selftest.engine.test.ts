// The engine-neutral self-test (selftest.js: protocol vectors, device logic under virtual time,
// the engine canaries) on the real engines: Espruino with a Jolt.js pool, booted from Storage,
// and JerryScript. (It is larger than a Puck.js's 40 KB of Storage; the tag's own bundle is
// what runs there — ram.engine.test.ts.)

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginePath, enginesMissing } from "./engines";
import { EspruinoBoard } from "./espruino-board";
import { buildShipped } from "./shipped-bundles";

// Each engine on its own: JerryScript (64-bit) runs where the 32-bit Espruino builds cannot.
const noJolt = enginesMissing(["espruino-jolt"]);
const noJerry = enginesMissing(["jerry"]);
for (const why of [noJolt, noJerry]) if (why) console.log("skipped: " + why);

function summary(out: string): { passed: number; failed: number; failures: string[] } {
  const m = /(\d+) passed, (\d+) failed/.exec(out);
  // No summary line: the run was cut short; show its end.
  const failures = out.split(/\r?\n/).filter((l) => l.startsWith("not ok"));
  return m
    ? { passed: Number(m[1]), failed: Number(m[2]), failures }
    : { passed: 0, failed: -1, failures: [out.slice(-800)] };
}

describe.skipIf(noJolt !== null && noJerry !== null)("the self-test on the engines", () => {
  // Made when the tests run, not when the file loads (a skipped run leaves nothing behind).
  let dir = "";
  let file = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "em-selftest-"));
    file = await buildShipped("selftest", dir);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(noJolt !== null)(
    "passes on espruino-jolt, booted from Storage",
    () => {
      const board = new EspruinoBoard("espruino-jolt");
      try {
        board.writeFile("selftest.js", readFileSync(file, "latin1"));
        // ~40 s on an idle machine; a loaded one (CI, two cores) has taken over 120 s.
        const r = board.run(EspruinoBoard.bootScript("selftest.js", "", ""), 540000);
        const s = summary(r.stdout);
        console.log(`espruino-jolt: ${s.passed} passed, ${s.failed} failed`);
        expect(s.failures).toEqual([]);
        expect(s.failed).toBe(0);
        expect(s.passed).toBeGreaterThan(50);
      } finally {
        board.dispose();
      }
    },
    600_000,
  );

  it.skipIf(noJerry !== null)("passes on JerryScript", () => {
    const r = spawnSync(enginePath("jerry") as string, [file], {
      encoding: "latin1",
      timeout: 120000,
    });
    const s = summary(r.stdout + r.stderr);
    console.log(`jerry: ${s.passed} passed, ${s.failed} failed`);
    expect(s.failures).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.passed).toBeGreaterThan(50);
  });
});
