// The TypeScript ES5 helpers our device code may need, written for Espruino: no
// Object.setPrototypeOf, no `Array.prototype.x.call` (those read as undefined there), no
// hasOwnProperty reach-through. Injected once, and only when the bundle uses them.

export const ES5_HELPERS: Record<string, string> = {
  __extends:
    "var __extends = function (d, b) { for (var p in b) d[p] = b[p]; function __() { this.constructor = d; } " +
    "d.prototype = b === null ? Object.create(b) : (__.prototype = b.prototype, new __()); };",
  __assign:
    "var __assign = function (t) { for (var i = 1; i < arguments.length; i++) { var s = arguments[i]; " +
    "for (var p in s) t[p] = s[p]; } return t; };",
};
