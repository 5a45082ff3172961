import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as acorn from "acorn";
import { afterAll, describe, expect, it } from "vitest";
import { checkDeviceSubset } from "./device-gate";
import { isEspruinoGlobal } from "./espruino-globals";
import { type BundleSpec, buildBundle, DeviceBuildError } from "./firmware-build";
import { hoistFunctions, withoutHoisting } from "./hoist";
import { runBundle } from "./run-bundle";

const root = join(import.meta.dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "fwbuild-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function spec(name: string, entry: string, budgetBytes = 1e6): BundleSpec {
  return { name, entry, outFile: join(out, name + ".js"), budgetBytes };
}
const fixture = (name: string) => join(import.meta.dirname, "fixtures", name + ".ts");

async function failure(s: BundleSpec): Promise<DeviceBuildError> {
  const err = await buildBundle(s).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceBuildError);
  expect(existsSync(s.outFile)).toBe(false);
  return err as DeviceBuildError;
}

describe("device bundle build", () => {
  it("builds the self-test bundle: gated, measured, and passing in the device realm", async () => {
    const s = spec("selftest", join(root, "tools/selftest/selftest-main.ts"), 128 * 1024);
    const report = await buildBundle(s);
    const code = readFileSync(s.outFile, "utf8");
    expect(report.minifiedBytes).toBe(Buffer.byteLength(code));
    expect(report.rawBytes).toBeGreaterThan(report.minifiedBytes);
    expect(report.gzipBytes).toBeLessThan(report.minifiedBytes);
    const sizes = JSON.parse(readFileSync(join(out, "selftest.size.json"), "utf8"));
    expect(sizes).toMatchObject({ file: "selftest.js", budgetBytes: 128 * 1024 });
    expect(sizes.minifiedBytes).toBe(report.minifiedBytes);

    expect(checkDeviceSubset(code)).toEqual([]);
    expect(code).not.toMatch(/use strict|__esModule|__commonJS|__esm|defineProperty\(exports/);
    expect(hoistFunctions(code)).toBe(code);

    // Once as built (hoisting engines read it so), once with functions defined only where declared
    // (Espruino).
    for (const text of [code, withoutHoisting(code)]) {
      const run = runBundle(text);
      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      expect(run.stdout).not.toContain("not ok");
      const m = /^(\d+) passed, 0 failed$/.exec(run.stdout.trim().split("\n").pop() ?? "");
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(60);
    }
  });

  it("fails, naming the rule, when device code uses Map, and leaves no bundle", async () => {
    const s = spec("map", fixture("uses-map"));
    writeFileSync(s.outFile, "stale");
    const err = await failure(s);
    expect(err.message).toMatch(/missing-global: Map .*uses-map\.ts/);
    expect(err.violations.map((v) => v.rule)).toContain("missing-global");
  });

  it("fails on Math.pow, which tsc emits for **", async () => {
    const err = await failure(spec("pow", fixture("uses-pow")));
    expect(err.message).toContain("inexact-math: Math.pow");
  });

  it("fails on code that compiles to a helper it does not provide (async)", async () => {
    const err = await failure(spec("async", fixture("uses-async")));
    expect(err.message).toMatch(/__awaiter/);
  });

  it("fails over budget, and lists that with the gate's findings", async () => {
    const err = await failure(spec("tiny", fixture("uses-map"), 10));
    expect(err.message).toMatch(/missing-global/);
    expect(err.message).toMatch(/budget: \d+ bytes minified, over the budget of 10/);
  });

  it("keeps require() of a board module as a plain call", async () => {
    const s = spec("board", fixture("board-require"));
    await buildBundle(s);
    const code = readFileSync(s.outFile, "utf8");
    expect(code).toContain('require("Storage")');
    const prelude =
      'function require(m) { return { read: function (f) { return m + ":" + f; } }; }';
    expect(runBundle(code, { prelude }).stdout.trim()).toBe("Storage:boot");
  });

  it("exposes the entry's exports on a global only when asked to", async () => {
    const s = { ...spec("api", fixture("exports-api")), globalName: "Api" };
    await buildBundle(s);
    const code = readFileSync(s.outFile, "utf8");
    const run = runBundle(code + '\nprint(Api.add(2, 3), Api["default"](4), Api.VERSION);');
    expect(run.stdout.trim()).toBe("5 8 1.0");
    await buildBundle(spec("api-plain", fixture("exports-api")));
    expect(readFileSync(join(out, "api-plain.js"), "utf8")).not.toContain("Api");
  });

  it("puts a device bundle's code at top level, never under a name Espruino defines", async () => {
    // Enough top-level functions that the minifier would hand out D0…D31, E, LED1 and the rest.
    let body = "";
    for (let i = 0; i < 3000; i++)
      body += `function f${i}(x: number): number { return x + ${i}; }\n`;
    const calls = Array.from({ length: 3000 }, (_, i) => `f${i}(1)`).join(" + ");
    const entry = join(out, "many-globals.ts");
    writeFileSync(
      entry,
      `declare const print: (s: string) => void;\n${body}print(String(${calls}));\n`,
    );
    const s = spec("many-globals", entry);
    await buildBundle(s);
    const code = readFileSync(s.outFile, "utf8");
    expect(code.startsWith("(function")).toBe(false);
    const top = acorn.parse(code, { ecmaVersion: 5 }).body;
    const names = top.flatMap((t) => (t.type === "FunctionDeclaration" && t.id ? [t.id.name] : []));
    expect(names.length).toBeGreaterThan(2900);
    expect(names.filter(isEspruinoGlobal)).toEqual([]);
    expect(names.filter((n) => /^[A-Z]\d+$/.test(n))).toEqual([]);
    expect(runBundle(code).stdout.trim()).toBe(String(3000 + (2999 * 3000) / 2));
  });

  it("never lets the minifier name a variable `of`", async () => {
    // Enough locals in one scope that esbuild would otherwise hand out every two-letter name.
    let body = "";
    for (let i = 0; i < 3000; i++) body += `const v${i} = Number("${i}");\n`;
    const sum = Array.from({ length: 3000 }, (_, i) => "v" + i).join(" + ");
    const entry = join(out, "many-locals.ts");
    writeFileSync(
      entry,
      `declare const print: (s: string) => void;\nfunction f(): number {\n${body}return ${sum};\n}\nprint(String(f()));\n`,
    );
    const s = spec("many-locals", entry);
    await buildBundle(s);
    expect(runBundle(readFileSync(s.outFile, "utf8")).stdout.trim()).toBe("4498500");
  });

  it("renames our property names but keeps those reached by string, and strips failure messages only when asked", async () => {
    const kept = spec("props", fixture("property-names"));
    await buildBundle(kept);
    const stripped = { ...spec("props-stripped", fixture("property-names")), stripMessages: true };
    await buildBundle(stripped);
    const keptCode = readFileSync(kept.outFile, "utf8");
    const strippedCode = readFileSync(stripped.outFile, "utf8");
    // sensorLevel is only ever reached with a dot: renamed. sensorLabel is also a string: kept.
    expect(keptCode).not.toContain("sensorLevel");
    expect(keptCode).toContain("sensorLabel");
    expect(keptCode).toContain("a long explanation");
    expect(strippedCode).not.toContain("a long explanation");
    expect(runBundle(keptCode).stdout.trim()).toBe("7 L7 true Green 2 bad_mac string");
    expect(runBundle(strippedCode).stdout.trim()).toBe("7 L7 true Green 2 bad_mac undefined");
  });
});
