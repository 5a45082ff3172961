// A class method that the entry never calls still ships: TypeScript's ES5 class is an IIFE that
// assigns each method to the prototype, and no minifier can tell that `X.prototype.m = …` is
// unused. dropUnusedMethods deletes each such statement whose method name is never read anywhere
// in the bundle — not as `o.m` on any object, not as an object key (`{ m: … }` may be copied
// onto an instance), and not reserved by the build (a library name the engine may call, such as
// toString, or any identifier-like string literal, which covers `o["m"]` and `"m" in o`).
// Deleting a method can leave another unread, so it runs until nothing changes.
//
// Safe on the same assumption as the minifier's property renaming (firmware-build.ts): a name
// that is neither written in the code nor a string is never reached, because a computed name
// (`o[k]`) would equally miss a renamed method. A prototype method is not an own property, so
// Object.keys does not list it; a `for…in` would, so a bundle with a `for…in` that does not
// filter with hasOwnProperty is left as it is.

import * as acorn from "acorn";
import { children, type Node } from "./ast";

/** For `X.prototype.m = function …;` the method name m; else null. */
function prototypeMethod(s: Node): string | null {
  if (s.type !== "ExpressionStatement") return null;
  const e = s.expression as Node;
  if (e.type !== "AssignmentExpression" || e.operator !== "=") return null;
  if ((e.right as Node).type !== "FunctionExpression") return null;
  const left = e.left as Node;
  if (left.type !== "MemberExpression" || left.computed) return null;
  const obj = left.object as Node;
  if (obj.type !== "MemberExpression" || obj.computed) return null;
  if ((obj.property as Node).name !== "prototype") return null;
  return (left.property as Node).name as string;
}

function containsHasOwnProperty(n: Node): boolean {
  if (
    n.type === "MemberExpression" &&
    !n.computed &&
    (n.property as Node).name === "hasOwnProperty"
  )
    return true;
  return children(n).some(containsHasOwnProperty);
}

function once(code: string, reservedProp: (name: string) => boolean): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const read = new Set<string>();
  const definitions: { name: string; node: Node }[] = [];
  let unfilteredForIn = false;
  // Only a statement of a statement list can go; elsewhere (`if (a) X.prototype.m = …`) the
  // assignment counts as a read and stays.
  const inList = new Set<Node>();
  const walk = (n: Node): void => {
    if (n.type === "ForInStatement" && !containsHasOwnProperty(n.body as Node))
      unfilteredForIn = true;
    if (n.type === "Program" || n.type === "BlockStatement")
      for (const s of n.body as Node[]) inList.add(s);
    const method = inList.has(n) ? prototypeMethod(n) : null;
    if (method !== null) {
      definitions.push({ name: method, node: n });
      // The definition itself is not a read of the method; what its body reads is.
      const e = n.expression as Node;
      walk((e.left as Node).object as Node);
      walk(e.right as Node);
      return;
    }
    if (n.type === "MemberExpression" && !n.computed) read.add((n.property as Node).name as string);
    if (n.type === "Property" && !n.computed) {
      const k = n.key as Node;
      read.add(k.type === "Identifier" ? (k.name as string) : String(k.value));
    }
    for (const c of children(n)) walk(c);
  };
  walk(ast);
  if (unfilteredForIn) return code;
  const dead = definitions.filter((d) => !read.has(d.name) && !reservedProp(d.name));
  dead.sort((a, b) => b.node.start - a.node.start);
  let out = code;
  for (const d of dead) out = out.slice(0, d.node.start) + out.slice(d.node.end);
  return out;
}

export function dropUnusedMethods(code: string, reservedProp: (name: string) => boolean): string {
  let before = code;
  for (;;) {
    const after = once(before, reservedProp);
    if (after === before) return after;
    before = after;
  }
}
