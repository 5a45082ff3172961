// Device bundle build. TypeScript 5.9 compiles each file to ES5 (the last TypeScript that can;
// esbuild cannot lower classes or let/const to ES5 itself); esbuild bundles that ES5 into one
// flat scope; we wrap it in an IIFE, minify, hoist function declarations (Espruino does not) and
// gate the final text (device-gate.ts) and its size. Any violation fails the build, and a failed
// build leaves no bundle behind that someone could flash by mistake.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import * as acorn from "acorn";
import * as esbuild from "esbuild";
import * as terser from "terser";
import ts from "typescript";
import { aliasPrototypes, aliasThis } from "./alias-this";
import { children, type Node } from "./ast";
import { checkDeviceSubset, type Violation } from "./device-gate";
import { dropMessages } from "./drop-messages";
import { dropUnusedMethods } from "./drop-unused-methods";
import { espruinoGlobalNames, isEspruinoGlobal } from "./espruino-globals";
import { hoistFunctions } from "./hoist";
import { inlineConstants } from "./inline-constants";
import { unwrapClasses } from "./unwrap-classes";

export interface BundleSpec {
  name: string;
  /** A TypeScript entry; it and what it imports must be device code. */
  entry: string;
  outFile: string;
  /** Ceiling for the minified bundle, bytes. */
  budgetBytes: number;
  /** Only for entries whose exports a host must reach: they become properties of this global.
   * Device entries simply run. */
  globalName?: string;
  /** Drop the English message of failures (codes stay; drop-messages.ts): for tight budgets. */
  stripMessages?: boolean;
  /** Inline every constant the device would otherwise hold in RAM, even where the text grows
   * (inline-constants.ts): for a bundle whose RAM is tighter than its flash. */
  forRam?: boolean;
  /** A second minifier (terser) after esbuild: about 2 % smaller, for a bundle whose flash
   * budget binds (the tag). */
  squeeze?: boolean;
}

export interface BundleReport {
  name: string;
  outFile: string;
  rawBytes: number;
  minifiedBytes: number;
  gzipBytes: number;
  budgetBytes: number;
}

export class DeviceBuildError extends Error {
  constructor(
    message: string,
    readonly violations: Violation[],
  ) {
    super(message);
    this.name = "DeviceBuildError";
  }
}

/**
 * The tslib helpers tsc's ES5 output may call, rewritten for the engines: tslib's reach through
 * `Array.prototype.slice.call` and use `Object.setPrototypeOf`, which read as undefined on
 * Espruino. Each is a module export, so esbuild includes, renames and minifies only those used.
 */
const HELPERS: Record<string, string> = {
  // `prototype` is skipped because Espruino may enumerate it on functions.
  __extends: `export function __extends(d, b) {
  for (var p in b) if (p !== "prototype" && b.hasOwnProperty(p)) d[p] = b[p];
  function __() { this.constructor = d; }
  d.prototype = b === null ? Object.create(b) : ((__.prototype = b.prototype), new __());
}`,
  __assign: `export function __assign(t) {
  for (var i = 1; i < arguments.length; i++) {
    var s = arguments[i];
    for (var p in s) if (s.hasOwnProperty(p)) t[p] = s[p];
  }
  return t;
}`,
  __rest: `export function __rest(s, e) {
  var t = {};
  for (var p in s) if (s.hasOwnProperty(p) && e.indexOf(p) < 0) t[p] = s[p];
  return t;
}`,
  __spreadArray: `export function __spreadArray(to, from) {
  for (var i = 0; i < from.length; i++) to.push(from[i]);
  return to;
}`,
};

/** The rest of tslib: features whose compiled form the device engines cannot run (async needs
 * __awaiter/__generator, #private needs WeakMap, decorators need Reflect …). */
const UNSUPPORTED_HELPERS =
  /\b(__decorate|__param|__esDecorate|__runInitializers|__propKey|__setFunctionName|__metadata|__awaiter|__generator|__createBinding|__exportStar|__values|__read|__spread|__spreadArrays|__await|__asyncGenerator|__asyncDelegator|__asyncValues|__makeTemplateObject|__importStar|__importDefault|__classPrivateField(Get|Set|In)|__addDisposableResource|__disposeResources|__rewriteRelativeImportExtension)\b/;

const HELPER_MODULE = "es5-helpers";

const require_resolve = createRequire(import.meta.url).resolve;

/** A free name that esbuild leaves alone; turned back into `require` at the end. Without it
 * esbuild resolves `require("Storage")` itself or wraps it in a shim that needs Proxy. */
const BOARD_REQUIRE = "__device_require__";

