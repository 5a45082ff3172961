// The few acorn helpers every build pass needs: a node with its fields reachable by name, and a
// node's child nodes in source order (locations skipped: they are not nodes of the program).

import type * as acorn from "acorn";

export type Node = acorn.Node & { [k: string]: unknown };

export function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && typeof (v as Node).type === "string";
}

export function children(n: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(n)) {
    if (key === "loc") continue;
    const v = n[key];
    if (Array.isArray(v)) for (const c of v) isNode(c) && out.push(c);
    else if (isNode(v)) out.push(v);
  }
  return out.sort((a, b) => a.start - b.start);
}
