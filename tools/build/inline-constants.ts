// Device code names its codes: `export const EventCode = { strapCut: 3, … } as const`, and
// module constants such as `const HEADER_BYTES = 12`. Compiled to ES5 these are ordinary `var`s,
// so the minifier keeps every object, every key, and a lookup `h.kn` at each use. inlineConstants
// replaces each read with the literal it always yields and deletes the declaration, when that is
// provably the same program:
//
// - the name is declared exactly once in the whole bundle, as `var X = <constant>` — the name is
//   unique, so no other binding can shadow it and scopes need no analysis;
// - for an object, every other occurrence of X is a non-computed read `X.key` of a key it has:
//   never assigned, deleted, called, enumerated, compared or passed on as a whole, so nothing
//   can observe the object itself or change a member;
// - for a plain constant, every other occurrence is a read (never assigned, never re-declared);
// - the program has no `eval` or `with`, which could reach a name without naming it.
//
// The one difference is for a read that runs before the declaration, which would have seen
// `undefined` (or thrown, on `X.key`); the gate already rejects a `var` read above its
// declaration in the same scope (device-gate.ts), and TypeScript rejects use before a `const`.
// A constant is inlined only where the text gets shorter: a literal longer than the minified
// name it replaces, read many times, stays a variable — unless the bundle is built for RAM
// (`forRam`): there every top-level constant costs variables for the life of the device
// (an object of 16 strings ~60 JsVars on Espruino) while an inlined literal is made only while
// the code that reads it runs, so every eligible constant is inlined whatever the text costs.

import * as acorn from "acorn";
import { children, isNode, type Node } from "./ast";

interface Occurrence {
  node: Node;
  parent: Node;
  /** The parent's parent: what a member expression `X.key` sits in. */
  grand: Node | null;
}

interface Edit {
  at: number;
  end: number;
  text: string;
}

/** A minified top-level name in a bundle of this size: one or two characters. */
const MIN_NAME = 2;

/** Source text of a constant expression: a literal, or `-<number>`; null when not constant. */
function constantText(code: string, n: Node): string | null {
  if (n.type === "Literal" && (n as { regex?: unknown }).regex === undefined)
    return code.slice(n.start, n.end);
  if (
    n.type === "UnaryExpression" &&
    n.operator === "-" &&
    isNode(n.argument) &&
    n.argument.type === "Literal" &&
    typeof n.argument.value === "number"
  )
    return "(" + code.slice(n.start, n.end) + ")";
  return null;
}

/** The keys and value texts of an object literal of constants; null for anything else. */
function constantObject(code: string, n: Node): { [key: string]: string } | null {
  if (n.type !== "ObjectExpression") return null;
  const out: { [key: string]: string } = {};
  for (const p of n.properties as Node[]) {
    if (p.type !== "Property" || p.computed || p.kind !== "init") return null;
    const k = p.key as Node;
    const key = k.type === "Identifier" ? (k.name as string) : k.value;
    if (typeof key !== "string") return null;
    const text = constantText(code, p.value as Node);
    if (text === null) return null;
    out[key] = text;
  }
  return out;
}

/** Identifier nodes that name a binding or read one (not property names or object keys). */
function collectNames(ast: Node): { names: Map<string, Occurrence[]>; unsafe: boolean } {
  const names = new Map<string, Occurrence[]>();
  let unsafe = false;
  const walk = (n: Node, parent: Node | null, grand: Node | null): void => {
    if (n.type === "WithStatement") unsafe = true;
    if (n.type === "Identifier" && parent !== null) {
      if (n.name === "eval") unsafe = true;
      const list = names.get(n.name as string) ?? [];
      list.push({ node: n, parent, grand });
      names.set(n.name as string, list);
    }
    for (const key of Object.keys(n)) {
      if (key === "type") continue;
      // Property names are not bindings: `o.name`, `{ name: v }`.
      if (key === "property" && n.type === "MemberExpression" && !n.computed) continue;
      if (key === "key" && n.type === "Property" && !n.computed) continue;
      // Nor are labels (`L: for …`, `break L`), which live in a namespace of their own.
      if (key === "label") continue;
      const v = n[key];
      if (Array.isArray(v)) for (const c of v) isNode(c) && walk(c, n, parent);
      else if (isNode(v)) walk(v, n, parent);
    }
  };
  walk(ast, null, null);
  return { names, unsafe };
}

/** Whether `e` (an expression) is only read where it stands. */
function isRead(e: Node, parent: Node | null): boolean {
  if (parent === null) return true;
  if (parent.type === "AssignmentExpression" && parent.left === e) return false;
  if (parent.type === "UpdateExpression") return false;
  if (parent.type === "UnaryExpression" && parent.operator === "delete") return false;
  if (parent.type === "ForInStatement" && parent.left === e) return false;
  return true;
}

/**
 * Deletes the removed declarators of each `var` statement: the whole statement when all go (an
 * empty statement where a statement is required, as in `if (a) var X = 1;`), else each with the
 * comma that joins it to a kept neighbour. The ranges never overlap, nor touch a kept one.
 */
