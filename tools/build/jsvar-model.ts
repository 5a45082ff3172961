// An estimate of the Espruino variables (JsVars) a running bundle holds, computed in the device
// realm (run-bundle.ts) by walking what the bundle keeps alive: everything reachable from the
// board's roots (timers, watches, the GATT write handler), including the closure scopes those
// functions hold. Closure scopes are invisible to JavaScript, so the bundle is first instrumented
// (jsvar-estimate.ts, instrumentScopes): every function registers its scope on entry, through
// __jsvScope, and every function object is tied to the scope it was created in, through __jsvFn.
//
// The model (espruino.com/Internals and /Performance; a Puck.js-class pool of 13-byte JsVars):
// - every object, array, function and closure scope is one JsVar, plus one per property, element,
//   parameter, local variable or inner function (the "name" JsVar, which holds a name of up to 4
//   characters and, inline, a small integer, a boolean, null or undefined);
// - a name or string longer than 4 characters takes one more JsVar per 10 further characters;
// - a number that is not a small integer (−2048…2047) takes a JsVar of its own;
// - a function adds one JsVar for its code (a reference into flash: the bundle runs from Storage,
//   so the source itself uses no RAM) and one for the link to its scope; a scope adds one for the
//   link to its parent;
// - a Uint8Array is a view and an ArrayBuffer (one JsVar each) over a flat string of ⌈n / 13⌉
//   JsVars plus a header (each buffer counted once, however many views);
// - a timer costs 6 JsVars (its entry in the timer list: time, interval, callback), a watch 9;
// - a board object (NRF, E, a pin, a module such as Storage) is one JsVar, not walked.
// What is not counted: the interpreter's own variables before the bundle runs, and the
// temporary objects of building a frame (freed as soon as it is sent).
//
// The layout depends on the pool size (Espruino's src/jsutils.h: the fewer the JsVars, the fewer
// bits a reference takes). The figures above are the Puck.js's, the default. A Jolt.js
// (nRF52840, 12,000 JsVars: boards/JOLTJS.py) takes 14-bit references: 14-byte JsVars, a string
// value holds 9 characters in its first JsVar (4 + 3 references' bytes) and 10 in each further
// one, a name still 4 (JOLT_LAYOUT).

type ScopeRecord = { get: () => unknown[]; names: string[]; parent: ScopeRecord | null };

const SMALL_INT = 2048;
const NAME_CHARS = 4;
export const TIMER_JSVARS = 6;
export const WATCH_JSVARS = 9;

/** What the size of one JsVar decides (see the header). */
export interface JsVarLayout {
  /** Bytes per JsVar: a flat string (a byte array's storage) packs this many per JsVar. */
  blockBytes: number;
  /** Characters a string value keeps in its first JsVar. */
  stringChars: number;
  /** Characters in each further JsVar of a name or string. */
  extChars: number;
}

/** Puck.js (2,630 JsVars): the figures the tag's estimate has always used. */
export const PUCK_LAYOUT: JsVarLayout = { blockBytes: 13, stringChars: 4, extChars: 10 };
/** Jolt.js (12,000 JsVars, 14-bit references). */
export const JOLT_LAYOUT: JsVarLayout = { blockBytes: 14, stringChars: 9, extChars: 10 };

/** Installs the hooks the instrumented bundle calls. */
export function installScopeHooks(): void {
  const g = new Function("return this")() as { [name: string]: unknown };
  g.__s = null; // the scope outside every function: the program's, not counted
  g.__jsvScope = (callee: { __jsvDef?: ScopeRecord }, get: () => unknown[], names: string) => {
    const rec: ScopeRecord = {
      get: get,
      names: names === "" ? [] : names.split(","),
      parent: callee.__jsvDef || null,
    };
    return rec;
  };
  g.__jsvFn = (fn: { __jsvDef?: ScopeRecord | null }, scope: ScopeRecord | null) => {
    if (scope !== null && fn.__jsvDef === undefined) fn.__jsvDef = scope;
    return fn;
  };
}

export interface JsVarCount {
  total: number;
  scopes: number;
  functions: number;
  objects: number;
  arrays: number;
  bytes: number;
  strings: number;
  numbers: number;
  roots: number;
}

/** Counts what `roots` keep alive. `natives`: board objects and functions, one JsVar each. */
export function countJsVars(
  roots: { fns: unknown[]; timers: number; watches: number },
  natives: unknown[],
  layout: JsVarLayout = PUCK_LAYOUT,
): JsVarCount {
  const textVars = (s: string, first: number): number =>
    1 + Math.ceil(Math.max(0, s.length - first) / layout.extChars);
  const c: JsVarCount = {
    total: 0,
    scopes: 0,
    functions: 0,
    objects: 0,
    arrays: 0,
    bytes: 0,
    strings: 0,
    numbers: 0,
    roots: roots.timers * TIMER_JSVARS + roots.watches * WATCH_JSVARS,
  };
  const seen: unknown[] = [];

  function once(o: unknown): boolean {
    if (seen.indexOf(o) >= 0) return false;
    seen.push(o);
    return true;
  }

  function scope(rec: ScopeRecord | null): void {
    if (rec === null || !once(rec)) return;
    const values = rec.get();
    c.scopes += 2; // the scope object and its parent link
    for (let i = 0; i < rec.names.length; i++) {
      c.scopes += textVars(rec.names[i], NAME_CHARS);
      value(values[i]);
    }
    scope(rec.parent);
  }

  function value(v: unknown): void {
    if (v === null || v === undefined || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!(Math.floor(v) === v && v >= -SMALL_INT && v < SMALL_INT)) c.numbers++;
      return;
    }
    if (typeof v === "string") {
      c.strings += textVars(v, layout.stringChars);
      return;
    }
    if (!once(v)) return;
    if (natives.indexOf(v) >= 0) {
      c.objects++;
      return;
    }
    if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      const buf = v instanceof Uint8Array ? v.buffer : v;
      c.bytes += v instanceof Uint8Array ? 1 : 0;
      if (once(buf)) c.bytes += 2 + Math.ceil(buf.byteLength / layout.blockBytes);
      return;
    }
    const o = v as { [k: string]: unknown } & { __jsvDef?: ScopeRecord; length?: number };
    const isArray = Array.isArray(v);
    if (typeof v === "function") {
      c.functions += 3 + (o.length as number);
      scope(o.__jsvDef || null);
    } else if (isArray) c.arrays++;
    else c.objects++;
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i].indexOf("__jsv") === 0) continue;
      const n = textVars(keys[i], NAME_CHARS);
      if (isArray) c.arrays += n;
      else c.objects += n;
      value(o[keys[i]]);
    }
  }

  for (let i = 0; i < roots.fns.length; i++) value(roots.fns[i]);
  c.total =
    c.scopes + c.functions + c.objects + c.arrays + c.bytes + c.strings + c.numbers + c.roots;
  return c;
}
