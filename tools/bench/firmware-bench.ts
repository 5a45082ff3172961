// npm run bench:firmware — device bundle sizes (raw, minified, gzip) and the tag's estimated
// average current and battery life at its default beacon rate. A script that prints figures,
// not a test. The current model uses Espruino's published nRF52 figures
// (https://www.espruino.com/Power+Consumption: "Run 4–8 mA processing JavaScript";
// "Sleep with Bluetooth advertising 0.02–0.08 mA, the default (375 ms interval)";
// "Sleep 0.003 mA with Bluetooth advertising disabled") and one unmeasured quantity, the time the
// interpreter spends building one beacon, shown as a range.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const dist = join(root, "dist", "firmware");

const build = spawnSync("npx", ["tsx", join(root, "tools/build/build-firmware.ts")], {
  cwd: root,
  encoding: "utf8",
});
if (build.status !== 0) {
  console.error(build.stdout + build.stderr);
  process.exit(1);
}

console.log("## Bundle sizes\n");
console.log("| bundle | raw B | minified B | gzip B | budget B | used |");
console.log("|---|---|---|---|---|---|");
for (const f of readdirSync(dist)
  .filter((n) => n.endsWith(".size.json"))
  .sort()) {
  const r = JSON.parse(readFileSync(join(dist, f), "utf8"));
  console.log(
    `| ${r.name}.js | ${r.rawBytes} | ${r.minifiedBytes} | ${r.gzipBytes} | ${r.budgetBytes} | ${Math.round((100 * r.minifiedBytes) / r.budgetBytes)} % |`,
  );
}

// ---- tag current model --------------------------------------------------------------------
const SLEEP_UA = 3; // Espruino nRF52 sleep, advertising off
// Default advertising (375 ms) costs 20 µA in total, i.e. ≈ 17 µA above sleep: the charge of one
// advertising event on 3 channels is ≈ 17 µA × 0.375 s.
const ADV_EVENT_UC = 17 * 0.375;
const RUN_MA = 6; // middle of "4–8 mA processing JavaScript"
const BEACON_INTERVAL_S = Number(process.env.BEACON_S ?? 8);
// Each beacon is advertised for one interval at this many events per beacon (the radio repeats it).
const ADV_EVENTS_PER_BEACON = Number(process.env.ADV_EVENTS ?? 4);
const CR2032_MAH = 225;
const BIG_CELL_MAH = 1000;
const USABLE = 0.8; // cut-off voltage, temperature, self-discharge

console.log(`\n## Tag battery life at one beacon per ${BEACON_INTERVAL_S} s\n`);
console.log(
  `Sleep ${SLEEP_UA} µA; ${ADV_EVENTS_PER_BEACON} advertising events per beacon at ${ADV_EVENT_UC.toFixed(1)} µC each; ` +
    `JavaScript at ${RUN_MA} mA while a beacon is built; ${USABLE * 100} % of nominal capacity usable.\n`,
);
console.log(
  "| JS time per beacon | average current | CR2032 (225 mAh) | 1,000 mAh cell | goal ≥ 12 months on 1,000 mAh |",
);
console.log("|---|---|---|---|---|");
for (const jsMs of [5, 10, 20, 40]) {
  const jsUc = RUN_MA * jsMs; // mA × ms = µC
  const perBeaconUc = jsUc + ADV_EVENTS_PER_BEACON * ADV_EVENT_UC;
  const avgUa = SLEEP_UA + perBeaconUc / BEACON_INTERVAL_S;
  const days = (mah: number) => (mah * USABLE * 1000) / avgUa / 24;
  const months = (d: number) => (d / 30.4).toFixed(1);
  console.log(
    `| ${jsMs} ms | ${avgUa.toFixed(1)} µA | ${Math.round(days(CR2032_MAH))} d (${months(days(CR2032_MAH))} mo) | ` +
      `${Math.round(days(BIG_CELL_MAH))} d (${months(days(BIG_CELL_MAH))} mo) | ${days(BIG_CELL_MAH) >= 365 ? "met" : "NOT met"} |`,
  );
}
console.log(
  "\nThe JavaScript time per beacon is not measured here (no board on this machine); measure it on a" +
    " Puck.js with `E.getTime()` around one beacon and read the matching row.",
);
