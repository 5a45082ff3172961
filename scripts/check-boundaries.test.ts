import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  findBoundaryViolations,
  importsOf,
  listSourceFiles,
  PROTOCOL_PACKAGE,
  type Rule,
} from "./check-boundaries";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..");
const tmp = mkdtempSync(join(tmpdir(), "boundaries-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let fixtureCount = 0;
/** A fresh fixture tree in the temp dir: path → file text. */
function tree(files: Record<string, string>): string {
  const dir = join(tmp, `t${fixtureCount++}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("the repository", () => {
  it("has no boundary violations", () => {
    expect(findBoundaryViolations(repoRoot)).toEqual([]);
  });

  it("is really scanned (device code and tests are among the files read)", () => {
    const files = listSourceFiles(repoRoot);
    expect(files).toContain("protocol/src/core/index.ts");
    expect(files).toContain("protocol/src/host/index.ts");
    expect(files).toContain("scripts/check-boundaries.test.ts");
    expect(files.some((f) => f.startsWith("protocol/test/") && f.endsWith(".test.ts"))).toBe(true);
    expect(files.some((f) => f.includes("node_modules/"))).toBe(false);
  });

  it("names the protocol package as protocol/package.json does", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "protocol", "package.json"), "utf8"));
    expect(pkg.name).toBe(PROTOCOL_PACKAGE);
  });
});

// Each fixture breaks one rule once; the checker must name that rule and the specifier's line.
const cases: { name: string; files: Record<string, string>; expected: [Rule, number, string][] }[] =
  [
    {
      name: "core imports node:*",
      files: { "protocol/src/core/a.ts": 'import { readFileSync } from "node:fs";\n' },
      expected: [["device-node-builtin", 1, "protocol/src/core/a.ts"]],
    },
    {
      name: "core imports a built-in without the node: prefix",
      files: { "protocol/src/core/a.ts": "// header\n\nimport { createHash } from 'crypto';\n" },
      expected: [["device-node-builtin", 3, "protocol/src/core/a.ts"]],
    },
    {
      name: "core imports a built-in subpath",
      files: { "protocol/src/core/a.ts": 'import { promises } from "fs/promises";\n' },
      expected: [["device-node-builtin", 1, "protocol/src/core/a.ts"]],
    },
    {
      name: "firmware re-exports from an npm package",
      files: { "firmware/tag/a.ts": 'export { encode } from "cbor-x";\n' },
      expected: [["device-npm-package", 1, "firmware/tag/a.ts"]],
    },
    {
      name: "firmware type-only import from an npm package",
      files: { "firmware/a.ts": 'import type { Options } from "cbor-x";\n' },
      expected: [["device-npm-package", 1, "firmware/a.ts"]],
    },
    {
      name: "firmware require() nested in a function",
      files: {
        "firmware/a.ts":
          'export function f() {\n  if (Date.now()) {\n    return require("mqtt");\n  }\n}\n',
      },
      expected: [["device-npm-package", 3, "firmware/a.ts"]],
    },
    {
      name: "firmware require() inside a template substitution",
      files: { "firmware/a.ts": ["export const s = `$", '{require("events")}`;\n'].join("") },
      expected: [["device-node-builtin", 1, "firmware/a.ts"]],
    },
    {
      name: "firmware dynamic import()",
      files: { "firmware/home/a.ts": "\nexport const m = import(`net`);\n" },
      expected: [["device-node-builtin", 2, "firmware/home/a.ts"]],
    },
    {
      name: "firmware import x = require()",
      files: { "firmware/a.ts": 'import path = require("path");\nexport const p = path;\n' },
      expected: [["device-node-builtin", 1, "firmware/a.ts"]],
    },
    {
      name: "firmware typeof import() in a type",
      files: { "firmware/a.ts": 'export type T = typeof import("node:events");\n' },
      expected: [["device-node-builtin", 1, "firmware/a.ts"]],
    },
    {
      name: "Espruino module names outside the Espruino target",
      files: { "firmware/tag/a.ts": 'export const s = require("Storage");\n' },
      expected: [["device-npm-package", 1, "firmware/tag/a.ts"]],
    },
    {
      name: "Espruino module name through import, not require, in the target",
      files: { "firmware/targets/espruino/a.ts": 'import Storage from "Storage";\n' },
      expected: [["device-npm-package", 1, "firmware/targets/espruino/a.ts"]],
    },
    {
      name: "core imports the host face",
      files: { "protocol/src/core/a.ts": 'import "./b";\nimport { x } from "../host/x";\n' },
      expected: [["core-outside-core", 2, "protocol/src/core/a.ts"]],
    },
    {
      name: "a test inside core imports outside core (layering covers tests)",
      files: { "protocol/src/core/a.test.ts": 'import "vitest";\nimport "../host/x";\n' },
      expected: [["core-outside-core", 2, "protocol/src/core/a.test.ts"]],
    },
    {
      name: "protocol host imports firmware",
      files: { "protocol/src/host/a.ts": 'import "../../../firmware/x";\n' },
      expected: [["protocol-layering", 1, "protocol/src/host/a.ts"]],
    },
    {
      name: "protocol test imports the simulator",
      files: { "protocol/test/a.test.ts": 'import { run } from "../../simulator/x";\n' },
      expected: [["protocol-layering", 1, "protocol/test/a.test.ts"]],
    },
    {
      name: "protocol vectors import tools",
      files: { "protocol/vectors/a.ts": 'export * from "../../tools/x";\n' },
      expected: [["protocol-layering", 1, "protocol/vectors/a.ts"]],
    },
    {
      name: "protocol imports hil-tests through a multi-line import",
      files: { "protocol/a.ts": 'import {\n  a,\n  b,\n} from "../hil-tests/x";\n' },
      expected: [["protocol-layering", 4, "protocol/a.ts"]],
    },
    {
      name: "firmware imports the simulator",
      files: { "firmware/tag/a.ts": 'import "../../simulator/x";\n' },
      expected: [["firmware-layering", 1, "firmware/tag/a.ts"]],
    },
    {
      name: "a firmware test imports tools (layering covers tests)",
      files: { "firmware/a.test.ts": 'import "node:fs";\nimport "../tools/x";\n' },
      expected: [["firmware-layering", 2, "firmware/a.test.ts"]],
    },
    {
      name: "firmware imports hil-tests",
      files: { "firmware/a.ts": 'export { b } from "../hil-tests/b";\n' },
      expected: [["firmware-layering", 1, "firmware/a.ts"]],
    },
    {
      name: "firmware imports the protocol host face",
      files: { "firmware/a.ts": 'import { keyring } from "@em-platform/protocol/host/keyring";\n' },
      expected: [["firmware-protocol-core-only", 1, "firmware/a.ts"]],
    },
    {
      name: "firmware imports the core by path, not by the package's name",
      files: { "firmware/tag/a.ts": 'import { toHex } from "../../protocol/src/core/bytes";\n' },
      expected: [["protocol-by-name", 1, "firmware/tag/a.ts"]],
    },
    {
      name: "a lab tool's test reads vectors by path through import()",
      files: { "tools/lab/a.test.ts": 'await import("../../protocol/vectors/cases");\n' },
      expected: [["protocol-by-name", 1, "tools/lab/a.test.ts"]],
    },
    {
      name: "firmware imports the whole host face by name",
      files: { "firmware/a.ts": 'import "@em-platform/protocol/host";\n' },
      expected: [["firmware-protocol-core-only", 1, "firmware/a.ts"]],
    },
    {
      name: "simulator imports tools",
      files: { "simulator/radio/a.ts": 'import "../../tools/x";\n' },
      expected: [["simulator-layering", 1, "simulator/radio/a.ts"]],
    },
    {
      name: "simulator imports hil-tests",
      files: { "simulator/a.test.ts": '\n\n\nconst h = await import("../hil-tests/x");\n' },
      expected: [["simulator-layering", 4, "simulator/a.test.ts"]],
    },
  ];

describe("each rule is reported", () => {
  for (const c of cases) {
    it(c.name, () => {
      const found = findBoundaryViolations(tree(c.files));
      expect(found.map((v) => [v.rule, v.line, v.file])).toEqual(c.expected);
    });
  }

  it("reports every rule an import breaks (core → firmware breaks two)", () => {
    const found = findBoundaryViolations(
      tree({ "protocol/src/core/a.ts": 'import "../../../firmware/x";\n' }),
    );
    expect(found.map((v) => v.rule).sort()).toEqual(["core-outside-core", "protocol-layering"]);
    expect(found[0].specifier).toBe("../../../firmware/x");
  });
});

describe("what the layering allows", () => {
  it("passes allowed imports, tests of device code, and imports in comments and strings", () => {
    const dir = tree({
      "protocol/src/core/a.ts": [
        '// import "node:fs";',
        '/* require("fs") */',
        "const s = \"require('fs')\";",
        'const t = `import("net")`;',
        "export const u = s + t;",
        'import "./b";',
        'export * from "./sub/c";',
        'declare module "./b" {}',
        "",
      ].join("\n"),
      "protocol/src/core/b.ts": "export const b = 1;\n",
      "protocol/src/core/sub/c.ts": 'import { b } from "../b";\nexport const c = b;\n',
      "protocol/src/host/a.ts": 'import "node:crypto";\nimport "cbor-x";\nimport "../core/a";\n',
      "protocol/test/a.test.ts":
        'import "vitest";\nimport "../src/core/a";\nimport "../src/host/a";\n',
      "firmware/tag/a.ts":
        'import "@em-platform/protocol/core/a";\nimport "@em-platform/protocol/core";\nimport "../hal/clock";\n',
      "firmware/tag/a.test.ts":
        'import "vitest";\nimport "node:fs";\nimport "@em-platform/protocol/core/b";\n',
      "firmware/targets/espruino/storage.ts":
        'const Storage = require("Storage");\nconst c = require("crypto");\nexport { Storage, c };\n',
      "firmware/a.ts": 'const o = { require(x: string) { return x; } };\no.require("fs");\n',
      "simulator/a.ts":
        'import "../firmware/tag/a";\nimport "@em-platform/protocol/host/a";\nimport "mqtt";\n',
      "tools/a.ts": 'import "../simulator/a";\nimport "../hil-tests/x";\nimport "serialport";\n',
      "hil-tests/a.test.ts": 'import "../tools/a";\nimport "../firmware/tag/a";\n',
      "scripts/x.ts": 'import "node:fs";\nimport "../firmware/tag/a";\n',
      "firmware/node_modules/pkg/index.ts": 'import "node:fs";\n',
      "firmware/dist/bundle.ts": 'import "node:fs";\n',
    });
    expect(findBoundaryViolations(dir)).toEqual([]);
  });
});

describe("importsOf", () => {
  it("finds every form of import with its line", () => {
    const src = [
      'import a from "a";',
      'import type { B } from "b";',
      'export { c } from "c";',
      'export * from "d";',
      'import e = require("e");',
      'const f = require("f");',
      'const g = import("g");',
      'type H = typeof import("h");',
      'import "i";',
      "",
    ].join("\n");
    expect(importsOf(src).map((i) => [i.specifier, i.line, i.viaRequire])).toEqual([
      ["a", 1, false],
      ["b", 2, false],
      ["c", 3, false],
      ["d", 4, false],
      ["e", 5, true],
      ["f", 6, true],
      ["g", 7, false],
      ["h", 8, false],
      ["i", 9, false],
    ]);
  });
});

describe("the command line", () => {
  const script = join(here, "check-boundaries.ts");
  const run = (root: string) =>
    spawnSync(process.execPath, ["--import", "tsx", script, root], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });

  it("prints each violation and exits 1", () => {
    const r = run(tree({ "firmware/a.ts": '\nimport "node:net";\n' }));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('firmware/a.ts:2: [device-node-builtin] "node:net"');
    expect(r.stdout).toContain("boundaries: 1 violation(s)");
  });

  it("exits 0 on a clean tree", () => {
    const r = run(tree({ "firmware/a.ts": 'import "@em-platform/protocol/core/x";\n' }));
    expect(r.stdout).toContain("boundaries: ok");
    expect(r.status).toBe(0);
  });
});
