// The device-subset gate: finds, in the final bundle text, what Espruino or JerryScript cannot
// run or run differently from Node (firmware/README.md, "Rules for code in this folder"). It checks text, not TypeScript, because
// helpers, the bundler and the minifier add code nobody wrote. RULES is the documentation.
//
// Without types the string rules see only what the text shows: `.split`, `.indexOf`, `.includes`
// and `.replace` are judged by their arguments' form, whatever the receiver (an array's
// `indexOf("ab")` is flagged too: loop instead), and a needle held in a variable is not seen —
// search with findText (protocol/src/core/bytes.ts) whenever a needle may be 2+ characters.
// lastIndexOf, startsWith and endsWith are exact on Espruino 2v29 (measured) and not gated.

import * as acorn from "acorn";
import { children, type Node } from "./ast";

export interface Violation {
  rule: string;
  message: string;
  line: number;
  column: number;
}

/** Every rule the gate applies, with the reason it exists. */
export const RULES = {
  "es5-syntax":
    "anything beyond ES5 syntax; the ES5 parse fails (Espruino lacks destructuring etc.)",
  "missing-global": "a built-in global the engines lack (Map, Set, Symbol, TextEncoder, …)",
  "missing-member": "a static member the engines lack (Array.from, Number.isInteger, …, .finally)",
  "inexact-math": "Math.pow is inexact on Espruino (2^32 is off): use shifts or exact constants",
  "prototype-reach-through":
    "Builtin.prototype.x reads as undefined on Espruino; `[].slice.call(x)` style works",
  "regex-form": "regexes with {n} quantifiers or (?…) groups silently never match on Espruino",
  label: "labelled statements (labelled break/continue) do not run on Espruino",
  with: "`with` does not run on the device engines",
  "reserved-name": "Espruino's lexer makes `of`, `static`, `let`, `undefined` keywords",
  "block-function":
    "a function declaration inside a block: engines disagree, and hoisting cannot place it",
  "var-before-declaration":
    "a `var` read before its declaration in the same scope: Espruino does not hoist `var`",
  "nested-new": "`new new X()` throws on Espruino (its parser refuses nested `new`)",
  "extends-builtin": "compiled `class X extends Error` (or another built-in) breaks on the engines",
  "use-strict": "the engines have no strict mode; code must not depend on it",
  "bundler-runtime":
    "esbuild module wrappers or CommonJS `exports`/`module`: device bundles must be flat",
  "length-assign":
    'assigning to `.length` (`= 0`, `+=`, `++` …) throws on Espruino 2v29 for arrays ("Assignment to a constant"): use splice',
  "string-split":
    ".split() with anything but one 1-character string literal or a regex literal: Espruino 2v29 returns [] when the separator is 2+ characters longer than the string, and ignores a limit",
  "string-search":
    '.indexOf/.includes/.replace with a 2+ character string literal or a concatenation ("a" + x) as the needle: Espruino 2v29 also "finds" a needle that runs past the end ("abc".indexOf("cd") is 2): use findText (protocol/src/core/bytes.ts)',
  "string-replace":
    ".replace() with a pattern that is not a regex literal: with a string pattern Espruino 2v29 stringifies a replacement function and ignores `$&`",
} as const;

export type Rule = keyof typeof RULES;

/** Globals the device engines lack; run-bundle.ts also removes them from its vm realm. */
export const MISSING_GLOBALS = new Set([
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "Symbol",
  "BigInt",
  "Proxy",
  "Reflect",
  "TextEncoder",
  "TextDecoder",
  "Intl",
]);

const TYPED_ARRAYS = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
];

/** Static members the device engines lack; run-bundle.ts also removes them from its vm realm. */
export const MISSING_MEMBERS = new Set([
  "Array.from",
  "Array.of",
  ...TYPED_ARRAYS.flatMap((t) => [t + ".from", t + ".of"]),
  "Number.isInteger",
  "Number.isSafeInteger",
  "Number.isFinite",
  "Number.isNaN",
  "Number.MAX_SAFE_INTEGER",
  "Number.MIN_SAFE_INTEGER",
  "Number.EPSILON",
  "Math.imul",
  "Math.trunc",
  "Math.clz32",
  "Math.sign",
  "Math.log2",
  "Math.fround",
  "Object.freeze",
  "Object.assign",
  "Object.getOwnPropertyDescriptors",
  "Object.setPrototypeOf",
  "Object.entries",
  "Object.values",
  "Promise.race",
]);

