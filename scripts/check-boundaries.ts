// The dependency direction of the architecture, enforced: protocol ← firmware ← simulator;
// tools and hil-tests may use all three; protocol/src/core and firmware import nothing from Node
// or npm because they run on microcontrollers. Run by `npm test` (scripts/check-boundaries.test.ts)
// and as a CLI: `tsx scripts/check-boundaries.ts [rootDir]` (exit status 1 on any violation).
//
// protocol/ is a workspace package (@em-platform/protocol); everything outside it imports it by that
// name, and a package specifier is checked as the file protocol/package.json's exports map it to.
//
// Two kinds of rule:
// - device rules (device-*) apply to non-test source files under protocol/src/core/ and
//   firmware/: tests of device code run in Node and may import vitest and node:*;
// - layering rules apply to every file, tests included.
//
// Specifiers are read from the TypeScript syntax tree, so imports in comments and strings are
// ignored and none hidden in nested code is missed: import/export … from, import x = require(),
// import("…") (calls and `typeof import("…")` types), require("…"). Type-only imports count too.

import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const RULES = {
  "device-node-builtin": "device code (protocol/src/core, firmware) imports a Node built-in",
  "device-npm-package":
    "device code (protocol/src/core, firmware) imports an npm package (any non-relative specifier but the protocol's core)",
  "core-outside-core": "protocol/src/core imports a file outside protocol/src/core",
  "protocol-layering": "protocol/ imports firmware/, simulator/, tools/ or hil-tests/",
  "firmware-layering": "firmware/ imports simulator/, tools/ or hil-tests/",
  "firmware-protocol-core-only":
    "firmware/ imports a file outside firmware/ and protocol/src/core (e.g. protocol/src/host)",
  "simulator-layering": "simulator/ imports tools/ or hil-tests/",
  "protocol-by-name":
    "a file outside protocol/ imports protocol/ by path, not by its package name (@em-platform/protocol/…)",
} as const;

/** protocol/ is a workspace package; everything else imports it by this name. */
export const PROTOCOL_PACKAGE = "@em-platform/protocol";

export type Rule = keyof typeof RULES;

export interface Violation {
  /** Path relative to the root, with forward slashes. */
  file: string;
  /** 1-based line of the module specifier. */
  line: number;
  specifier: string;
  rule: Rule;
}

export interface ImportRef {
  specifier: string;
  line: number;
  /** true for `require("…")` calls and `import x = require("…")`. */
  viaRequire: boolean;
}

const SKIP_DIRS = new Set(["node_modules", "dist"]);
const NODE_BUILTINS = new Set(builtinModules);

/** The Espruino target binds to the board's built-in modules with `require("Storage")` etc.
 * (firmware/README.md, "The HAL"). Only there, and only through require(), are these
 * names allowed; `crypto` then means Espruino's module, not Node's. */
const ESPRUINO_TARGET = "firmware/targets/espruino/";
const ESPRUINO_MODULES = new Set(["Storage", "Flash", "crypto", "heatshrink"]);

const UPPER_THAN_PROTOCOL = ["firmware", "simulator", "tools", "hil-tests"];
const UPPER_THAN_FIRMWARE = ["simulator", "tools", "hil-tests"];
const UPPER_THAN_SIMULATOR = ["tools", "hil-tests"];

function isSourceFile(name: string): boolean {
  return /\.(ts|mts|cts)$/.test(name);
}

function isTestFile(relPath: string): boolean {
  return /\.test\.(ts|mts|cts)$/.test(relPath);
}

/** Every TypeScript file under rootDir (relative, forward slashes, sorted), skipping
 * node_modules, dist, dot-directories and symbolic links. */
export function listSourceFiles(rootDir: string): string[] {
  const root = resolve(rootDir);
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries: Dirent[] = readdirSync(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(join(dir, e.name));
      } else if (e.isFile() && isSourceFile(e.name)) {
        out.push(relative(root, join(dir, e.name)).split(sep).join("/"));
      }
    }
  };
  walk(root);
  return out.sort();
}

function literalText(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) {
    return node.text;
  }
  return undefined;
}

