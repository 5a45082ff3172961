// Minifiers cannot shorten `this`, and TypeScript's ES5 classes say `this.` on nearly every line:
// in the home-unit bundle `this.` alone was ~9 KB. In a function that reads `this` several
// times, aliasAndShrink declares `var <alias> = this;` first and reads the alias instead, which
// the minifier then names with one letter. Safe in ES5: `this` cannot change inside a function,
// and arrow functions are already lowered by TypeScript (their `this` is a captured `_this`), so
// every ThisExpression belongs to its nearest enclosing function, and only those are replaced.
// The same goes for `X.prototype.` in a class's definition: the members are assigned through a
// local alias of the prototype.

import * as acorn from "acorn";
import { children, type Node } from "./ast";

const isFunction = (n: Node) => n.type === "FunctionDeclaration" || n.type === "FunctionExpression";

/** Uses of `this` that need more bytes than an alias costs (`var a=this;` ≈ 11 bytes). */
const MIN_THIS_USES = 3;
/** Prototype member assignments worth an alias (`var p=X.prototype;` ≈ 20 bytes). */
const MIN_PROTO_USES = 3;

interface Edit {
  at: number;
  end: number;
  text: string;
}

export function aliasThis(code: string, alias = "__self__"): string {
  if (code.indexOf(alias) >= 0) throw new Error("alias-this: " + alias + " already in the code");
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const edits: Edit[] = [];

  const visitFunction = (fn: Node): void => {
    const uses: Node[] = [];
    const walk = (n: Node): void => {
      if (n.type === "ThisExpression") uses.push(n);
      for (const c of children(n)) {
        if (isFunction(c)) visitFunction(c);
        else walk(c);
      }
    };
    const body = fn.body as Node;
    walk(body);
    if (uses.length < MIN_THIS_USES) return;
    const stmts = body.body as Node[];
    // After a directive prologue ("use strict"), which must stay first.
    let at = body.start + 1;
    for (const s of stmts) {
      if (s.type === "ExpressionStatement" && typeof s.directive === "string") at = s.end;
      else break;
    }
    edits.push({ at, end: at, text: "var " + alias + " = this;" });
    for (const u of uses) edits.push({ at: u.start, end: u.end, text: alias });
  };

  const top = (n: Node): void => {
    for (const c of children(n)) {
      if (isFunction(c)) visitFunction(c);
      else top(c);
    }
  };
  top(ast);
  return apply(code, edits);
}

/** `X.prototype.m = …` statements in one block, through `var X_p = X.prototype`. */
export function aliasPrototypes(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const edits: Edit[] = [];
  let n = 0;
  const visitBlock = (stmts: Node[]): void => {
    const byClass: { [name: string]: Node[] } = {};
    for (const s of stmts) {
      const target = protoTarget(s);
      if (target === null) continue;
      (byClass[target.name] = byClass[target.name] || []).push(target.node);
    }
    for (const name of Object.keys(byClass)) {
      const objs = byClass[name];
      if (objs.length < MIN_PROTO_USES) continue;
      const local = "__proto" + n++ + "__";
      const first = stmts.find((s) => protoTarget(s)?.node === objs[0]) as Node;
      edits.push({
        at: first.start,
        end: first.start,
        text: "var " + local + " = " + name + ".prototype;",
      });
      for (const o of objs) edits.push({ at: o.start, end: o.end, text: local });
    }
  };
  const walk = (node: Node): void => {
    if (node.type === "Program" || node.type === "BlockStatement") visitBlock(node.body as Node[]);
    for (const c of children(node)) walk(c);
  };
  walk(ast);
  return apply(code, edits);
}

/** For `X.prototype.m = …;` the node `X.prototype` and the name X; else null. */
function protoTarget(s: Node): { name: string; node: Node } | null {
  if (s.type !== "ExpressionStatement") return null;
  const e = s.expression as Node;
  if (e.type !== "AssignmentExpression" || e.operator !== "=") return null;
  const left = e.left as Node;
  if (left.type !== "MemberExpression") return null;
  const obj = left.object as Node;
  if (obj.type !== "MemberExpression" || obj.computed) return null;
  const cls = obj.object as Node;
  const prop = obj.property as Node;
  if (cls.type !== "Identifier" || prop.type !== "Identifier" || prop.name !== "prototype")
    return null;
  return { name: cls.name as string, node: obj };
}

function apply(code: string, edits: Edit[]): string {
  edits.sort((a, b) => b.at - a.at || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
