import { parse } from "acorn";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { hoistFunctions, withoutHoisting } from "./hoist";
import { runBundle } from "./run-bundle";

// The realm's engine hoists like any ES5 engine; withoutHoisting makes it see functions as Espruino does.
const espruinoLike = (code: string) => runBundle(withoutHoisting(code));

describe("hoistFunctions", () => {
  it("makes a function used above its declaration work without hoisting", () => {
    const src = "print(f());\nfunction f() { return g(); function g() { return 2; } }";
    expect(espruinoLike(src).exitCode).not.toBe(0);
    const run = espruinoLike(hoistFunctions(src));
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("2");
  });

  it("moves declarations to the top of each scope, in their order, after directives", () => {
    const src =
      '"a";\nvar x = f();\nfunction f() { var y = g(); function g() {} return y; }\nfunction h() {}\n';
    const out = hoistFunctions(src);
    expect(out.indexOf('"a"')).toBeLessThan(out.indexOf("function f"));
    expect(out.indexOf("function f")).toBeLessThan(out.indexOf("function h"));
    expect(out.indexOf("function h")).toBeLessThan(out.indexOf("var x"));
    expect(out.indexOf("function g")).toBeLessThan(out.indexOf("var y"));
    expect(hoistFunctions(out)).toBe(out);
  });

  it("adds the `;` a moved neighbour no longer provides", () => {
    const src =
      "var a = 1\nfunction f() {}\nfor (var i = 0; i < 1; i++) a++\nfunction g() {}\n" +
      "(function () { print(a); })()";
    const out = hoistFunctions(src);
    expect(() => parse(out, { ecmaVersion: 5 })).not.toThrow();
    expect(espruinoLike(out).stdout.trim()).toBe("2");
  });

  it("makes TypeScript's ES5 class inheritance run without hoisting", () => {
    const es5 = ts.transpileModule(
      `class Shape { constructor(readonly n: string) {} name(): string { return this.n; } }
       class Circle extends Shape { constructor() { super("circle"); } name(): string { return "a " + super.name(); } }
       declare const print: (s: string) => void;
       print(new Circle().name() + " " + (new Circle() instanceof Shape));`,
      { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext } },
    ).outputText;
    expect(es5).toMatch(/__extends\(Circle, _super\);\s+function Circle\(/);
    expect(espruinoLike(es5).exitCode).not.toBe(0);
    const run = espruinoLike(hoistFunctions(es5));
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("a circle true");
  });
});