/** The module specifiers a source text refers to, with their 1-based lines. */
export function importsOf(source: string, fileName = "file.ts"): ImportRef[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: ImportRef[] = [];
  const add = (lit: ts.Node | undefined, viaRequire: boolean): void => {
    const text = literalText(lit);
    if (lit === undefined || text === undefined) return;
    const line = sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1;
    out.push({ specifier: text, line, viaRequire });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, false);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node.moduleReference.expression, true);
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        add(node.arguments[0], false);
      } else if (ts.isIdentifier(node.expression) && node.expression.text === "require") {
        add(node.arguments[0], true);
      }
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function isPathSpecifier(s: string): boolean {
  return s.startsWith(".") || s.startsWith("/");
}

/** The file a specifier of the protocol package names, relative to the root and without an
 * extension (as protocol/package.json's exports map it: core and host live under src/). */
function protocolTarget(specifier: string): string | undefined {
  if (!specifier.startsWith(PROTOCOL_PACKAGE + "/")) return undefined;
  const sub = specifier.slice(PROTOCOL_PACKAGE.length + 1).replace(/\.(ts|js)$/, "");
  const path = /^(core|host)(\/|$)/.test(sub) ? "src/" + sub : sub;
  return "protocol/" + (/^src\/(core|host)$/.test(path) ? path + "/index" : path);
}

function topFolder(relPath: string): string {
  return relPath.split("/")[0];
}

function inFolder(relPath: string, folders: string[]): string | undefined {
  const top = topFolder(relPath);
  return folders.includes(top) ? top : undefined;
}

/** The rules one import breaks (usually none). `file` and the resolved target are relative to
 * the root, with forward slashes. */
function rulesBroken(file: string, imp: ImportRef, target: string | undefined): Rule[] {
  const broken: Rule[] = [];
  const s = imp.specifier;
  const top = topFolder(file);
  const isCore = file.startsWith("protocol/src/core/");
  const isDevice = (isCore || top === "firmware") && !isTestFile(file);

  if (isDevice && !s.startsWith(".") && target === undefined) {
    const espruinoBuiltin =
      file.startsWith(ESPRUINO_TARGET) && imp.viaRequire && ESPRUINO_MODULES.has(s);
    if (!espruinoBuiltin) {
      const name = s.startsWith("node:") ? s.slice(5) : s;
      const isBuiltin = s.startsWith("node:") || NODE_BUILTINS.has(name.split("/")[0]);
      broken.push(isBuiltin ? "device-node-builtin" : "device-npm-package");
    }
  }
  if (target === undefined) return broken;

  if (isCore && !target.startsWith("protocol/src/core/")) broken.push("core-outside-core");
  if (top === "protocol" && inFolder(target, UPPER_THAN_PROTOCOL)) broken.push("protocol-layering");
  if (top === "firmware") {
    if (inFolder(target, UPPER_THAN_FIRMWARE)) broken.push("firmware-layering");
    else if (topFolder(target) !== "firmware" && !target.startsWith("protocol/src/core/")) {
      broken.push("firmware-protocol-core-only");
    }
  }
  if (top === "simulator" && inFolder(target, UPPER_THAN_SIMULATOR)) {
    broken.push("simulator-layering");
  }
  if (top !== "protocol" && topFolder(target) === "protocol" && isPathSpecifier(s)) {
    broken.push("protocol-by-name");
  }
  return broken;
}

export function findBoundaryViolations(rootDir: string): Violation[] {
  const root = resolve(rootDir);
  const violations: Violation[] = [];
  for (const file of listSourceFiles(root)) {
    const abs = join(root, file);
    for (const imp of importsOf(readFileSync(abs, "utf8"), abs)) {
      const target = isPathSpecifier(imp.specifier)
        ? relative(root, resolve(dirname(abs), imp.specifier))
            .split(sep)
            .join("/")
        : protocolTarget(imp.specifier);
      for (const rule of rulesBroken(file, imp, target)) {
        violations.push({ file, line: imp.line, specifier: imp.specifier, rule });
      }
    }
  }
  return violations;
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: [${v.rule}] "${v.specifier}" — ${RULES[v.rule]}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = process.argv[2]
    ? resolve(process.argv[2])
    : resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const found = findBoundaryViolations(root);
  for (const v of found) console.log(formatViolation(v));
  console.log(found.length === 0 ? "boundaries: ok" : `boundaries: ${found.length} violation(s)`);
  process.exit(found.length === 0 ? 0 : 1);
}
