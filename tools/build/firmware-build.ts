// Device bundle build: TypeScript → ES5 per file (TypeScript 5.9, the last that emits ES5),
// one IIFE (esbuild bundles the ES5 that tsc wrote; it cannot lower to ES5 itself), our own
// Espruino-safe helpers, minified, functions hoisted by hand, then gated and measured. The build
// fails on any gate violation or when the bundle exceeds its budget.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import ts from "typescript";
import { checkDeviceSubset, type Violation } from "./device-gate";
import { ES5_HELPERS } from "./es5-helpers";
import { hoistFunctions } from "./hoist";

export interface BundleSpec {
  name: string;
  entry: string;
  outFile: string;
  /** Budget for the minified bundle, bytes. */
  budgetBytes: number;
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
  }
}

function toEs5(source: string, fileName: string): string {
  const r = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES5,
      module: ts.ModuleKind.ES2015,
      noEmitHelpers: true,
      importHelpers: false,
      downlevelIteration: false,
      removeComments: true,
      verbatimModuleSyntax: false,
      isolatedModules: true,
    },
  });
  const diags = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diags.length)
    throw new Error(
      fileName +
        ": " +
        diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; "),
    );
  return r.outputText;
}

const es5Plugin: esbuild.Plugin = {
  name: "typescript-es5",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: toEs5(readFileSync(args.path, "utf8"), args.path),
      loader: "js",
    }));
  },
};

async function bundle(entry: string, minify: boolean): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    target: "es5",
    platform: "neutral",
    plugins: [es5Plugin],
    minifyWhitespace: minify,
    minifySyntax: minify,
    minifyIdentifiers: minify,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
  });
  let code = r.outputFiles[0].text;
  // Helpers tsc would have emitted inline (noEmitHelpers): ours, and only those referenced.
  let helpers = "";
  for (const [name, src] of Object.entries(ES5_HELPERS))
    if (new RegExp("\\b" + name + "\\b").test(code)) helpers += src + "\n";
  code = helpers + code;
  return hoistFunctions(code);
}

export async function buildBundle(spec: BundleSpec): Promise<BundleReport> {
  const raw = await bundle(spec.entry, false);
  const min = await bundle(spec.entry, true);
  const violations = checkDeviceSubset(min).concat(checkDeviceSubset(raw));
  const report: BundleReport = {
    name: spec.name,
    outFile: spec.outFile,
    rawBytes: Buffer.byteLength(raw),
    minifiedBytes: Buffer.byteLength(min),
    gzipBytes: gzipSync(min, { level: 9 }).length,
    budgetBytes: spec.budgetBytes,
  };
  if (violations.length) {
    const seen = new Set<string>();
    const lines = violations
      .map((v) => `  ${v.rule}: ${v.message} (line ${v.line}:${v.column})`)
      .filter((l) => !seen.has(l) && seen.add(l));
    throw new DeviceBuildError(
      `${spec.name}: the bundle breaks the device subset:\n${lines.join("\n")}`,
      violations,
    );
  }
  if (report.minifiedBytes > spec.budgetBytes)
    throw new DeviceBuildError(
      `${spec.name}: ${report.minifiedBytes} bytes minified, over the budget of ${spec.budgetBytes}`,
      [],
    );
  mkdirSync(dirname(spec.outFile), { recursive: true });
  writeFileSync(spec.outFile, min);
  writeFileSync(
    spec.outFile.replace(/\.js$/, ".size.json"),
    JSON.stringify(report, null, 2) + "\n",
  );
  return report;
}