/** Unbound at the top of the minifier's input, `of` is a name esbuild will not invent: its
 * renamer otherwise hands out `of` once a scope has enough locals, and `of` is a keyword on
 * Espruino. `static` and `let` are strict-mode reserved words, which esbuild avoids anyway.
 * The Espruino globals follow it in the same statement, for the same reason: a device bundle's
 * names end up at global scope (unwrapTopLevel), where one of them would replace a built-in. */
const RESERVED_MARKER = "of";
const MARKER_STATEMENT = RESERVED_MARKER + "(" + espruinoGlobalNames().join(",") + ");\n";

/**
 * Property names the minifier must not shorten: everything an engine or the board defines
 * (the ES5/ES2015 library and the Espruino globals we declare), the names a host reads, and
 * every identifier-like string literal in the bundle — a name that is also a string may be
 * reached as `o["name"]`, `"name" in o`, an enum's reverse map or __rest's key list, which
 * esbuild would not rename along with `o.name`. Every other property name is ours, so it is
 * renamed consistently across the bundle: on the tag that is a sixth of the code. The
 * declaration files are taken wholesale, so an Espruino API is reserved as soon as it is
 * declared (and TypeScript refuses an undeclared option in an object literal passed to one).
 */
let libraryNames: Set<string> | undefined;
function reservedPropsPattern(code: string): RegExp {
  const names = new Set(libraryNamesOnce());
  acornWalkStrings(acorn.parse(code, { ecmaVersion: 5 }) as unknown as Node, (v) => {
    if (/^[A-Za-z_$][\w$]*$/.test(v)) names.add(v);
  });
  return new RegExp("^(" + [...names].sort().join("|") + ")$");
}

function acornWalkStrings(n: Node, fn: (value: string) => void): void {
  if (n.type === "Literal" && typeof n.value === "string") fn(n.value);
  for (const c of children(n)) acornWalkStrings(c, fn);
}

function libraryNamesOnce(): Set<string> {
  if (libraryNames) return libraryNames;
  const tsLib = dirname(require_resolve("typescript/lib/lib.es5.d.ts"));
  const files = [
    "lib.es5.d.ts",
    "lib.es2015.core.d.ts",
    "lib.es2015.collection.d.ts",
    "lib.es2015.iterable.d.ts",
    "lib.es2015.promise.d.ts",
    "lib.es2015.symbol.d.ts",
    "lib.es2015.symbol.wellknown.d.ts",
  ].map((f) => join(tsLib, f));
  const boardTypes = join(import.meta.dirname, "..", "..", "firmware", "targets", "espruino");
  for (const f of readdirSync(boardTypes)) if (f.endsWith(".d.ts")) files.push(join(boardTypes, f));
  const names = new Set<string>(["print", "console", "log", "require", "exports", "module"]);
  libraryNames = names;
  for (const f of files) {
    const declarations = readFileSync(f, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "");
    for (const m of declarations.matchAll(/[A-Za-z_$][\w$]*/g)) names.add(m[0]);
  }
  return names;
}

export function toEs5(source: string, fileName: string, stripMessages = false): string {
  const r = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    transformers: stripMessages ? { before: [dropMessages()] } : undefined,
    compilerOptions: {
      target: ts.ScriptTarget.ES5,
      module: ts.ModuleKind.ESNext,
      noEmitHelpers: true,
      importHelpers: false,
      downlevelIteration: false,
      useDefineForClassFields: false,
      preserveConstEnums: true,
      isolatedModules: true,
      removeComments: true,
    },
  });
  const errors = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length)
    throw new Error(
      errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; "),
    );
  const bad = UNSUPPORTED_HELPERS.exec(r.outputText);
  if (bad)
    throw new Error(
      "compiles to tslib's " +
        bad[1] +
        ", which the device build does not provide (firmware/README.md, device subset)",
    );
  const used = Object.keys(HELPERS).filter((h) => new RegExp("\\b" + h + "\\b").test(r.outputText));
  return (
    (used.length ? "import { " + used.join(", ") + ' } from "' + HELPER_MODULE + '";\n' : "") +
    r.outputText
  );
}

const es5Plugin = (stripMessages: boolean): esbuild.Plugin => ({
  name: "typescript-es5",
  setup(build) {
    build.onResolve({ filter: new RegExp("^" + HELPER_MODULE + "$") }, (args) => ({
      path: args.path,
      namespace: HELPER_MODULE,
    }));
    build.onLoad({ filter: /.*/, namespace: HELPER_MODULE }, () => ({
      contents: Object.values(HELPERS).join("\n"),
      loader: "js",
    }));
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      try {
        return {
          contents: toEs5(readFileSync(args.path, "utf8"), args.path, stripMessages),
          loader: "js",
        };
      } catch (e) {
        return { errors: [{ text: relative(process.cwd(), args.path) + ": " + String(e) }] };
      }
    });
  },
});

