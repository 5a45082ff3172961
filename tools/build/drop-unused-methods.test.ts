import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { dropUnusedMethods } from "./drop-unused-methods";

const none = () => false;

// TypeScript's ES5 class shape; `helper` is only called from `unused`, so both go.
const SOURCE = `
var Queue = (function () {
  function Queue() { this.items = []; }
  Queue.prototype.add = function (v) { this.items.push(v); return this; };
  Queue.prototype.size = function () { return this.items.length; };
  Queue.prototype.unused = function () { return this.helper() + 1; };
  Queue.prototype.helper = function () { return 2; };
  Queue.prototype.viaKey = function () { return 3; };
  Queue.prototype.viaString = function () { return 4; };
  Queue.prototype.toString = function () { return "Q" + this.items.length; };
  return Queue;
}());
var q = new Queue().add(1).add(2);
var o = { viaKey: 0 };
[q.size(), q["viaString"](), String(q)].join("|");
`;

describe("unused prototype methods", () => {
  it("drops methods nobody reads, transitively, and keeps behaviour", () => {
    const reserved = (n: string) => n === "viaString" || n === "toString";
    const out = dropUnusedMethods(SOURCE, reserved);
    expect(runInNewContext(out)).toBe(runInNewContext(SOURCE));
    expect(out).not.toMatch(/unused|helper/);
    // Read as an object key, named in a string, or a library name: kept.
    expect(out).toMatch(/prototype\.viaKey/);
    expect(out).toMatch(/prototype\.viaString/);
    expect(out).toMatch(/prototype\.toString/);
  });

  it("leaves the bundle alone when a for…in could enumerate a prototype", () => {
    const src = SOURCE + "for (var k in q) k;";
    expect(dropUnusedMethods(src, none)).toBe(src);
    const filtered = SOURCE + "for (var k in q) if (q.hasOwnProperty(k)) k;";
    expect(dropUnusedMethods(filtered, none)).not.toMatch(/unused/);
  });

  it("keeps an assignment that is not a statement of its own", () => {
    const src = "function X() {} if (Math) X.prototype.m = function () {};";
    expect(dropUnusedMethods(src, none)).toBe(src);
  });
});
