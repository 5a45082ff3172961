import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { aliasPrototypes, aliasThis } from "./alias-this";

// TypeScript's ES5 shape: a class IIFE, prototype members, a lowered arrow (`_this`), a nested
// function with its own `this`, and a directive prologue.
const SOURCE = `
var Counter = (function () {
  function Counter(start) { this.n = start; this.log = []; this.step = 1; }
  Counter.prototype.add = function (k) {
    "use strict";
    var _this = this;
    this.n += k * this.step;
    this.log.push(this.n);
    [1, 2].forEach(function (v) { _this.log.push(v); });
    var other = { n: 100, get: function () { return this.n + this.n + this.n; } };
    return this.n + other.get();
  };
  Counter.prototype.twice = function () { return this.add(1) + this.add(1) + this.step; };
  Counter.prototype.reset = function () { this.n = 0; };
  return Counter;
}());
var c = new Counter(5);
[c.add(2), c.twice(), c.log.join(","), (c.reset(), c.n)].join("|");
`;

describe("this/prototype aliasing", () => {
  it("keeps behaviour and shrinks the text", () => {
    const out = aliasThis(aliasPrototypes(SOURCE));
    expect(runInNewContext(out)).toBe(runInNewContext(SOURCE));
    expect(out).toContain("var __self__ = this;");
    expect(out).toMatch(/var __proto0__ = Counter\.prototype;/);
    // The nested method keeps its own `this` (three uses: aliased inside itself, not the outer one).
    expect(out).toMatch(/get: function \(\) \{var __self__ = this; return __self__\.n/);
    // The directive stays first.
    expect(out).toMatch(/"use strict";var __self__ = this;/);
  });

  it("leaves a function with few uses alone, and refuses code that already uses the alias", () => {
    const src = "function f() { return this.a + this.b; }";
    expect(aliasThis(src)).toBe(src);
    expect(() => aliasThis("var __self__ = 1;")).toThrow(/already/);
  });
});
