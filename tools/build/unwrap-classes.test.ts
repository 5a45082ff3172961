import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { unwrapClasses } from "./unwrap-classes";

// TypeScript's ES5 class shapes, as esbuild leaves them in a bundle (inner names renamed apart).
const BASE = `var Counter = (function () {
  function Counter2(start) { this.n = start; }
  Counter2.prototype.next = function () { return ++this.n; };
  Counter2.zero = function () { return new Counter2(0); };
  return Counter2;
}());`;
const EXTENDS = `function __extends(d, b) { for (var p in b) if (p !== "prototype" && b.hasOwnProperty(p)) d[p] = b[p];
  function __() { this.constructor = d; } d.prototype = b === null ? Object.create(b) : ((__.prototype = b.prototype), new __()); }
${BASE}
var Twice = (function (_super) {
  __extends(Twice2, _super);
  function Twice2(start) { return _super.call(this, start) || this; }
  Twice2.prototype.next = function () { _super.prototype.next.call(this); return _super.prototype.next.call(this); };
  return Twice2;
}(Counter));`;
const USE = `var c = Counter.zero(); var t = new Twice(10);
[c.next(), c.next(), t.next(), t instanceof Counter, Twice.zero().next()].join(",");`;

describe("class IIFE lifting", () => {
  it("lifts a class and a subclass out of their IIFEs, and the program does the same", () => {
    const code = EXTENDS + "\n" + USE;
    const out = unwrapClasses(code);
    expect(runInNewContext(out)).toBe(runInNewContext(code));
    expect(out).not.toMatch(/Counter2|Twice2|_super\b/);
    expect(out).toMatch(/^function Counter\(start\)/m);
    expect(out).toMatch(/__extends\(Twice, Counter\)/);
    expect(out).not.toMatch(/return Counter;|\(function \(\)/);
  });

  it("leaves an IIFE alone that is not exactly a class", () => {
    const cases = [
      // state of its own
      "var A = (function () { var k = 1; function A2() {} A2.prototype.f = function () { return k; }; return A2; }());",
      // `this` at the IIFE's level
      "var A = (function () { function A2() {} A2.self = this; return A2; }());",
      // a binding inside that the renaming would capture
      "var A = (function () { function A2() {} A2.prototype.f = function (A) { return A2; }; return A2; }());",
      // returns something else
      "var A = (function () { function A2() {} return { a: A2 }; }());",
      // a base class that is an expression
      "var A = (function (_super) { function A2() {} return A2; }(make()));",
    ];
    for (const c of cases) expect(unwrapClasses(c)).toBe(c);
  });
});
