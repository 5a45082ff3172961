// TypeScript's ES5 class is an IIFE:
//
//   var Queue = (function () { function Queue(s) {…} Queue.prototype.peek = function (n) {…};
//                               return Queue; }());
//   var Link = (function (_super) { __extends(Link, _super); function Link() {…} …
//                                   return Link; }(Base));
//
// On Espruino every method defined inside that IIFE keeps a link to the IIFE's scope, and the
// scope itself stays alive with the class: measured on espruino-jolt, 397 of the home unit's
// ~670 functions carried such a link. unwrapClasses lifts the body out into the enclosing
// statement list — `function Queue(s) {…} Queue.prototype.peek = …;` — with the inner name
// renamed to the outer one and the base-class parameter to its argument, which is the same
// program: the IIFE has no state of its own, only the class it returns.
//
// Only the exact shape TypeScript emits is lifted: one function declaration, expression
// statements, `return <that function>`; no `var`, no `this`/`arguments` at the IIFE's level,
// at most one parameter bound to a plain name, and no binding anywhere inside that could be
// captured by the renaming. Anything else is left as it is.

import * as acorn from "acorn";
import { children, type Node } from "./ast";

interface Edit {
  at: number;
  end: number;
  text: string;
}

const isFunction = (n: Node) => n.type === "FunctionDeclaration" || n.type === "FunctionExpression";

/** Every name bound anywhere inside n (parameters, vars, function names, catch parameters). */
function bindings(n: Node, out: Set<string>): void {
  if (isFunction(n)) {
    if (n.id) out.add((n.id as Node).name as string);
    for (const p of n.params as Node[]) if (p.type === "Identifier") out.add(p.name as string);
  }
  if (n.type === "VariableDeclarator" && (n.id as Node).type === "Identifier")
    out.add((n.id as Node).name as string);
  if (n.type === "CatchClause" && n.param) out.add((n.param as Node).name as string);
  for (const c of children(n)) bindings(c, out);
}

/** Whether `this` or `arguments` is used at fn's own level (not inside a nested function). */
function ownThisOrArguments(body: Node): boolean {
  let found = false;
  const walk = (n: Node): void => {
    if (n.type === "ThisExpression" || (n.type === "Identifier" && n.name === "arguments"))
      found = true;
    for (const c of children(n)) if (!isFunction(c)) walk(c);
  };
  walk(body);
  return found;
}

/** Identifier nodes that are references or bindings (not property names or object keys). */
function identifiers(n: Node, out: Node[]): void {
  if (n.type === "Identifier") out.push(n);
  for (const key of Object.keys(n)) {
    if (key === "type") continue;
    if (key === "property" && n.type === "MemberExpression" && !n.computed) continue;
    if (key === "key" && n.type === "Property" && !n.computed) continue;
    if (key === "label") continue;
    const v = n[key] as unknown;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === "string") identifiers(c as Node, out);
    } else if (v && typeof (v as Node).type === "string") identifiers(v as Node, out);
  }
}

/** The lifted text for `var X = (function (P) { … }(A));`, or null when it is not that shape. */
function lift(code: string, decl: Node): string | null {
  if (decl.type !== "VariableDeclaration" || (decl.declarations as Node[]).length !== 1)
    return null;
  const d = (decl.declarations as Node[])[0];
  const id = d.id as Node;
  const call = d.init as Node | null;
  if (id.type !== "Identifier" || !call || call.type !== "CallExpression") return null;
  const fn = call.callee as Node;
  const args = call.arguments as Node[];
  const params = fn.params as Node[];
  if (fn.type !== "FunctionExpression" || fn.id || params.length !== args.length) return null;
  if (params.length > 1) return null;
  if (params.length === 1 && (params[0].type !== "Identifier" || args[0].type !== "Identifier"))
    return null;
  const body = fn.body as Node;
  const stmts = body.body as Node[];
  const last = stmts[stmts.length - 1];
  const decls = stmts.filter((s) => s.type === "FunctionDeclaration");
  if (decls.length !== 1 || !last || last.type !== "ReturnStatement") return null;
  const inner = (decls[0].id as Node).name as string;
  const ret = last.argument as Node | null;
  if (!ret || ret.type !== "Identifier" || ret.name !== inner) return null;
  for (const s of stmts.slice(0, -1))
    if (s.type !== "FunctionDeclaration" && s.type !== "ExpressionStatement") return null;
  if (ownThisOrArguments(body)) return null;

  const outer = id.name as string;
  const renames: { [name: string]: string } = {};
  renames[inner] = outer;
  if (params.length === 1) renames[params[0].name as string] = args[0].name as string;
  // Every binding inside, other than the class function itself, must differ from the names
  // renamed from and to; and the outer name must not already be used inside.
  const bound = new Set<string>();
  for (const s of stmts) bindings(s, bound);
  bound.delete(inner);
  const touched = Object.keys(renames).concat(Object.values(renames));
  if (touched.some((n) => bound.has(n))) return null;
  const ids: Node[] = [];
  for (const s of stmts) identifiers(s, ids);

  const from = stmts[0].start;
  const to = last.start;
  const edits: Edit[] = [];
  for (const n of ids) {
    const r = renames[n.name as string];
    if (r !== undefined) edits.push({ at: n.start - from, end: n.end - from, text: r });
  }
  edits.sort((a, b) => b.at - a.at);
  let text = code.slice(from, to);
  for (const e of edits) text = text.slice(0, e.at) + e.text + text.slice(e.end);
  return text;
}

const isList = (n: Node) => n.type === "Program" || n.type === "BlockStatement";

/** Lifts every class IIFE that is a statement of a statement list (see the file comment). */
export function unwrapClasses(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const edits: Edit[] = [];
  const walk = (n: Node): void => {
    for (const c of children(n)) {
      const lifted = c.type === "VariableDeclaration" && isList(n) ? lift(code, c) : null;
      // A lifted class is replaced whole: nothing inside it is walked (no nested edits).
      if (lifted !== null) edits.push({ at: c.start, end: c.end, text: lifted });
      else walk(c);
    }
  };
  walk(ast);
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
