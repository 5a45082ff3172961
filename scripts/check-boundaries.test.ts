import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findBoundaryViolations } from "./check-boundaries";

const root = join(__dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "boundaries-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("dependency boundaries", () => {
  it("the repository has no violations", () => {
    expect(findBoundaryViolations(root)).toEqual([]);
  });

  const cases: [string, Record<string, string>, string, number][] = [
    [
      "core node",
      { "protocol/src/core/a.ts": 'import { x } from "node:fs";\n' },
      "device code imports a Node built-in",
      1,
    ],
    [
      "core bare builtin",
      { "protocol/src/core/a.ts": "\n\nimport fs from 'fs';\n" },
      "device code imports a Node built-in",
      3,
    ],
    [
      "firmware npm",
      { "firmware/tag/a.ts": 'export { encode } from "cbor-x";\n' },
      "device code imports an npm package",
      1,
    ],
    [
      "firmware require",
      { "firmware/a.ts": 'const m = require("mqtt");\n' },
      "device code imports an npm package",
      1,
    ],
    [
      "firmware dynamic import",
      { "firmware/a.ts": 'const m = import("net");\n' },
      "device code imports a Node built-in",
      1,
    ],
    [
      "core outside core",
      { "protocol/src/core/a.ts": 'import "../host/x";\n' },
      "protocol/src/core imports outside the core",
      1,
    ],
    [
      "protocol → firmware",
      { "protocol/src/host/a.ts": 'import "../../../firmware/x";\n' },
      "protocol imports firmware",
      1,
    ],
    [
      "protocol test → simulator",
      { "protocol/test/a.test.ts": 'import "../../simulator/x";\n' },
      "protocol imports simulator",
      1,
    ],
    [
      "firmware → simulator",
      { "firmware/tag/a.ts": 'import "../../simulator/x";\n' },
      "firmware imports simulator",
      1,
    ],
    [
      "firmware → tools",
      { "firmware/a.test.ts": 'import "../tools/x";\n' },
      "firmware imports tools",
      1,
    ],
    [
      "firmware → protocol host",
      { "firmware/a.ts": 'import "../protocol/src/host/x";\n' },
      "firmware imports protocol outside protocol/src/core",
      1,
    ],
    [
      "simulator → hil-tests",
      { "simulator/a.ts": 'import "../hil-tests/x";\n' },
      "simulator imports hil-tests",
      1,
    ],
  ];
  for (const [name, files, rule, line] of cases) {
    it(`reports: ${name}`, () => {
      const v = findBoundaryViolations(tree(name.replace(/\W+/g, "-"), files));
      expect(v.map((x) => [x.rule, x.line])).toEqual([[rule, line]]);
    });
  }

  it("allows what the layering allows, and ignores imports in comments and strings", () => {
    const dir = tree("allowed", {
      "protocol/src/core/a.ts":
        '// import "node:fs";\nconst s = "require(\\"fs\\")";\nimport "./b";\n',
      "protocol/src/host/a.ts": 'import "node:crypto";\nimport "cbor-x";\nimport "../core/a";\n',
      "firmware/tag/a.ts": 'import "../../protocol/src/core/a";\n',
      "firmware/tag/a.test.ts": 'import "vitest";\nimport "node:fs";\n',
      "simulator/a.ts": 'import "../firmware/tag/a";\nimport "mqtt";\n',
      "tools/a.ts": 'import "../simulator/a";\nimport "../hil-tests/x";\n',
    });
    expect(findBoundaryViolations(dir)).toEqual([]);
  });
});
