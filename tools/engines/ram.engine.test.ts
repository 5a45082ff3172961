// RAM of the shipped tag and home-unit bundles, measured on the real engines (process.memory()
// after a garbage collection) and held to the budgets in firmware/README.md ("Budgets").

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enginesMissing, POOL_JSVARS } from "./engines";
import { tagAfterBoot, tagOverTime, unitAfterBoot } from "./ram";
import { buildShipped } from "./shipped-bundles";

const missing = enginesMissing(["espruino-puck", "espruino-jolt"]);
if (missing) console.log("skipped: " + missing);

describe.skipIf(missing !== null)("RAM on the engines", () => {
  // Made when the tests run, not when the file loads (a skipped run leaves nothing behind).
  let dir = "";
  let tag = "";
  let base = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "em-ram-"));
    tag = await buildShipped("tag", dir);
    base = await buildShipped("base", dir);
  });
  afterAll(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("tag: at most 40 % of a Puck.js pool after boot", () => {
    const m = tagAfterBoot(tag);
    console.log(`tag after boot: ${m.usage} of ${m.total} JsVars`);
    expect(m.total).toBe(POOL_JSVARS["espruino-puck"]);
    expect(m.usage).toBeLessThanOrEqual(0.4 * m.total);
  });

  it("tag: no growth over 24 hours of beacons", () => {
    const d = tagOverTime(tag, 24);
    console.log(`tag over 24 h: ${d.start.usage} → ${d.end.usage} JsVars, ${d.frames} frames`);
    // 8 s ± 10 % for 24 h is ~10,800 frames; the count shows the tag really ran.
    expect(d.frames).toBeGreaterThan(10000);
    expect(d.end.usage - d.start.usage).toBeLessThanOrEqual(16);
  });

  it("home unit: at most half of a Jolt.js pool after boot (modem silent)", () => {
    const m = unitAfterBoot(base);
    console.log(`home unit after boot: ${m.usage} of ${m.total} JsVars`);
    expect(m.total).toBe(POOL_JSVARS["espruino-jolt"]);
    expect(m.usage).toBeLessThanOrEqual(0.5 * m.total);
  });
});