const BUILTIN_CONSTRUCTORS = new Set([
  "Object",
  "Function",
  "Array",
  "String",
  "Number",
  "Boolean",
  "Date",
  "RegExp",
  "Promise",
  "ArrayBuffer",
  "DataView",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  ...TYPED_ARRAYS,
]);

/** Names Espruino's lexer turns into tokens, beyond ES5's reserved words (acorn rejects those). */
const ESPRUINO_KEYWORDS = new Set(["of", "static", "let", "undefined"]);

/** esbuild's runtime helpers that mean a module was wrapped rather than flattened. Visible by
 * name only before minification, which is why the build gates its unminified text too. */
const BUNDLER_RUNTIME = new Set([
  "__commonJS",
  "__esm",
  "__toESM",
  "__toCommonJS",
  "__export",
  "__reExport",
  "__require",
  "__copyProps",
]);

/** The name of a non-computed `.name` member or a `["name"]` one; null otherwise. */
function memberName(n: Node): string | null {
  if (n.type !== "MemberExpression") return null;
  const p = n.property as Node;
  if (!n.computed) return p.name as string;
  return p.type === "Literal" && typeof p.value === "string" ? p.value : null;
}

function isStringLiteral(n: Node): boolean {
  return n.type === "Literal" && typeof n.value === "string";
}

/** A `+` chain with a string literal in it: certainly a string, of unknown length. */
function isConcatenation(n: Node): boolean {
  if (n.type !== "BinaryExpression" || n.operator !== "+") return false;
  const l = n.left as Node;
  const r = n.right as Node;
  return isStringLiteral(l) || isStringLiteral(r) || isConcatenation(l) || isConcatenation(r);
}

/** A needle whose length may exceed one character, as far as the text shows (no types: a
 * needle held in a variable is not seen). */
function isLongNeedle(n: Node | undefined): boolean {
  if (!n) return false;
  return (isStringLiteral(n) && (n.value as string).length >= 2) || isConcatenation(n);
}

/** The string-method rules on a call `x.m(args)` (engines' string methods, Espruino 2v29). */
function checkStringCall(n: Node, report: (rule: Rule, message: string) => void): void {
  const callee = n.callee as Node;
  const method = memberName(callee);
  const args = n.arguments as Node[];
  if (method === "split") {
    const sep = args[0];
    const oneChar = sep && isStringLiteral(sep) && (sep.value as string).length <= 1;
    const regex = sep && sep.type === "Literal" && sep.regex;
    if (args.length !== 1 || !(oneChar || regex))
      report("string-split", "split() needs one 1-character string or regex literal");
  } else if (method === "indexOf" || method === "includes") {
    if (isLongNeedle(args[0])) report("string-search", method + "() of a 2+ character needle");
  } else if (method === "replace") {
    const pattern = args[0];
    if (isLongNeedle(pattern)) report("string-search", "replace() of a 2+ character needle");
    else if (!pattern || pattern.type !== "Literal" || !pattern.regex)
      report("string-replace", "replace() with a pattern that is not a regex literal");
  }
}

function isFunction(n: Node): boolean {
  return n.type === "FunctionDeclaration" || n.type === "FunctionExpression";
}

/** "Array.prototype.slice" for a chain of plain identifiers, otherwise null. */
function dottedName(n: Node): string | null {
  if (n.type === "Identifier") return n.name as string;
  if (n.type !== "MemberExpression" || n.computed) return null;
  const head = dottedName(n.object as Node);
  return head === null ? null : head + "." + ((n.property as Node).name as string);
}

/** tsc's ES5 subclass: `(function (_super) { __extends(X, _super); … })(Base)`; the helper's
 * name is minified, so the shape is what is matched: a call passing the sole parameter second. */
