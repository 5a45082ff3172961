// The bench's "issue 4 scope" follows the real entry: it builds, and the uplink is out of it.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { issue4Scope } from "./issue4-scope";

const root = join(import.meta.dirname, "..", "..");

describe("issue 4 scope (bench:firmware)", () => {
  it("builds base-main.ts without the GSM uplink, smaller than the shipped base.js", async () => {
    const scope = await issue4Scope(root);
    // The SIM800 dialect's commands (in the shipped base.js) would be in the text; the app's own
    // modules are (the schedule's default time-zone rule).
    expect(scope.min.includes("CIPSTART")).toBe(false);
    expect(scope.min.includes("EET-2EEST")).toBe(true);
    expect(scope.minifiedBytes).toBeGreaterThan(20_000);
    expect(scope.minifiedBytes).toBeLessThan(80_000);
  }, 60_000);
});
