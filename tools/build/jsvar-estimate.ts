// Host side of the JsVar estimate (the model and the walk are in jsvar-model.ts): instruments a
// bundle so closure scopes can be walked, runs it in Duktape on the fake Espruino globals until
// it has booted and settled, and returns the count.

import * as acorn from "acorn";
import { compileBundle } from "./firmware-build";
import type { JsVarCount } from "./jsvar-model";
import { runInDuktape } from "./run-in-duktape";

type Node = acorn.Node & { [k: string]: unknown };

/** Puck.js-class board (DEVICE-JS.md): 2,630 JsVars of 13 bytes. */
export const PUCK_JSVARS = 2630;

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && typeof (v as Node).type === "string";
}

/** Names a function's scope holds: parameters, `var`s and function declarations (not nested). */
function scopeNames(fn: Node): string[] {
  const names: string[] = (fn.params as Node[]).map((p) => p.name as string);
  const visit = (n: Node): void => {
    if (n.type === "VariableDeclarator") names.push((n.id as Node).name as string);
    if (n.type === "FunctionDeclaration") names.push((n.id as Node).name as string);
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") return;
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) for (const c of v) isNode(c) && visit(c);
      else if (isNode(v)) visit(v);
    }
  };
  for (const s of (fn.body as Node).body as Node[]) visit(s);
  return names.filter((x, i) => names.indexOf(x) === i);
}

/**
 * Every function registers its scope on entry (`var __s = __jsvScope(…)`, with a getter that
 * reads its locals later) and every function object is tied to the scope it was made in
 * (`__jsvFn(fn, __s)`): what a walk needs to see closures as Espruino keeps them.
 */
export function instrumentScopes(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node;
  const edits: { at: number; text: string; order: number }[] = [];
  const walk = (n: Node): void => {
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") {
      const names = scopeNames(n);
      const body = n.body as Node;
      const decls = ((body.body as Node[]) ?? [])
        .filter((s) => s.type === "FunctionDeclaration")
        .map((s) => "__jsvFn(" + (s.id as Node).name + ",__s);")
        .join("");
      edits.push({
        at: body.start + 1,
        order: 1,
        text:
          "var __s=__jsvScope(arguments.callee,function(){return[" +
          names.join(",") +
          ']},"' +
          names.join(",") +
          '");' +
          decls,
      });
      if (n.type === "FunctionExpression") {
        edits.push({ at: n.start, order: 2, text: "__jsvFn(" });
        edits.push({ at: n.end, order: 0, text: ",__s)" });
      }
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) for (const c of v) isNode(c) && walk(c);
      else if (isNode(v)) walk(v);
    }
  };
  walk(ast);
  // From the end, so positions stay valid; at one position closers go before openers.
  edits.sort((a, b) => b.at - a.at || a.order - b.order);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  return out;
}

/**
 * Boots the tag bundle on the fake board with `identityHex` as em.id, lets it run `settleMs` of
 * virtual time, and counts the JsVars it holds.
 */
export async function estimateTagJsVars(
  tagCode: string,
  identityHex: string,
  settleMs: number,
): Promise<JsVarCount> {
  const fake = (
    await compileBundle(new URL("espruino-fake.ts", import.meta.url).pathname, "EspruinoFake")
  ).readable;
  const prelude = `${fake}\nEspruinoFake.install();\nEspruinoFake.provision("em.id", "${identityHex}");\n`;
  const r = runInDuktape(
    `${instrumentScopes(tagCode)}\nEspruinoFake.advance(${settleMs});\nprint(EspruinoFake.jsvars());\n`,
    { prelude, timeoutMs: 30_000 },
  );
  if (r.exitCode !== 0 || r.stderr !== "") throw new Error("JsVar run failed: " + r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as JsVarCount;
}