/** esbuild's ESM output has one flat scope plus, if the entry exports anything, an
 * `export { … }` at the end. That becomes the IIFE's return value, or is dropped. */
function wrap(esm: string, globalName: string | undefined): string {
  const ast = acorn.parse(esm, { ecmaVersion: "latest", sourceType: "module" });
  let body = "";
  let pos = 0;
  const props: string[] = [];
  for (const s of ast.body) {
    if (s.type !== "ExportNamedDeclaration" && s.type !== "ImportDeclaration") continue;
    if (s.type === "ImportDeclaration" || s.declaration || s.source)
      throw new Error("unexpected module syntax in the bundle: " + esm.slice(s.start, s.end));
    for (const sp of s.specifiers) {
      const exported = sp.exported.type === "Identifier" ? sp.exported.name : sp.exported.value;
      props.push(JSON.stringify(exported) + ": " + (sp.local as acorn.Identifier).name);
    }
    body += esm.slice(pos, s.start);
    pos = s.end;
  }
  body += esm.slice(pos);
  if (!globalName) return "(function () {\n" + body + "})();\n";
  return `var ${globalName} = (function () {\n${body}return { ${props.join(", ")} };\n})();\n`;
}

/** Strips MARKER_STATEMENT — a call, so the minifier keeps every name in it — from the head of
 * the minified code (the minifier may have joined the next expression onto it with a comma). */
function removeMarker(code: string): string {
  const first = acorn.parse(code, { ecmaVersion: 5 }).body[0];
  if (first && first.type === "ExpressionStatement") {
    const e = first.expression;
    const isMarker = (x: acorn.Expression) =>
      x.type === "CallExpression" &&
      x.callee.type === "Identifier" &&
      x.callee.name === RESERVED_MARKER;
    if (isMarker(e)) return code.slice(0, first.start) + code.slice(first.end);
    if (e.type === "SequenceExpression" && isMarker(e.expressions[0]))
      return code.slice(0, first.start) + code.slice(e.expressions[1].start);
  }
  throw new Error("build: the minifier moved the reserved-name marker; cannot strip it");
}

/**
 * A device entry's minified `(function(){…})();` turned into its body at top level. Measured on
 * Espruino 2v29 (espruino-jolt, base.js): 8,393 JsVars after boot wrapped, 7,087 at top level —
 * each function defined inside the wrapper carries a scope link, and the wrapper's 83 KB of
 * code stays on the stack for the whole boot. The body's names become globals; the marker keeps
 * the minifier off Espruino's own (espruino-globals.ts), and this checks it did.
 */
function unwrapTopLevel(code: string): string {
  const program = acorn.parse(code, { ecmaVersion: 5 });
  if (program.body.length === 0) return ""; // nothing ran: the minifier dropped an empty IIFE
  const only = program.body.length === 1 ? program.body[0] : null;
  const call =
    only && only.type === "ExpressionStatement" && only.expression.type === "CallExpression"
      ? only.expression
      : null;
  const fn = call && call.callee.type === "FunctionExpression" ? call.callee : null;
  if (fn === null || fn.params.length > 0 || call === null || call.arguments.length > 0)
    throw new Error("build: a device bundle must be one IIFE before it is unwrapped");
  const body = code.slice(fn.body.start + 1, fn.body.end - 1);
  const top = acorn.parse(body, { ecmaVersion: 5 }); // a top-level `return` fails here
  for (const s of top.body) {
    const names: string[] = [];
    if (s.type === "FunctionDeclaration" && s.id) names.push(s.id.name);
    if (s.type === "VariableDeclaration")
      for (const d of s.declarations) if (d.id.type === "Identifier") names.push(d.id.name);
    for (const n of names)
      if (isEspruinoGlobal(n))
        throw new Error("build: top-level name " + n + " would replace an Espruino global");
  }
  return body + "\n";
}

export interface BuiltCode {
  /** Unminified and not yet hoisted: readable, with esbuild's `// path` comment heading each
   * module, so a violation can be traced to its source file. */
  readable: string;
  /** What ships: minified and hoisted. */
  min: string;
}