function isCompiledSubclass(fn: Node): boolean {
  if (fn.type !== "FunctionExpression") return false;
  const params = fn.params as Node[];
  if (params.length !== 1) return false;
  return ((fn.body as Node).body as Node[]).some((s) => {
    if (s.type !== "ExpressionStatement") return false;
    const e = s.expression as Node;
    const args = e.type === "CallExpression" ? (e.arguments as Node[]) : [];
    return args.length === 2 && args[1].type === "Identifier" && args[1].name === params[0].name;
  });
}

/** How an identifier is used, judged from its parent: only references can hit a missing global. */
function identifierRole(id: Node, parent: Node | null): "reference" | "binding" | "other" {
  if (!parent) return "reference";
  switch (parent.type) {
    case "MemberExpression":
      return parent.property === id && !parent.computed ? "other" : "reference";
    case "Property":
      return parent.key === id ? "other" : "reference";
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement":
      return "other";
    case "VariableDeclarator":
      return parent.id === id ? "binding" : "reference";
    case "FunctionDeclaration":
    case "FunctionExpression":
      return parent.id === id || (parent.params as Node[]).includes(id) ? "binding" : "reference";
    case "CatchClause":
      return parent.param === id ? "binding" : "reference";
    default:
      return "reference";
  }
}

