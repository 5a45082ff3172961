// Espruino does not hoist: a function declared below its first use is undefined at that moment
// (DEVICE-JS.md). This moves every function declaration that follows another statement to the
// top of its scope (program or function body), which is what a hoisting engine would see.
// Function declarations only create bindings, so their order among themselves does not matter.

import * as acorn from "acorn";

type Node = acorn.Node & { type: string; [k: string]: unknown };

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && typeof (v as Node).type === "string";
}

interface ScopeEdit {
  insertAt: number;
  moved: Node[];
}

/** The first scope (in source order) with a function declaration below another statement. */
function findEdit(n: Node): ScopeEdit | null {
  let stmts: Node[] | null = null;
  let insertAt = 0;
  if (n.type === "Program") {
    stmts = n.body as Node[];
    insertAt = n.start;
  } else if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") {
    const body = n.body as Node;
    stmts = body.body as Node[];
    insertAt = body.start + 1;
  }
  if (stmts) {
    let i = 0;
    // A directive prologue ("use strict") must stay first.
    while (i < stmts.length && typeof stmts[i].directive === "string") insertAt = stmts[i++].end;
    const moved: Node[] = [];
    let seenOther = false;
    for (; i < stmts.length; i++) {
      if (stmts[i].type !== "FunctionDeclaration") seenOther = true;
      else if (seenOther) moved.push(stmts[i]);
    }
    if (moved.length) return { insertAt, moved };
  }
  for (const key of Object.keys(n)) {
    const v = n[key];
    const children = Array.isArray(v) ? v : [v];
    for (const c of children) {
      if (!isNode(c)) continue;
      const e = findEdit(c);
      if (e) return e;
    }
  }
  return null;
}

export function hoistFunctions(code: string): string {
  // One scope per pass, re-parsing in between, so nested scopes never see stale offsets.
  for (let pass = 0; pass < 10000; pass++) {
    const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
    const e = findEdit(ast);
    if (!e) return code;
    let text = "";
    let out = code;
    for (let i = e.moved.length - 1; i >= 0; i--) {
      const m = e.moved[i];
      text = code.slice(m.start, m.end) + "\n" + text;
      out = out.slice(0, m.start) + out.slice(m.end);
    }
    code = out.slice(0, e.insertAt) + text + out.slice(e.insertAt);
  }
  throw new Error("hoist: did not converge");
}
