// The device-subset gate (DEVICE-JS.md): what Espruino and JerryScript cannot run, or run
// differently from Node, found in the final bundle text. The table is the documentation.

import * as acorn from "acorn";

export interface Violation {
  rule: string;
  message: string;
  line: number;
  column: number;
}

type Node = acorn.Node & { type: string; loc?: acorn.SourceLocation; [k: string]: unknown };

/** Globals the engines lack (or lack in part). */
const MISSING_GLOBALS: Record<string, string> = {
  Map: "no Map on Espruino",
  Set: "no Set on Espruino",
  WeakMap: "no WeakMap on Espruino",
  WeakSet: "no WeakSet on Espruino",
  Symbol: "no Symbol on Espruino",
  BigInt: "no BigInt on Espruino",
  Proxy: "no Proxy on Espruino",
  Reflect: "no Reflect on Espruino",
  TextEncoder: "no TextEncoder on Espruino",
  TextDecoder: "no TextDecoder on Espruino",
  Intl: "no Intl on devices",
};

/** Static members that are missing; key is "Object.member". */
const MISSING_MEMBERS: Record<string, string> = {
  "Array.from": "missing on Espruino",
  "Array.of": "missing on Espruino",
  "Uint8Array.from": "missing on Espruino",
  "Uint8Array.of": "missing on Espruino",
  "Number.isInteger": "missing on Espruino",
  "Number.isFinite": "missing on Espruino",
  "Number.isNaN": "missing on Espruino",
  "Number.MAX_SAFE_INTEGER": "missing on Espruino",
  "Number.EPSILON": "missing on Espruino",
  "Math.imul": "missing on Espruino",
  "Math.trunc": "missing on Espruino",
  "Math.clz32": "missing on Espruino",
  "Math.sign": "missing on Espruino",
  "Math.log2": "missing on Espruino",
  "Math.fround": "missing on Espruino",
  "Math.pow": "inexact on Espruino (Math.pow(2, 32) is not 4294967296): use shifts/constants",
  "Object.freeze": "missing on Espruino",
  "Object.assign": "missing on Espruino",
  "Object.entries": "missing on Espruino",
  "Object.values": "missing on Espruino",
  "Object.setPrototypeOf": "missing on Espruino",
  "Object.getOwnPropertyDescriptors": "missing on Espruino (esbuild's spread helper needs it)",
  "Promise.race": "missing on Espruino",
};

const RESERVED_NAMES: Record<string, string> = {
  of: "`of` cannot be an identifier on Espruino",
  static: "`static` cannot be an identifier on Espruino",
};

function memberName(n: Node): string | null {
  if (n.type !== "MemberExpression" || n.computed) return null;
  const obj = n.object as Node;
  const prop = n.property as Node;
  if (obj.type === "Identifier") return (obj.name as string) + "." + (prop.name as string);
  if (obj.type === "MemberExpression") {
    const inner = memberName(obj);
    return inner ? inner + "." + (prop.name as string) : null;
  }
  return null;
}

export function checkDeviceSubset(code: string): Violation[] {
  const out: Violation[] = [];
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
  const add = (n: Node, rule: string, message: string) =>
    out.push({
      rule,
      message,
      line: n.loc ? n.loc.start.line : 0,
      column: n.loc ? n.loc.start.column : 0,
    });
  const declared = new Set<string>();
  const visit = (n: Node, parent: Node | null): void => {
    switch (n.type) {
      case "Identifier": {
        const name = n.name as string;
        const isProperty =
          parent &&
          ((parent.type === "MemberExpression" && parent.property === n && !parent.computed) ||
            (parent.type === "Property" && parent.key === n));
        if (!isProperty) {
          if (RESERVED_NAMES[name]) add(n, "reserved-name", RESERVED_NAMES[name]);
          if (MISSING_GLOBALS[name] && !declared.has(name))
            add(n, "missing-global", name + ": " + MISSING_GLOBALS[name]);
        }
        break;
      }
      case "MemberExpression": {
        const name = memberName(n);
        if (name) {
          const head = name.split(".").slice(0, 2).join(".");
          if (MISSING_MEMBERS[head]) add(n, "missing-member", head + ": " + MISSING_MEMBERS[head]);
          if (/^(Array|Function|Object|String|Uint8Array)\.prototype\.\w+$/.test(name))
            add(
              n,
              "prototype-reach-through",
              name +
                ": built-in prototypes read as undefined on Espruino; use [].slice.call-style access",
            );
        }
        if (!n.computed && ((n.property as Node).name as string) === "finally")
          add(n, "missing-member", "Promise.prototype.finally is missing on Espruino");
        break;
      }
      case "Literal":
        if (n.regex) {
          const src = (n.regex as { pattern: string }).pattern;
          if (/\{\d/.test(src) || src.includes("(?=") || src.includes("(?!"))
            add(n, "regex-form", "regex {n} quantifiers and lookahead never match on Espruino");
        }
        break;
      case "LabeledStatement":
        add(n, "label", "labelled statements (break/continue label) are not supported on Espruino");
        break;
      case "WithStatement":
        add(n, "with", "`with` is not supported");
        break;
      case "NewExpression":
      case "CallExpression": {
        const callee = n.callee as Node;
        if (callee.type === "Identifier" && callee.name === "RegExp")
          add(n, "regex-form", "RegExp() built at run time cannot be checked; use a literal");
        break;
      }
      case "VariableDeclarator":
      case "FunctionDeclaration": {
        const id = n.id as Node | null;
        if (id && typeof id.name === "string") declared.add(id.name);
        break;
      }
    }
    for (const key of Object.keys(n)) {
      if (key === "loc") continue;
      const v = n[key];
      const children = Array.isArray(v) ? v : [v];
      for (const c of children)
        if (c && typeof c === "object" && typeof (c as Node).type === "string") visit(c as Node, n);
    }
  };
  visit(ast, null);
  return out;
}
