// The device core's CBOR (protocol/src/core: errors, bytes, cbor), compiled to ES5 file by file
// as tsc emits it, run in the device realm (run-bundle.ts) on the cases of
// protocol/test/cbor-cases.ts, with the same results as Node. It lives here, not beside cbor.test.ts,
// because protocol/ may not import tools/.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import {
  CborTagged,
  type CborValue,
  decodeCbor,
  encodeCbor,
} from "@em-platform/protocol/core/cbor";
import { rejections, rfc } from "@em-platform/protocol/test/cbor-cases";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { runBundle } from "./run-bundle";

const CORE = fileURLToPath(new URL("../../protocol/src/core/", import.meta.url));

function toEs5(file: string): string {
  return ts.transpileModule(readFileSync(CORE + file, "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.CommonJS },
  }).outputText;
}

describe("deterministic CBOR in the device realm", () => {
  it("gives the same results as Node", () => {
    const modules = ["errors", "bytes", "cbor"]
      .map(
        (m) =>
          "mods['./" +
          m +
          "'] = (function () { var exports = {}; var module = { exports: exports };\n" +
          toEs5(m + ".ts") +
          "\nreturn exports; })();\n",
      )
      .join("");
    const cases = [...rfc.map((x) => x[1]), ...rejections.map((x) => x[0])];
    const program =
      // The core's files import each other as "./x.js" (protocol/README.md, "The package").
      "var mods = {}; function require(n) { return mods[n.replace(/\\.js$/, '')]; }\n" +
      modules +
      "var cbor = mods['./cbor']; var bytes = mods['./bytes']; var out = [];\n" +
      "var cases = " +
      JSON.stringify(cases) +
      ";\n" +
      "for (var i = 0; i < cases.length; i++) {\n" +
      "  var r = cbor.decodeCbor(bytes.fromHex(cases[i]));\n" +
      "  out.push(r.ok ? bytes.toHex(cbor.encodeCbor(r.value)) : r.code);\n" +
      "}\n" +
      "var m = {}; m[300] = 1; m[2] = [true, null, 'w\\u00fc\\ud83d\\ude00', -70000, 4294967296];\n" +
      "out.push(bytes.toHex(cbor.encodeCbor(new cbor.CborTagged(17, m))));\n" +
      "print(JSON.stringify(out));\n";
    const res = runBundle(program);
    expect(res.stderr).toBe("");
    const got = JSON.parse(res.stdout.trim()) as string[];
    const want = cases.map((h) => {
      const r = decodeCbor(fromHex(h)!);
      return r.ok ? toHex(encodeCbor(r.value)) : r.code;
    });
    const m: Record<number, CborValue> = {};
    m[300] = 1;
    m[2] = [true, null, "w\u00fc\ud83d\ude00", -70000, 4294967296];
    want.push(toHex(encodeCbor(new CborTagged(17, m))));
    expect(got).toEqual(want);
  });
});
