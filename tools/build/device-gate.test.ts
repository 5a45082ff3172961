import { describe, expect, it } from "vitest";
import { checkDeviceSubset, RULES } from "./device-gate";

const rules = (code: string) => checkDeviceSubset(code).map((v) => v.rule);

describe("device subset gate", () => {
  it("rejects ES2015+ syntax through the ES5 parse", () => {
    for (const code of [
      "var f = () => 1;",
      "let a = 1;",
      "const a = 1;",
      "class A {}",
      "var {a} = o;",
      "var [a] = o;",
      "var s = `x`;",
      "f(...a);",
      "function f(a = 1) {}",
      "var o = { m() {} };",
      "var o = { [k]: 1 };",
      "var x = a?.b;",
      "var x = a ** 2;",
      "for (var x of a) {}",
      "async function f() {}",
      "function* g() {}",
    ])
      expect(rules(code), code).toEqual(["es5-syntax"]);
  });

  const offending: [string, string][] = [
    ["var m = new Map();", "missing-global"],
    ["var s = new Set();", "missing-global"],
    ["var w = new WeakMap();", "missing-global"],
    ["var w = new WeakSet();", "missing-global"],
    ["var s = Symbol('x');", "missing-global"],
    ["var b = BigInt(1);", "missing-global"],
    ["var p = new Proxy({}, {});", "missing-global"],
    ["var k = Reflect.ownKeys(o);", "missing-global"],
    ["var e = new TextEncoder();", "missing-global"],
    ["var d = new TextDecoder();", "missing-global"],
    ["var a = Array.from(x);", "missing-member"],
    ["var a = Array.of(1);", "missing-member"],
    ["var a = Uint8Array.from(x);", "missing-member"],
    ["var a = Uint16Array.of(1);", "missing-member"],
    ["var a = Number.isInteger(x);", "missing-member"],
    ["var a = Number.isFinite(x);", "missing-member"],
    ["var a = Number.isNaN(x);", "missing-member"],
    ["var a = Number.MAX_SAFE_INTEGER;", "missing-member"],
    ["var a = Number.EPSILON;", "missing-member"],
    ["var a = Math.imul(a, b);", "missing-member"],
    ["var a = Math.trunc(2.5);", "missing-member"],
    ["var a = Math.clz32(1);", "missing-member"],
    ["var a = Math.sign(-1);", "missing-member"],
    ["var a = Math.log2(8);", "missing-member"],
    ["var a = Math.fround(1);", "missing-member"],
    ["Object.freeze(o);", "missing-member"],
    ["var a = Object.assign({}, x);", "missing-member"],
    ["var a = Object.getOwnPropertyDescriptors(x);", "missing-member"],
    ["Object.setPrototypeOf(a, b);", "missing-member"],
    ["var a = Object.entries(x);", "missing-member"],
    ["var a = Object.values(x);", "missing-member"],
    ["Promise.race([a]);", "missing-member"],
    ["p.finally(f);", "missing-member"],
    ["var a = Math.pow(2, 32);", "inexact-math"],
    ["var a = Array.prototype.slice.call(x);", "prototype-reach-through"],
    ["var a = Function.prototype.apply;", "prototype-reach-through"],
    ["var h = Object.prototype.hasOwnProperty.call(o, k);", "prototype-reach-through"],
    ["var r = /a{2}/;", "regex-form"],
    ["var r = /a{2,4}/;", "regex-form"],
    ["var r = /a(?=b)/;", "regex-form"],
    ["var r = /a(?!b)/;", "regex-form"],
    ["var r = new RegExp('a{3}');", "regex-form"],
    ["var r = RegExp(s);", "regex-form"],
    ["outer: for (;;) { break outer; }", "label"],
    ["with (o) { x = 1; }", "with"],
    ["var of = 1;", "reserved-name"],
    ["function f(static) {}", "reserved-name"],
    ["var let = 1;", "reserved-name"],
    ["function f(undefined) {}", "reserved-name"],
    ["if (a) { function f() {} }", "block-function"],
    ["x = 1; var x;", "var-before-declaration"],
    ["function f() { g(y); var y = 2; }", "var-before-declaration"],
    [
      "var E = (function (_super) { __extends(E, _super); function E() {} return E; })(Error);",
      "extends-builtin",
    ],
    [
      "var E = (function (r) { function e() {} C(e, r); return e; })(Uint8Array);",
      "extends-builtin",
    ],
    ["var a = new new F()();", "nested-new"],
    ['"use strict"; var a = 1;', "use-strict"],
    ["exports.a = 1;", "bundler-runtime"],
    ["var m = module;", "bundler-runtime"],
    ["var x = __commonJS({});", "bundler-runtime"],
  ];

  // Espruino 2v29's own semantics (firmware/README.md, "Engine differences"): per rule, what
  // fires it and the legitimate code next to it that must pass.
  const engineRules: { rule: string; fires: string[]; passes: string[] }[] = [
    {
      rule: "length-assign",
      fires: ["a.length = 0;", "a.length += 1;", "a.length--;", 'a["length"] = 2;'],
      passes: [
        "a.splice(0, a.length); var n = a.length + 1; var o = { length: 0 }; n += a.length;",
      ],
    },
    {
      rule: "string-split",
      fires: [
        'var p = s.split("{user}");',
        'var p = s.split(", ");',
        "var p = s.split(sep);",
        'var p = s.split("{" + k + "}");',
        'var p = s.split(",", 2);',
        "var p = s.split();",
      ],
      passes: ['var p = s.split(","); var q = s.split(""); var r = s.split(/,\\s*/);'],
    },
    {
      rule: "string-search",
      fires: [
        'var i = s.indexOf("cd");',
        'var i = s.indexOf("+CMT:", 3);',
        'var i = s.indexOf("{" + k + "}");',
        'var i = s.indexOf(k + ":" + v);',
        'var b = s.includes("ok");',
        'var t = s.replace("cd", "x");',
      ],
      passes: [
        'var i = s.indexOf(","); var j = a.indexOf(x); var k = s.indexOf(c, i + 1);',
        'var l = s.lastIndexOf("cd"); var b = s.includes(":"); var m = a.indexOf(n + 1);',
        "var q = findText(s, k, 0);",
      ],
    },
    {
      rule: "string-replace",
      fires: ['var t = s.replace("c", f);', "var t = s.replace(p, q);"],
      passes: ['var t = s.replace(/cd/g, "x"); var u = s.replace(/c/, f);'],
    },
  ];
  for (const r of engineRules)
    it("fires " + r.rule + " and passes the legitimate form", () => {
      for (const code of r.fires) expect(rules(code), code).toEqual([r.rule]);
      for (const code of r.passes) expect(checkDeviceSubset(code), code).toEqual([]);
    });

  it("fires each rule on a minimal offending snippet", () => {
    for (const [code, rule] of offending) expect(rules(code), code).toEqual([rule]);
  });

  it("documents every rule it can fire, and has a test for each", () => {
    const fired = new Set(
      offending
        .map(([, r]) => r)
        .concat(engineRules.map((r) => r.rule))
        .concat("es5-syntax"),
    );
    expect([...fired].sort()).toEqual(Object.keys(RULES).sort());
  });

  it("stays quiet on what the engines do run", () => {
    for (const code of [
      "var a = [].slice.call(x);",
      "var o = { of: 1, static: 2, let: 3 }; o.of = 4; x.static(); x.let;",
      "x.map(f); x.from(y); o.finally = 1;",
      "var r = /ab+c/g; var s = /[a-z]*\\d+/;",
      "var u = new Uint8Array(4).subarray(1); var d = new DataView(u.buffer);",
      "var m = Math.floor(Math.max(1, 2)) + Math.abs(-1);",
      "var o = { get x() { return 1; }, set x(v) {} };",
      "function f() { return arguments.length; }",
      "var v = x === undefined ? void 0 : x;",
      "var Map = function () {}; var m = new Map();",
      "f(); function f() { return x; } var x = 1;",
      "var x = 1; x = x + 1;",
      "for (var i = 0; i < 3; i++) { var t = i; }",
      "var N; (function (N) { N.a = 1; })(N || (N = {}));",
      "function g(a) { a = 2; var a; }",
      "try { f(); } catch (e) { e = 1; } var e;",
      "var B = (function (_super) { __extends(B, _super); function B() {} return B; })(A);",
      'var s = require("Storage");',
      "var T = (function (A) { return function (n) { return new A(n); }; })(Uint8Array);",
      "var p = Promise.resolve(1).then(f)['catch'](g);",
    ])
      expect(checkDeviceSubset(code), code).toEqual([]);
  });

  it("reports where each violation is", () => {
    const v = checkDeviceSubset("var a = 1;\nvar m = new Set();\n");
    expect(v).toEqual([
      { rule: "missing-global", message: expect.stringContaining("Set"), line: 2, column: 12 },
    ]);
  });

  it("reports syntax errors with a location", () => {
    const [v] = checkDeviceSubset("var a = 1;\nlet b = 2;");
    expect(v.rule).toBe("es5-syntax");
    expect(v.line).toBe(2);
  });
});
