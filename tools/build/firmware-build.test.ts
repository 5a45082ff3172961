import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBundle, DeviceBuildError } from "./firmware-build";
import { hoistFunctions } from "./hoist";
import { runInDuktape } from "./run-in-duktape";

const root = join(__dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "fwbuild-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const fixture = (n: string) => join(__dirname, "fixtures", n);

describe("device bundle build", () => {
  it("builds the self-test bundle, which passes every check in Duktape", async () => {
    const r = await buildBundle({
      name: "selftest",
      entry: join(root, "tools/selftest/selftest-main.ts"),
      outFile: join(out, "selftest.js"),
      budgetBytes: 96 * 1024,
    });
    expect(r.minifiedBytes).toBeGreaterThan(1000);
    expect(existsSync(join(out, "selftest.size.json"))).toBe(true);
    const run = runInDuktape(readFileSync(join(out, "selftest.js"), "utf8"));
    const last = run.stdout.trim().split("\n").pop();
    expect(run.stdout).not.toContain("not ok");
    expect(last).toMatch(/^(\d+) passed, 0 failed$/);
    expect(Number(last!.split(" ")[0])).toBeGreaterThan(40);
  });

  it("fails the build, naming the rule, when device code uses Map", async () => {
    await expect(
      buildBundle({
        name: "bad",
        entry: fixture("uses-map.ts"),
        outFile: join(out, "bad.js"),
        budgetBytes: 1e6,
      }),
    ).rejects.toThrow(/missing-global: Map/);
    expect(existsSync(join(out, "bad.js"))).toBe(false);
  });

  it("fails the build on Math.pow", async () => {
    const err = await buildBundle({
      name: "pow",
      entry: fixture("uses-pow.ts"),
      outFile: join(out, "pow.js"),
      budgetBytes: 1e6,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DeviceBuildError);
    expect((err as DeviceBuildError).violations.map((v) => v.rule)).toContain("missing-member");
  });

  it("fails the build over budget and writes nothing", async () => {
    await expect(
      buildBundle({
        name: "big",
        entry: fixture("late-function.ts"),
        outFile: join(out, "big.js"),
        budgetBytes: 100,
      }),
    ).rejects.toThrow(/over the budget of 100/);
    expect(existsSync(join(out, "big.js"))).toBe(false);
  });

  it("hoists so that late functions and class inheritance run on a non-hoisting reading", async () => {
    await buildBundle({
      name: "late",
      entry: fixture("late-function.ts"),
      outFile: join(out, "late.js"),
      budgetBytes: 1e6,
    });
    const code = readFileSync(join(out, "late.js"), "utf8");
    expect(runInDuktape(code).stdout.trim()).toBe("area 9");
    // After hoisting, no function declaration follows another statement in any scope: the
    // hoister finds nothing left to move.
    expect(hoistFunctions(code)).toBe(code);
  });

  it("hoistFunctions moves declarations above their first use, nested scopes included", () => {
    const src =
      "var r = f();\nfunction f() { var x = g(); function g() { return 2; } return x; }\nprint(r);";
    const h = hoistFunctions(src);
    expect(h.indexOf("function f")).toBeLessThan(h.indexOf("var r"));
    expect(h.indexOf("function g")).toBeLessThan(h.indexOf("var x"));
    expect(runInDuktape(h).stdout.trim()).toBe("2");
  });
});
