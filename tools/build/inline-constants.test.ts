import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { compileBundle } from "./firmware-build";
import { inlineConstants } from "./inline-constants";

const none = () => false;

// TypeScript's ES5 shape of `export const X = {…} as const` and module constants, in the flat
// scope esbuild bundles into.
const SOURCE = `
var EventCode = { boot: 1, strapCut: 3, offset: -2, label: "x\\u2028y" };
var Kind = { a: 1, b: 2 }, LIMIT = 7, name = "ok";
function classify(c) {
  switch (c) {
    case EventCode.boot: return "boot";
    case EventCode.strapCut: return "cut";
  }
  return "other" + (10 - EventCode.offset) + EventCode.offset.toFixed(1);
}
[classify(1), classify(3), classify(9), Kind.a + Kind.b, LIMIT * 2, name, EventCode.label.length].join("|");
`;

describe("constant inlining", () => {
  it("replaces every read with its literal, drops the declarations, and keeps behaviour", () => {
    const out = inlineConstants(SOURCE, none);
    expect(runInNewContext(out)).toBe(runInNewContext(SOURCE));
    expect(out).not.toMatch(/EventCode|Kind|LIMIT/);
    expect(out.length).toBeLessThan(SOURCE.length);
  });

  it("for RAM, inlines a constant even where the text grows; for size, keeps it", () => {
    const code = `var Code = { tooLong: "too_long_a_code_for_inlining" };
[Code.tooLong, Code.tooLong, Code.tooLong, Code.tooLong].join("|");`;
    expect(inlineConstants(code, none)).toBe(code);
    const ram = inlineConstants(code, none, true);
    expect(ram).not.toMatch(/Code\b/);
    expect(ram.length).toBeGreaterThan(code.length);
    expect(runInNewContext(ram)).toBe(runInNewContext(code));
  });

  it("leaves an object alone when it is used as a whole, written, called, or read at a missing key", () => {
    const cases = [
      "var E = { a: 1 }; var all = Object.keys(E);",
      "var E = { a: 1 }; E.a = 2; E.a;",
      "var E = { a: 1 }; E.a++; E.a;",
      "var E = { a: 1 }; delete E.a;",
      "var E = { a: 1 }; E.b;",
      'var E = { a: 1 }; E["a"];',
      "var E = { a: 1 }; function f(E) { return E.a; }",
      "var E = { a: 1 }; var E = { a: 2 }; E.a;",
      "var E = { a: f() }; function f() { return 1; } E.a;",
      "var E = { a: 1 }; with (E) a;",
      "var N = 1; N = 2;",
      "var N = 1; for (N in {});",
      "for (var i = 0; i < 3; ) i;",
    ];
    for (const c of cases) expect(inlineConstants(c, none)).toBe(c);
  });

  it("does not mistake a label for a read", () => {
    expect(inlineConstants("var L = 1; L: for (;;) break L; L;", none)).toBe(
      " L: for (;;) break L; 1;",
    );
  });

  it("removes one declarator of several without touching its neighbours", () => {
    const src =
      "var a = f(), E = { k: 1 }, b = 2 + E.k, F = { j: 3 }; function f() { return F.j; }";
    const out = inlineConstants(src, none);
    expect(out).toBe("var a = f(), b = 2 + 1; function f() { return 3; }");
  });

  it("keeps a constant whose literal is longer than the name it replaces, read many times", () => {
    const reads = Array.from({ length: 8 }, () => "BIG").join(" + ");
    const src = "var BIG = 4294967295; var s = " + reads + ";";
    expect(inlineConstants(src, none)).toBe(src);
  });

  it("on the home unit's bundle: no code objects are left (base-bundle.test.ts runs what ships)", async () => {
    const root = join(import.meta.dirname, "..", "..");
    const built = await compileBundle(join(root, "firmware/targets/espruino/base-main.ts"));
    expect(built.readable).toMatch(/var EventCode = \{/);
    const out = inlineConstants(built.readable, none);
    for (const name of ["EventCode", "CommandCode", "AckResult", "RecordName", "Presence"])
      expect(out).not.toMatch(new RegExp("\\b" + name + "\\b"));
    expect(out.length).toBeLessThan(built.readable.length);
    // What ships went through the pass: the event codes are literals in the minified text.
    expect(built.min).not.toMatch(/EventCode/);
  });
});
