// npm run build:firmware — every device bundle, gated, measured, written to dist/firmware/.

import { join } from "node:path";
import { type BundleReport, type BundleSpec, buildBundle } from "./firmware-build";

const root = join(import.meta.dirname, "..", "..");
const dist = join(root, "dist", "firmware");

export const BUNDLES: BundleSpec[] = [
  {
    name: "selftest",
    entry: join(root, "tools/selftest/selftest-main.ts"),
    outFile: join(dist, "selftest.js"),
    budgetBytes: 96 * 1024,
  },
];

const reports: BundleReport[] = [];
let failed = false;
for (const spec of BUNDLES) {
  try {
    reports.push(await buildBundle(spec));
  } catch (e) {
    failed = true;
    console.error(String(e instanceof Error ? e.message : e));
  }
}
console.log("| bundle | raw B | minified B | gzip B | budget B | used |");
console.log("|---|---|---|---|---|---|");
for (const r of reports)
  console.log(
    `| ${r.name}.js | ${r.rawBytes} | ${r.minifiedBytes} | ${r.gzipBytes} | ${r.budgetBytes} | ${Math.round((100 * r.minifiedBytes) / r.budgetBytes)} % |`,
  );
process.exit(failed ? 1 : 0);
