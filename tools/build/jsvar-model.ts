// An estimate of the Espruino variables (JsVars) a running bundle holds, computed in Duktape by
// walking what the bundle keeps alive: everything reachable from the board's roots (timers,
// watches, the GATT write handler), including the closure scopes those functions hold. Closure
// scopes are invisible to JavaScript, so the bundle is first instrumented
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

type ScopeRecord = { get: () => unknown[]; names: string[]; parent: ScopeRecord | null };

const SMALL_INT = 2048;
const FIRST_CHARS = 4;
const EXT_CHARS = 10;
const FLAT_BYTES = 13;
export const TIMER_JSVARS = 6;
export const WATCH_JSVARS = 9;

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
  bytes: number;
  strings: number;
  numbers: number;
  roots: number;
}

function textVars(s: string): number {
  return 1 + Math.ceil(Math.max(0, s.length - FIRST_CHARS) / EXT_CHARS);
}

/** Counts what `roots` keep alive. `natives`: board objects and functions, one JsVar each. */
export function countJsVars(
  roots: { fns: unknown[]; timers: number; watches: number },
  natives: unknown[],
): JsVarCount {
  const c: JsVarCount = {
    total: 0,
    scopes: 0,
    functions: 0,
    objects: 0,
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
      c.scopes += textVars(rec.names[i]);
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
      c.strings += textVars(v);
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
      if (once(buf)) c.bytes += 2 + Math.ceil(buf.byteLength / FLAT_BYTES);
      return;
    }
    const o = v as { [k: string]: unknown } & { __jsvDef?: ScopeRecord; length?: number };
    if (typeof v === "function") {
      c.functions += 3 + (o.length as number);
      scope(o.__jsvDef || null);
    } else c.objects++;
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i].indexOf("__jsv") === 0) continue;
      c.objects += textVars(keys[i]);
      value(o[keys[i]]);
    }
  }

  for (let i = 0; i < roots.fns.length; i++) value(roots.fns[i]);
  c.total = c.scopes + c.functions + c.objects + c.bytes + c.strings + c.numbers + c.roots;
  return c;
}
