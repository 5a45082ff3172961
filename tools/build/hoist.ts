// Espruino does not hoist: a function declared below its first use is not defined yet when that
// use runs (firmware/README.md, "Rules for code in this folder"). TypeScript's ES5 classes depend on hoisting —
// `__extends(Foo, _super); function Foo() {…}` — and so does ordinary code. hoistFunctions moves
// every function declaration to the top of its scope (program or function body, after any
// directive prologue), keeping their order, which is exactly what a hoisting engine sees.
//
// `var` is not moved: a `var` is hoisted as undefined, and reordering would change what code
// runs first. Instead the gate flags a `var` read above its declaration in the same scope
// (device-gate.ts, var-before-declaration); uses inside functions called later are fine on
// Espruino, because the variable exists by then. Function declarations inside blocks cannot be
// placed by this pass; the gate rejects them (block-function).

import * as acorn from "acorn";
import { children, type Node } from "./ast";

/** Statements that may end without `;` (ASI). Once moved, their next neighbour changes, so they
 * get an explicit `;`: `var a = f\n(function () {})()` would otherwise become a call. */
const ASI_STATEMENTS = new Set([
  "ExpressionStatement",
  "VariableDeclaration",
  "ReturnStatement",
  "ThrowStatement",
  "BreakStatement",
  "ContinueStatement",
  "DoWhileStatement",
  "DebuggerStatement",
]);

export function hoistFunctions(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;

  const print = (n: Node, parent: Node | null): string => {
    if (n.type === "Program") return printScope(n.body as Node[], 0, code.length);
    if (
      n.type === "BlockStatement" &&
      parent &&
      (parent.type === "FunctionDeclaration" || parent.type === "FunctionExpression")
    )
      return "{" + printScope(n.body as Node[], n.start + 1, n.end - 1) + "}";
    let out = "";
    let pos = n.start;
    for (const c of children(n)) {
      out += code.slice(pos, c.start) + print(c, n);
      pos = c.end;
    }
    out += code.slice(pos, n.end);
    // The `var` heading a `for (var …;` or `for (var … in` is not a statement of its own.
    const inFor = parent !== null && (parent.init === n || parent.left === n);
    if (ASI_STATEMENTS.has(n.type) && !inFor && !out.endsWith(";")) out += ";";
    return out;
  };

  /** Each statement travels with the whitespace and comments before it. */
  const printScope = (stmts: Node[], from: number, to: number): string => {
    const directives: string[] = [];
    const functions: string[] = [];
    const rest: string[] = [];
    let pos = from;
    let inPrologue = true;
    for (const s of stmts) {
      const chunk = code.slice(pos, s.start) + print(s, null);
      pos = s.end;
      inPrologue = inPrologue && typeof s.directive === "string";
      if (inPrologue) directives.push(chunk);
      else if (s.type === "FunctionDeclaration") functions.push(chunk);
      else rest.push(chunk);
    }
    return directives.join("") + functions.join("") + rest.join("") + code.slice(pos, to);
  };

  return print(ast, null);
}

/**
 * A test aid that makes a hoisting engine (Duktape, Node) see function declarations the way
 * Espruino does: `function f() {}` becomes `var f = function f() {};`, defined only once that
 * statement has run. Code that works after this works without hoisting.
 */
export function withoutHoisting(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const edits: { at: number; text: string }[] = [];
  const visit = (n: Node): void => {
    if (n.type === "FunctionDeclaration") {
      edits.push({ at: n.start, text: "var " + ((n.id as Node).name as string) + " = " });
      edits.push({ at: n.end, text: ";" });
    }
    for (const c of children(n)) visit(c);
  };
  visit(ast);
  // Stable ascending order keeps `};` of one function before `var g = ` of the next.
  edits.sort((a, b) => a.at - b.at);
  let out = "";
  let pos = 0;
  for (const e of edits) {
    out += code.slice(pos, e.at) + e.text;
    pos = e.at;
  }
  return out + code.slice(pos);
}