function removeDeclarators(removed: Set<Node>, holders: Map<Node, Node>): Edit[] {
  const edits: Edit[] = [];
  for (const [declaration, holder] of holders) {
    const list = declaration.declarations as Node[];
    if (!list.some((d) => removed.has(d))) continue;
    if (list.every((d) => removed.has(d))) {
      const inList = holder.type === "Program" || holder.type === "BlockStatement";
      edits.push({ at: declaration.start, end: declaration.end, text: inList ? "" : ";" });
      continue;
    }
    for (let i = 0; i < list.length; i++) {
      if (!removed.has(list[i])) continue;
      const keptAfter = list.slice(i + 1).some((d) => !removed.has(d));
      if (keptAfter) edits.push({ at: list[i].start, end: list[i + 1].start, text: "" });
      else edits.push({ at: list[i - 1].end, end: list[i].end, text: "" });
    }
  }
  return edits;
}

/**
 * Inlines constant objects and constants (see the file comment). `reservedProp` says whether the
 * minifier keeps a property name as written, which makes `X.key` cost its full length.
 */
export function inlineConstants(
  code: string,
  reservedProp: (name: string) => boolean,
  forRam = false,
): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const { names, unsafe } = collectNames(ast);
  if (unsafe) return code;

  // Parents of declarations, to find the statement list that holds each `var`.
  const holders = new Map<Node, Node>();
  const findHolders = (n: Node): void => {
    for (const c of children(n)) {
      if (c.type === "VariableDeclaration") holders.set(c, n);
      findHolders(c);
    }
  };
  findHolders(ast);

  const edits: Edit[] = [];
  const removed = new Set<Node>();
  for (const occ of names.values()) {
    const decls = occ.filter(
      (o) => o.parent.type === "VariableDeclarator" && o.parent.id === o.node,
    );
    if (decls.length !== 1) continue;
    const decl = decls[0].parent;
    const declaration = decls[0].grand;
    if (declaration === null || declaration.type !== "VariableDeclaration" || !decl.init) continue;
    // `for (var X = 0; …)`: the declaration is part of the loop's syntax.
    const holder = holders.get(declaration);
    if (!holder || holder.type === "ForStatement" || holder.type === "ForInStatement") continue;
    const uses = occ.filter((o) => o !== decls[0]);
    // Every other occurrence must be a plain reference: not a parameter, function name or catch
    // binding of the same name.
    const bindingElsewhere = uses.some(
      (o) =>
        ((o.parent.type === "FunctionDeclaration" || o.parent.type === "FunctionExpression") &&
          (o.parent.id === o.node || (o.parent.params as Node[]).includes(o.node))) ||
        (o.parent.type === "CatchClause" && o.parent.param === o.node),
    );
    if (bindingElsewhere) continue;

    const init = decl.init as Node;
    const replacements: Edit[] = [];
    const obj = constantObject(code, init);
    const scalar = obj === null ? constantText(code, init) : null;
    // What the minified declaration costs: `,X=` and the value, whose keys are renamed.
    let saving = MIN_NAME + 2;
    if (scalar !== null) saving += scalar.length;
    if (obj !== null) {
      saving += 2;
      for (const key of Object.keys(obj))
        saving += (reservedProp(key) ? key.length : MIN_NAME) + 2 + obj[key].length;
      let ok = true;
      for (const u of uses) {
        const m = u.parent;
        const key = m.type === "MemberExpression" && !m.computed ? (m.property as Node).name : null;
        if (
          typeof key !== "string" ||
          m.object !== u.node ||
          !Object.hasOwn(obj, key) ||
          !isRead(m, u.grand) ||
          (u.grand?.type === "CallExpression" && u.grand.callee === m)
        ) {
          ok = false;
          break;
        }
        const value = obj[key];
        const text =
          u.grand?.type === "MemberExpression" && u.grand.object === m ? "(" + value + ")" : value;
        replacements.push({ at: m.start, end: m.end, text });
        saving += MIN_NAME + 1 + (reservedProp(key) ? key.length : MIN_NAME) - value.length;
      }
      if (!ok) continue;
    } else if (scalar !== null) {
      if (!uses.every((u) => isRead(u.node, u.parent))) continue;
      for (const u of uses) {
        const inMember = u.parent.type === "MemberExpression" && u.parent.object === u.node;
        replacements.push({
          at: u.node.start,
          end: u.node.end,
          text: inMember && !scalar.startsWith("(") ? "(" + scalar + ")" : scalar,
        });
        saving += MIN_NAME - scalar.length;
      }
    } else continue;
    if (saving <= 0 && !forRam) continue;
    removed.add(decl);
    edits.push(...replacements);
  }
  return apply(code, edits.concat(removeDeclarators(removed, holders)));
}

function apply(code: string, edits: Edit[]): string {
  edits.sort((a, b) => b.at - a.at || b.end - a.end);
  let out = code;
  let floor = Number.POSITIVE_INFINITY;
  for (const e of edits) {
    // Removals of neighbouring declarators can touch; never edit text already edited.
    if (e.end > floor) throw new Error("inline-constants: overlapping edits at " + e.at);
    out = out.slice(0, e.at) + e.text + out.slice(e.end);
    floor = e.at;
  }
  return out;
}
