// npm run bench:firmware — device bundle sizes (raw, minified, gzip), RAM measured on the real
// engines, and the tag's estimated average current and battery life at its default beacon rate. A script that prints figures,
// not a test. The current model is the tag's own (firmware/tag/power-budget.ts), whose sources are
// in firmware/tag/README-tag.md; its one unmeasured quantity, the charge of building one signed
// frame in the interpreter, is shown as a range.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MAC_REFILL_MS } from "../../firmware/base/presence/beacon-acceptor";
import { CHALLENGE_PERIOD_MS } from "../../firmware/base/presence/freshness-challenge";
import {
  averageCurrentUa,
  challengeCurrentUa,
  challengeLoad,
  conservativeModel,
  days,
} from "../../firmware/tag/power-budget";
import { defaultTagConfig } from "../../firmware/tag/tag-config";
import { compileBundle } from "../build/firmware-build";
import { enginesMissing, POOL_JSVARS } from "../engines/engines";
import { EspruinoBoard } from "../engines/espruino-board";
import { unitOnline } from "../engines/home-unit-ram";
import { tagAfterBoot, tagOverTime, unitAfterBoot } from "../engines/ram";
import { socatMissing } from "../engines/serial-bridge";
import { ISSUE4_BUDGET, issue4Scope } from "./issue4-scope";

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

// ---- the home unit's own logic, without the GSM uplink (issue 4's budget; issue4-scope.ts)
{
  const scope = await issue4Scope(root);
  console.log(
    `| base (issue 4 scope) | ${scope.rawBytes} | ${scope.minifiedBytes} | ${scope.gzipBytes} | ${ISSUE4_BUDGET} | ${Math.round((100 * scope.minifiedBytes) / ISSUE4_BUDGET)} % |`,
  );
}

// ---- RAM: JsVars measured on the real engines (tools/engines/ram.ts): process.memory() after a
// garbage collection, each bundle booted from Storage as a device boots it.
console.log("\n## RAM (JsVars, measured on the engines)\n");
const missing = enginesMissing(["espruino-puck", "espruino-jolt"]);
if (missing) console.log("Not measured: " + missing + ".");
else {
  const pct = (n: number, pool: number) => ((100 * n) / pool).toFixed(1) + " %";
  const puck = POOL_JSVARS["espruino-puck"];
  const jolt = POOL_JSVARS["espruino-jolt"];
  const tagBoot = tagAfterBoot(join(dist, "tag.js"));
  const tagDay = tagOverTime(join(dist, "tag.js"), 24);
  const unitBoot = unitAfterBoot(join(dist, "base.js"));
  console.log("| what | engine | JsVars | of the pool | budget |");
  console.log("|---|---|--:|--:|--:|");
  console.log(
    `| tag, 10 s after boot | espruino-puck | ${tagBoot.usage} | ${pct(tagBoot.usage, puck)} | ≤ 40 % |`,
  );
  console.log(
    `| tag, growth over 24 virtual hours (${tagDay.frames} frames) | espruino-puck | ${tagDay.end.usage - tagDay.start.usage} | — | none |`,
  );
  console.log(
    `| home unit, 5 s after boot, modem silent | espruino-jolt | ${unitBoot.usage} | ${pct(unitBoot.usage, jolt)} | — |`,
  );
  const noPty = socatMissing();
  if (noPty) console.log("\nHome unit online not measured: " + noPty + ".");
  else {
    const u = await unitOnline(join(dist, "base.js"));
    console.log(
      `| home unit, MQTT up over the virtual SIM800, queue drained | espruino-jolt | ${u.online.usage} | ${pct(u.online.usage, jolt)} | ≤ 50 % |`,
    );
    console.log(
      `| home unit, peak while a ${u.backlog}-event backlog drains | espruino-jolt | ${u.peak.usage} | ${pct(u.peak.usage, jolt)} | ≤ 66.7 % |`,
    );
    console.log(
      `| home unit, after the drain | espruino-jolt | ${u.drained.usage} | ${pct(u.drained.usage, jolt)} | ≤ 50 % |`,
    );
  }
}

