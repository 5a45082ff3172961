import { describe, expect, it } from "vitest";
import { MISSING_GLOBALS, MISSING_MEMBERS } from "./device-gate";
import { type BundleEngine, hasDuktape, runBundle, selectedEngine } from "./run-bundle";

const duk = hasDuktape();
const NO_DUK = "skipped: `duk` is not installed (Debian package duktape)";
if (!duk) console.info(`run-bundle.test.ts: the duktape engine's tests are ${NO_DUK}`);

describe("runBundle, vm engine: the device realm", () => {
  const vm = (code: string, prelude?: string) => runBundle(code, { engine: "vm", prelude });

  it("lacks every global and member the device gate names, and the extras", () => {
    const names = [
      ...MISSING_GLOBALS,
      ...MISSING_MEMBERS,
      "ArrayBuffer.prototype.slice",
      "Promise.prototype.finally",
      "Object.getOwnPropertyDescriptors",
      "structuredClone",
      "queueMicrotask",
      "WebAssembly",
      "setTimeout",
      "require",
      "process",
      "Buffer",
    ];
    const probe = names.map((n) => `print(${JSON.stringify(n)}, ${present(n)});`).join("\n");
    const run = vm(probe);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\n")).toEqual(names.map((n) => n + " false"));
  });

  it("keeps what the engines have: typed arrays, Promise, Number as a function and constructor", () => {
    const run = vm(
      "var u = new Uint8Array([1, 2, 3]);\n" +
        "print(u.subarray(1).length, u instanceof Uint8Array, typeof Promise, typeof Promise.all);\n" +
        'print(Number("12"), new Number(3) + 1, new Number(3) instanceof Number, Number.MAX_VALUE > 1);\n' +
        "print(typeof Number.MAX_SAFE_INTEGER, typeof Number.isInteger, (5).toFixed(1));",
    );
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("2 true function function\n12 4 true true\nundefined undefined 5.0\n");
  });

  it("prints with print and console.log on stdout, console.error on stderr, the prelude first", () => {
    const run = vm('print(x, [1, 2], {}); console.log("log"); console.error("err");', "var x = 7;");
    expect(run).toEqual({
      stdout: "7 1,2 [object Object]\nlog\n",
      stderr: "err\n",
      exitCode: 0,
      timedOut: false,
    });
  });

  it("ends with exit status 1 and the error on stderr on an uncaught throw", () => {
    const run = vm('print("before"); null.x;');
    expect(run.stdout).toBe("before\n");
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/TypeError: Cannot read properties of null/);
    expect(run.stderr).toContain("bundle.js:1");
    expect(run.stderr).not.toContain("run-bundle.ts");
  });

  it("runs promise callbacks before it returns", () => {
    const run = vm("Promise.resolve(1).then(function (v) { print('then', v); }); print('sync');");
    expect(run.stdout).toBe("sync\nthen 1\n");
  });

  it("starts each run in a fresh realm", () => {
    expect(vm("var leaked = 1; Array.prototype.extra = 2;").exitCode).toBe(0);
    expect(vm("print(typeof leaked, typeof [].extra);").stdout).toBe("undefined undefined\n");
  });
});

/** A realm expression: whether dotted name `n` reaches a value. */
function present(n: string): string {
  const parts = n.split(".");
  let expr = `typeof ${parts[0]} !== "undefined"`;
  for (let i = 1; i < parts.length; i++)
    expr += ` && ${parts.slice(0, i + 1).join(".")} !== undefined`;
  return `(${expr})`;
}

const engines: { engine: BundleEngine; skip: boolean; name: string }[] = [
  { engine: "vm", skip: false, name: "vm" },
  { engine: "duktape", skip: !duk, name: duk ? "duktape" : `duktape (${NO_DUK})` },
];

for (const e of engines) {
  describe(`runBundle, ${e.name} engine`, () => {
    it.skipIf(e.skip)("stops a runaway bundle and says so", () => {
      const run = runBundle("for (;;) {}", { timeoutMs: 300, engine: e.engine });
      expect(run.timedOut).toBe(true);
      expect(run.exitCode).toBe(-1);
    });

    it.skipIf(e.skip)("reports an uncaught error with a non-zero status", () => {
      const run = runBundle('print("a"); throw new RangeError("out");', { engine: e.engine });
      expect(run.stdout).toBe("a\n");
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain("RangeError: out");
    });
  });
}

describe("runBundle: choosing the engine", () => {
  it("uses EM_BUNDLE_ENGINE, the vm engine when unset, and refuses other names", () => {
    const saved = process.env.EM_BUNDLE_ENGINE;
    try {
      delete process.env.EM_BUNDLE_ENGINE;
      expect(selectedEngine()).toBe("vm");
      process.env.EM_BUNDLE_ENGINE = "duktape";
      expect(selectedEngine()).toBe("duktape");
      process.env.EM_BUNDLE_ENGINE = "mujs";
      expect(() => selectedEngine()).toThrow(/"vm" \(default\) and "duktape"/);
    } finally {
      if (saved === undefined) delete process.env.EM_BUNDLE_ENGINE;
      else process.env.EM_BUNDLE_ENGINE = saved;
    }
  });

  it("names the Debian package when the duktape engine is chosen and `duk` is missing", () => {
    const saved = process.env.PATH;
    try {
      process.env.PATH = "/nonexistent";
      expect(() => runBundle("print(1)", { engine: "duktape" })).toThrow(
        /`duk` is not on the PATH: install the Debian package duktape/,
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
