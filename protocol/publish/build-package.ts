// Builds @em-platform/protocol as backend teams install it: JavaScript that Node runs as it is,
// declarations for TypeScript, the golden vectors and SPEC.md. In this repository the package's
// exports point at the TypeScript sources (protocol/package.json), so nothing has to be built
// before a test; this turns the same sources into the published form.
//
//   tsx protocol/publish/build-package.ts [outDir] [--pack]
//
// outDir defaults to dist/protocol-package; --pack also writes the npm tarball beside it.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const PROTOCOL = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The modules a consumer may import, beyond the two faces' index files. */
const VECTOR_MODULES = ["receiver", "json-view"];

/** What a consumer may import, as protocol/package.json names it, mapped to built files. */
function exportsMap(): Record<string, unknown> {
  const built = (path: string) => ({ types: `./${path}.d.ts`, default: `./${path}.js` });
  const map: Record<string, unknown> = {
    "./core": built("src/core/index"),
    "./core/*": built("src/core/*"),
    "./host": built("src/host/index"),
    "./host/*": built("src/host/*"),
    "./vectors/*.json": "./vectors/*.json",
  };
  for (const m of VECTOR_MODULES) map[`./vectors/${m}`] = built(`vectors/${m}`);
  map["./package.json"] = "./package.json";
  return map;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const face of ["core", "host"]) {
    const dir = join(PROTOCOL, "src", face);
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith(".ts") && !f.endsWith(".test.ts")) files.push(join(dir, f));
    }
  }
  for (const m of VECTOR_MODULES) files.push(join(PROTOCOL, "vectors", m + ".ts"));
  return files;
}

/** Compiles as Node resolves modules (NodeNext), so a relative import without its `.js` — which
 * the bundlers in this repository forgive — fails here rather than in a consumer's process. */
function compile(outDir: string): void {
  const program = ts.createProgram(sourceFiles(), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
    strict: true,
    declaration: true,
    skipLibCheck: true,
    rootDir: PROTOCOL,
    outDir,
    newLine: ts.NewLineKind.LineFeed,
  });
  const emitted = program.emit();
  const problems = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
  if (problems.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => PROTOCOL,
      getNewLine: () => "\n",
    };
    throw new Error("protocol package: " + ts.formatDiagnostics(problems, host));
  }
}

/** Builds the package into outDir (emptied first) and returns its package.json. */
export function buildPackage(outDir: string): { name: string; version: string } {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, "vectors"), { recursive: true });
  compile(outDir);
  for (const f of readdirSync(join(PROTOCOL, "vectors"))) {
    if (f.endsWith(".json")) copyFileSync(join(PROTOCOL, "vectors", f), join(outDir, "vectors", f));
  }
  copyFileSync(join(PROTOCOL, "SPEC.md"), join(outDir, "SPEC.md"));
  copyFileSync(join(PROTOCOL, "publish", "README.md"), join(outDir, "README.md"));
  const source = JSON.parse(readFileSync(join(PROTOCOL, "package.json"), "utf8"));
  const pkg = {
    name: source.name,
    version: source.version,
    description: source.description,
    license: source.license,
    type: "module",
    sideEffects: false,
    engines: { node: ">=20" },
    exports: exportsMap(),
  };
  writeFileSync(join(outDir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  return pkg;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const outDir = resolve(args.find((a) => !a.startsWith("--")) ?? "dist/protocol-package");
  const pkg = buildPackage(outDir);
  console.log(`${pkg.name}@${pkg.version} built in ${outDir}`);
  if (args.includes("--pack")) {
    const tgz = execFileSync("npm", ["pack", "--pack-destination", dirname(outDir)], {
      cwd: outDir,
      encoding: "utf8",
    }).trim();
    console.log(`tarball: ${join(dirname(outDir), tgz.split("\n").pop() ?? tgz)}`);
  }
}