// ---- a beacon MAC check on the home unit's engine (beacon-mac-cost.ts): what the acceptor's
// MAC budget (MAC_BURST, one per MAC_REFILL_MS) bounds during a flood of forged beacons.
console.log("\n## Beacon MAC check (pure-JS HMAC-SHA-256, espruino-jolt)\n");
const noJolt = enginesMissing(["espruino-jolt"]);
if (noJolt) console.log("Not measured: " + noJolt + ".");
else {
  const code = (await compileBundle(join(root, "tools", "bench", "beacon-mac-cost.ts"))).min;
  const out = new EspruinoBoard("espruino-jolt").run(code, 120000).stdout;
  const m = /MAC_MS ([\d.]+)/.exec(out);
  if (m === null) console.log("Not measured: the engine printed no figure:\n" + out.slice(-400));
  else {
    const ms = Number(m[1]);
    const budgetMs = (ms * 1000) / MAC_REFILL_MS;
    console.log(`| what | figure |`);
    console.log(`|---|--:|`);
    console.log(`| one check (Linux build of the engine on this host) | ${ms.toFixed(2)} ms |`);
    console.log(
      `| a flood at the BLE maximum (~150 frames/s), unbounded | ${((ms * 150) / 10).toFixed(0)} % of a core |`,
    );
    console.log(
      `| the same flood under the MAC budget | ≤ ${(budgetMs / 10).toFixed(1)} % of a core |`,
    );
    console.log(
      "\nAn nRF52840 runs the interpreter slower than this host by a factor not measured here.",
    );
  }
}

// ---- tag current model: the tag's own (firmware/tag/power-budget.ts, sources in README-tag.md)
const model = conservativeModel();
const copies = defaultTagConfig().airCopies;
const intervalMs = defaultTagConfig().beaconIntervalMs;
const CR2032_MAH = 225;
const BIG_CELL_MAH = 1000;

console.log(
  `\n## Tag battery life at one beacon per ${intervalMs / 1000} s, ${copies} copies on air\n`,
);
console.log(
  `Conservative model: sleep ${model.sleepUa} µA, ${model.advertEventUc} µC per advertising event ` +
    "(nRF52832 radio figures; Espruino's own figure implies ~6.4 µC), JavaScript per signed frame " +
    "as below (unmeasured: ~20 ms at 8 mA assumed by the tag's threshold arithmetic).\n",
);
console.log(
  "| JS charge per frame | average current | CR2032 (225 mAh) | 1,000 mAh cell | goal ≥ 12 months on 1,000 mAh |",
);
console.log("|---|---|---|---|---|");
const challenge = challengeLoad(defaultTagConfig(), CHALLENGE_PERIOD_MS);
console.log(
  `The home unit's relay check (a connection of ${model.connectionUc} µC and a burst of ` +
    `${challenge.burstFrames} frames every ${challenge.periodMs / 1000} s) is included.\n`,
);
for (const frameUc of [40, 80, model.frameUc, 320]) {
  const m = { ...model, frameUc };
  const ua = averageCurrentUa(m, intervalMs, copies) + challengeCurrentUa(m, challenge);
  const d1 = days(CR2032_MAH, ua);
  const d2 = days(BIG_CELL_MAH, ua);
  console.log(
    `| ${frameUc} µC${frameUc === model.frameUc ? " (model)" : ""} | ${ua.toFixed(1)} µA | ${Math.round(d1)} d | ${Math.round(d2)} d | ${d2 >= 365 ? "met" : "NOT met"} |`,
  );
}
console.log(
  "\nNothing here is measured on a board (none on this machine): measure the charge of one frame on a" +
    " Puck.js with a power profiler and read the matching row.",
);
