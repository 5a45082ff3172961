// npm run build:firmware — builds every device bundle into dist/firmware/, gated and measured;
// exits non-zero if any bundle breaks the device subset or its budget. A new bundle is one line
// in BUNDLES.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BundleReport, buildBundle } from "./firmware-build";

const root = join(import.meta.dirname, "..", "..");

interface Entry {
  name: string;
  /** Relative to the repository root. */
  entry: string;
  budgetBytes: number;
}

export const BUNDLES: Entry[] = [
  { name: "selftest", entry: "firmware/selftest/selftest-main.ts", budgetBytes: 16 * 1024 },
];

async function main(): Promise<number> {
  const reports: BundleReport[] = [];
  let failures = 0;
  for (const b of BUNDLES) {
    try {
      reports.push(
        await buildBundle({
          name: b.name,
          entry: join(root, b.entry),
          outFile: join(root, "dist", "firmware", b.name + ".js"),
          budgetBytes: b.budgetBytes,
        }),
      );
    } catch (e) {
      failures++;
      console.error(e instanceof Error ? e.message : String(e));
    }
  }
  console.log("| bundle | raw B | minified B | gzip B | budget B | used |");
  console.log("|---|--:|--:|--:|--:|--:|");
  for (const r of reports)
    console.log(
      `| ${r.name}.js | ${r.rawBytes} | ${r.minifiedBytes} | ${r.gzipBytes} | ${r.budgetBytes} | ${Math.round((100 * r.minifiedBytes) / r.budgetBytes)} % |`,
    );
  if (failures) console.error(`${failures} of ${BUNDLES.length} bundle(s) failed`);
  return failures ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main();