export async function compileBundle(
  entry: string,
  globalName?: string,
  stripMessages = false,
  forRam = false,
  squeeze = false,
): Promise<BuiltCode> {
  if (globalName !== undefined && !/^[A-Za-z_$][\w$]*$/.test(globalName))
    throw new Error("globalName must be a plain identifier: " + globalName);
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    target: "es5",
    platform: "neutral",
    plugins: [es5Plugin(stripMessages)],
    define: { require: BOARD_REQUIRE },
    legalComments: "none",
    logLevel: "silent",
  });
  const wrapped = wrap(r.outputFiles[0].text, globalName);
  const reserved = reservedPropsPattern(wrapped);
  const isReserved = (name: string) => reserved.test(name);
  const inlined = inlineConstants(dropUnusedMethods(wrapped, isReserved), isReserved, forRam);
  const shrunk = aliasThis(aliasPrototypes(unwrapClasses(inlined)));
  const min = await esbuild.transform(MARKER_STATEMENT + shrunk, {
    target: "es5",
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    mangleProps: /^[A-Za-z_$][\w$]*$/,
    reserveProps: reservedPropsPattern(inlined),
    legalComments: "none",
  });
  const board = new RegExp("\\b" + BOARD_REQUIRE + "\\b", "g");
  const unmarked = removeMarker(min.code);
  const code = squeeze ? await squeezeCode(unmarked) : unmarked;
  return {
    readable: wrapped.replace(board, "require"),
    min: hoistFunctions(
      (globalName === undefined ? unwrapTopLevel : (c: string) => c)(
        code.replace(board, "require"),
      ),
    ),
  };
}

/**
 * terser's compressor over esbuild's output: it joins statements, folds conditions and inlines
 * what esbuild leaves (names stay esbuild's, so `reserveProps` still holds). ES5 in, ES5 out; no
 * `unsafe` transforms, so the code means what it meant. The device gate checks the result.
 */
async function squeezeCode(code: string): Promise<string> {
  const r = await terser.minify(code, {
    ecma: 5,
    compress: { passes: 2, negate_iife: false },
    mangle: false,
    format: { comments: false },
  });
  if (r.code === undefined) throw new Error("build: terser returned no code");
  return r.code;
}

/** Which module of the unminified bundle a line is in, from esbuild's `// path` comments. */
function moduleAt(raw: string, line: number): string {
  const lines = raw.split("\n", line);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\s*\/\/ (\S+\.(ts|js|json))$/.exec(lines[i]);
    if (m) return m[1];
  }
  return "bundle";
}

function describe(v: Violation, where: string): string {
  return `  ${v.rule}: ${v.message} (${where} line ${v.line}:${v.column})`;
}

export async function buildBundle(spec: BundleSpec): Promise<BundleReport> {
  const stale = [spec.outFile, spec.outFile.replace(/\.js$/, ".size.json")];
  for (const f of stale) if (existsSync(f)) rmSync(f);

  let built: BuiltCode;
  try {
    built = await compileBundle(
      spec.entry,
      spec.globalName,
      spec.stripMessages === true,
      spec.forRam === true,
      spec.squeeze === true,
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new DeviceBuildError(`${spec.name}: the bundle does not compile:\n${msg}`, []);
  }
  const report: BundleReport = {
    name: spec.name,
    outFile: spec.outFile,
    rawBytes: Buffer.byteLength(built.readable),
    minifiedBytes: Buffer.byteLength(built.min),
    gzipBytes: gzipSync(built.min, { level: 9 }).length,
    budgetBytes: spec.budgetBytes,
  };

  // The shipped text is what counts; the readable text names the modules, and the esbuild
  // helpers that minification renames. A problem in both is listed once, from the readable one.
  const rawViolations = checkDeviceSubset(built.readable);
  const minViolations = checkDeviceSubset(built.min);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const v of rawViolations) {
    seen.add(v.rule + v.message);
    problems.push(describe(v, "in " + moduleAt(built.readable, v.line) + "; unminified bundle"));
  }
  for (const v of minViolations)
    if (!seen.has(v.rule + v.message)) problems.push(describe(v, "minified bundle"));
  if (report.minifiedBytes > spec.budgetBytes)
    problems.push(
      `  budget: ${report.minifiedBytes} bytes minified, over the budget of ${spec.budgetBytes}`,
    );
  if (problems.length)
    throw new DeviceBuildError(
      `${spec.name}: ${problems.length} problem(s):\n${problems.join("\n")}`,
      rawViolations.concat(minViolations),
    );

  mkdirSync(dirname(spec.outFile), { recursive: true });
  writeFileSync(spec.outFile, built.min);
  const { outFile, ...sizes } = report;
  writeFileSync(stale[1], JSON.stringify({ file: basename(outFile), ...sizes }, null, 2) + "\n");
  return report;
}
