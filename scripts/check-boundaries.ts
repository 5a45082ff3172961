// The dependency direction of ARCHITECTURE.md, enforced: protocol ← firmware ← simulator;
// tools and hil-tests may use all three; protocol/src/core and firmware import nothing from Node
// or npm because they run on microcontrollers. Run by `npm test` (scripts/check-boundaries.test.ts)
// and as a CLI: `tsx scripts/check-boundaries.ts`.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".tmp"]);
const NODE_BUILTINS = new Set(builtinModules);

function listTs(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
}

interface Import {
  specifier: string;
  line: number;
}

/** Static imports/exports, dynamic import() and require(), via the TypeScript pre-processor
 * (which skips comments and strings, unlike a regex). */
function importsOf(source: string): Import[] {
  const info = ts.preProcessFile(source, true, true);
  const sf = ts.createSourceFile("x.ts", source, ts.ScriptTarget.Latest, false);
  return info.importedFiles.map((f) => ({
    specifier: f.fileName,
    line: sf.getLineAndCharacterOfPosition(f.pos).line + 1,
  }));
}

function topFolder(relPath: string): string {
  return relPath.split("/")[0];
}

export function findBoundaryViolations(rootDir: string): Violation[] {
  const root = resolve(rootDir);
  const files: string[] = [];
  listTs(root, files);
  const violations: Violation[] = [];
  for (const abs of files) {
    const rel = relative(root, abs).split(sep).join("/");
    const top = topFolder(rel);
    const isTest = rel.endsWith(".test.ts");
    const isCore = rel.startsWith("protocol/src/core/");
    const isDevice = (isCore || top === "firmware") && !isTest;
    for (const imp of importsOf(readFileSync(abs, "utf8"))) {
      const s = imp.specifier;
      const report = (rule: string) =>
        violations.push({ file: rel, line: imp.line, specifier: s, rule });
      const relative_ = s.startsWith(".");
      if (!relative_) {
        if (isDevice) {
          const bare = s.startsWith("node:") ? s.slice(5) : s.split("/")[0];
          report(
            s.startsWith("node:") || NODE_BUILTINS.has(bare)
              ? "device code imports a Node built-in"
              : "device code imports an npm package",
          );
        }
        continue;
      }
      const target = relative(root, resolve(dirname(abs), s))
        .split(sep)
        .join("/");
      const targetTop = topFolder(target);
      if (isCore && !isTest && !target.startsWith("protocol/src/core/"))
        report("protocol/src/core imports outside the core");
      if (top === "protocol" && ["firmware", "simulator", "tools", "hil-tests"].includes(targetTop))
        report(`protocol imports ${targetTop}`);
      if (top === "firmware") {
        if (["simulator", "tools", "hil-tests"].includes(targetTop))
          report(`firmware imports ${targetTop}`);
        else if (targetTop === "protocol" && !target.startsWith("protocol/src/core/"))
          report("firmware imports protocol outside protocol/src/core");
      }
      if (top === "simulator" && ["tools", "hil-tests"].includes(targetTop))
        report(`simulator imports ${targetTop}`);
    }
  }
  return violations;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const v = findBoundaryViolations(root);
  for (const x of v) console.log(`${x.file}:${x.line}: ${x.rule} ("${x.specifier}")`);
  console.log(v.length === 0 ? "boundaries: ok" : `boundaries: ${v.length} violation(s)`);
  process.exit(v.length === 0 ? 0 : 1);
}