export function checkDeviceSubset(code: string): Violation[] {
  let ast: Node;
  try {
    ast = acorn.parse(code, { ecmaVersion: 5, locations: true }) as unknown as Node;
  } catch (e) {
    const err = e as { message: string; loc?: { line: number; column: number } };
    return [
      {
        rule: "es5-syntax",
        message: "not ES5: " + err.message,
        line: err.loc ? err.loc.line : 0,
        column: err.loc ? err.loc.column : 0,
      },
    ];
  }
  const out: Violation[] = [];
  const add = (n: Node, rule: Rule, message: string) =>
    out.push({
      rule,
      message,
      line: n.loc ? n.loc.start.line : 0,
      column: n.loc ? n.loc.start.column : 0,
    });

  // A program may define its own Map; then using it is fine wherever it is declared.
  const declared = new Set<string>();
  const collect = (n: Node, parent: Node | null): void => {
    if (n.type === "Identifier" && identifierRole(n, parent) === "binding")
      declared.add(n.name as string);
    for (const c of children(n)) collect(c, n);
  };
  collect(ast, null);

  const functionBodies = new Set<Node>();
  const visit = (n: Node, parent: Node | null): void => {
    switch (n.type) {
      case "Identifier": {
        const name = n.name as string;
        const role = identifierRole(n, parent);
        if (role === "other") break;
        if (ESPRUINO_KEYWORDS.has(name) && (name !== "undefined" || role === "binding"))
          add(n, "reserved-name", "`" + name + "` is a keyword on Espruino");
        if (role === "reference" && !declared.has(name)) {
          if (MISSING_GLOBALS.has(name)) add(n, "missing-global", name + " is missing on devices");
          if (name === "exports" || name === "module")
            add(n, "bundler-runtime", "CommonJS `" + name + "` in a device bundle");
        }
        if (BUNDLER_RUNTIME.has(name)) add(n, "bundler-runtime", "esbuild helper " + name);
        break;
      }
      case "MemberExpression": {
        const name = dottedName(n);
        if (name) {
          const parts = name.split(".");
          const head = parts[0] + "." + parts[1];
          if (head === "Math.pow") add(n, "inexact-math", "Math.pow");
          else if (MISSING_MEMBERS.has(head) && parts.length === 2 && !declared.has(parts[0]))
            add(n, "missing-member", head + " is missing on devices");
          if (parts.length === 3 && parts[1] === "prototype" && BUILTIN_CONSTRUCTORS.has(parts[0]))
            add(n, "prototype-reach-through", name + " is undefined");
        }
        const prop = n.property as Node;
        if (!n.computed && prop.name === "finally" && parent && parent.type === "CallExpression")
          add(n, "missing-member", "Promise.prototype.finally is missing on devices");
        break;
      }
      case "Literal":
        if (n.regex) {
          const pattern = (n.regex as { pattern: string }).pattern;
          if (pattern.includes("{") || pattern.includes("(?"))
            add(n, "regex-form", "/" + pattern + "/ has {…} or (?…)");
        }
        break;
      case "NewExpression":
      case "CallExpression": {
        const callee = n.callee as Node;
        const args = n.arguments as Node[];
        if (n.type === "NewExpression" && callee.type === "NewExpression")
          add(n, "nested-new", "new directly on new");
        if (callee.type === "Identifier" && callee.name === "RegExp") {
          const src = args[0];
          if (!src || src.type !== "Literal" || typeof src.value !== "string")
            add(n, "regex-form", "RegExp built from a run-time value cannot be checked");
          else if (src.value.includes("{") || src.value.includes("(?"))
            add(n, "regex-form", "RegExp(" + JSON.stringify(src.value) + ") has {…} or (?…)");
        }
        if (n.type === "CallExpression") checkStringCall(n, (rule, m) => add(n, rule, m));
        const base = args[0];
        if (
          n.type === "CallExpression" &&
          base &&
          base.type === "Identifier" &&
          BUILTIN_CONSTRUCTORS.has(base.name as string) &&
          isCompiledSubclass(callee)
        )
          add(n, "extends-builtin", "a class that extends " + (base.name as string));
        break;
      }
      case "AssignmentExpression":
      case "UpdateExpression": {
        const target = (n.type === "UpdateExpression" ? n.argument : n.left) as Node;
        if (memberName(target) === "length")
          add(n, "length-assign", "`.length` " + (n.operator as string) + " (use splice)");
        break;
      }
      case "LabeledStatement":
        add(n, "label", "label " + ((n.label as Node).name as string));
        break;
      case "WithStatement":
        add(n, "with", "with statement");
        break;
      case "ExpressionStatement":
        if (n.directive === "use strict") add(n, "use-strict", '"use strict" directive');
        break;
      case "FunctionDeclaration":
        if (parent && parent.type !== "Program" && !functionBodies.has(parent))
          add(n, "block-function", "function " + ((n.id as Node).name as string) + " in a block");
        break;
    }
    if (isFunction(n)) functionBodies.add(n.body as Node);
    for (const c of children(n)) visit(c, n);
  };
  visit(ast, null);
  checkVarBeforeDeclaration(ast, (n, name) =>
    add(n, "var-before-declaration", "`" + name + "` is read before its `var`"),
  );
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Within one scope (the program or a function body, nested functions excluded), a name that
 * the scope declares with `var` and that is used above its first declarator. Espruino creates the
 * variable only when the `var` runs. Uses inside nested functions are not flagged: they run when
 * called, usually later, and that cannot be known from the text.
 */
function checkVarBeforeDeclaration(root: Node, report: (n: Node, name: string) => void): void {
  const scopes: Node[] = [root];
  for (let i = 0; i < scopes.length; i++) {
    const scope = scopes[i];
    const firstVar = new Map<string, number>();
    const otherBindings = new Set<string>();
    const refs: { n: Node; name: string }[] = [];
    const walk = (n: Node, parent: Node | null): void => {
      if (n !== scope && isFunction(n)) {
        scopes.push(n);
        if (n.type === "FunctionDeclaration") otherBindings.add((n.id as Node).name as string);
        return;
      }
      if (n.type === "Identifier") {
        const role = identifierRole(n, parent);
        const name = n.name as string;
        if (role === "binding" && parent && parent.type === "VariableDeclarator") {
          if (!firstVar.has(name)) firstVar.set(name, n.start);
        } else if (role === "binding") otherBindings.add(name);
        else if (role === "reference") refs.push({ n, name });
      }
      for (const c of children(n)) if (n !== scope || c !== scope.id) walk(c, n);
    };
    walk(scope, null);
    for (const r of refs) {
      const at = firstVar.get(r.name);
      if (at !== undefined && r.n.start < at && !otherBindings.has(r.name)) report(r.n, r.name);
    }
  }
}
