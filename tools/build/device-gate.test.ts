import { describe, expect, it } from "vitest";
import { checkDeviceSubset } from "./device-gate";

const rules = (code: string) => checkDeviceSubset(code).map((v) => v.rule);

describe("device subset gate", () => {
  it("rejects ES2015+ syntax through the ES5 parse", () => {
    for (const code of [
      "var f = () => 1;",
      "let a = 1;",
      "const a = 1;",
      "class A {}",
      "var {a} = o;",
      "var s = `x`;",
      "f(...a);",
      "function f(a = 1) {}",
      "var x = a?.b;",
      "var x = a ** 2;",
      "for (var x of a) {}",
      "async function f() {}",
      "function* g() {}",
    ]) {
      expect(rules(code), code).toEqual(["es5-syntax"]);
    }
  });

  it("flags each missing built-in, reach-through, regex form, label and reserved name", () => {
    expect(rules("var m = new Map();")).toEqual(["missing-global"]);
    expect(rules("var s = Symbol('x');")).toEqual(["missing-global"]);
    expect(rules("var e = new TextEncoder();")).toEqual(["missing-global"]);
    expect(rules("var a = Array.from(x);")).toEqual(["missing-member"]);
    expect(rules("var a = Uint8Array.from(x);")).toEqual(["missing-member"]);
    expect(rules("var a = Number.isInteger(x);")).toEqual(["missing-member"]);
    expect(rules("var a = Math.pow(2, 32);")).toEqual(["missing-member"]);
    expect(rules("var a = Math.trunc(2.5);")).toEqual(["missing-member"]);
    expect(rules("var a = Object.assign({}, x);")).toEqual(["missing-member"]);
    expect(rules("p.finally(f);")).toEqual(["missing-member"]);
    expect(rules("var a = Array.prototype.slice.call(x);")).toEqual(["prototype-reach-through"]);
    expect(rules("var a = Function.prototype.apply;")).toEqual(["prototype-reach-through"]);
    expect(rules("var r = /a{2}/;")).toEqual(["regex-form"]);
    expect(rules("var r = /a(?=b)/;")).toEqual(["regex-form"]);
    expect(rules("var r = new RegExp('a');")).toEqual(["regex-form"]);
    expect(rules("outer: for (;;) { break outer; }")).toEqual(["label"]);
    expect(rules("var of = 1;")).toEqual(["reserved-name"]);
    expect(rules("function f(static) {}")).toEqual(["reserved-name"]);
  });

  it("stays quiet on what the engines do run", () => {
    expect(
      rules(
        "var a = [].slice.call(x); var o = { of: 1, map: 2 }; o.of = 3; x.map(f); var r = /ab+c/;" +
          " var u = new Uint8Array(4).subarray(1); var m = Math.floor(Math.max(1, 2));" +
          " var d = new DataView(u.buffer); function f() { return o.static; }",
      ),
    ).toEqual([]);
  });

  it("reports the line of each violation", () => {
    const v = checkDeviceSubset("var a = 1;\nvar m = new Set();\n");
    expect(v[0].line).toBe(2);
  });
});
