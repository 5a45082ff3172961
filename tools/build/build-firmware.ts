// npm run build:firmware — builds every device bundle into dist/firmware/, gated and measured;
// exits non-zero if any bundle breaks the device subset or its budget. A new bundle is one line
// in BUNDLES.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BundleReport, type BundleSpec, buildBundle } from "./firmware-build";

const root = join(import.meta.dirname, "..", "..");

/** A shipped bundle: its build options, with the entry relative to the repository root. Every
 * caller builds it with all of them (`buildShipped`), so a new option reaches every build. */
export type Entry = Omit<BundleSpec, "outFile">;

/** Issue 3: 8 KB for the tag (7,643 B minified now; firmware/tag/README-tag.md, "Size"). */
const TAG_BUDGET = 8 * 1024;

/**
 * Issue 4 set 32 KB for the home unit's own logic; measured 47.3 KB then (`npm run
 * bench:firmware`, "base (issue 4 scope)"). Issue 5 added the SIM800 driver and MQTT client
 * (~35 KB), issue 9 the record log on raw flash (~2 KB) and constants inlined to save RAM
 * (+0.9 KB for −85 JsVars), issue 10 time-zone rules and its fixes (~3 KB): 89.3 KB. On the
 * device RAM is the limit, not flash: the bundle runs from Storage (400 KB on a Jolt.js), and
 * trading bytes for JsVars is the right way round. The budget is the measurement plus a margin,
 * so growth still fails the build. Failure messages are stripped as on the tag: no device code
 * reads them (drop-messages.ts).
 */
const BASE_BUDGET = 96 * 1024;

export const BUNDLES: Entry[] = [
  { name: "selftest", entry: "tools/selftest/selftest-main.ts", budgetBytes: 128 * 1024 },
  {
    name: "tag",
    entry: "firmware/targets/espruino/tag-main.ts",
    budgetBytes: TAG_BUDGET,
    stripMessages: true,
    squeeze: true,
  },
  {
    name: "base",
    entry: "firmware/targets/espruino/base-main.ts",
    budgetBytes: BASE_BUDGET,
    stripMessages: true,
    forRam: true,
  },
];

async function main(): Promise<number> {
  const reports: BundleReport[] = [];
  let failures = 0;
  for (const b of BUNDLES) {
    try {
      reports.push(
        await buildBundle({
          ...b,
          entry: join(root, b.entry),
          outFile: join(root, "dist", "firmware", b.name + ".js"),
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
