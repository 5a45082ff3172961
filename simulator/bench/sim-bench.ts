// npm run bench:sim [-- --subjects 200 --days 1 --workers 2 --realtime-units 200
//                      --realtime-minutes 1] — the simulator's cost, printed beside issue 12's
// goals. (a) Accelerated: fleet-day.json's day (routines, cuts, unpluggings, absences, a cell
// outage, a replay, a neighbour's tag) scaled to each fleet size and length, on the worker
// threads: wall time, subject-hours and device-seconds (tag + unit) per wall second, CPU use of
// the cores, peak RSS, and whether the check passed. (b) Real time: units on real TCP to the
// embedded broker held online for some minutes of real time with their beacons and heartbeats:
// how many stayed online, memory per unit. A script that prints figures, not a test.

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { runParallel } from "../scenario/parallel-run";
import { parseScenario } from "../scenario/scenario";
import { subjectHome } from "../scenario/scenario-run";
import { UplinkWorld } from "../world/uplink-world";

const { values } = parseArgs({
  options: {
    subjects: { type: "string", default: "200" },
    days: { type: "string", default: "1" },
    workers: { type: "string", default: String(Math.min(2, availableParallelism())) },
    "realtime-units": { type: "string", default: "200" },
    "realtime-minutes": { type: "string", default: "1" },
  },
});
/** "" or "0" runs no part (a) / (b). */
const list = (v: unknown) =>
  String(v)
    .split(",")
    .map(Number)
    .filter((x) => x > 0);
const workers = Number(values.workers);
const cores = availableParallelism();

/** Peak RSS while fn runs (worker threads share the process). */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    return { value: await fn(), peak };
  } finally {
    clearInterval(t);
  }
}

const template = JSON.parse(
  readFileSync(new URL("../scenarios/fleet-day.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

console.log(
  `## (a) accelerated: fleet-day.json scaled, ${workers} worker(s) on ${cores} core(s)\n`,
);
console.log(
  "| subjects | days | wall s | subject-h / s | device-s / s | CPU (of all cores) | peak RSS MB | check |",
);
console.log("|--:|--:|--:|--:|--:|--:|--:|---|");
for (const n of list(values.subjects))
  for (const days of list(values.days)) {
    // the template's incidents lie in its first day
    if (!Number.isInteger(days)) throw new Error("--days: whole days");
    const s = parseScenario(
      JSON.stringify({ ...template, name: `bench-${n}x${days}d`, subjects: n, hours: 24 * days }),
      "bench",
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { value: r, peak } = await peakRss(() => runParallel(s, workers, TEST_ROOT, () => {}));
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuShare = (cpu.user + cpu.system) / 1e6 / wall / cores;
    const ok = r.check.recall >= 1 && r.check.precision >= 1;
    const subjectHours = n * 24 * days;
    console.log(
      `| ${n} | ${days} | ${wall.toFixed(1)} | ${(subjectHours / wall).toFixed(0)} | ${((2 * subjectHours * 3600) / wall).toFixed(0)} | ${(100 * cpuShare).toFixed(0)} % | ${(peak / 1e6).toFixed(0)} | ${ok ? "passed" : "FAILED"} (${r.check.matched}/${r.check.expected}, ${r.check.falseAlarms.length} false) |`,
    );
  }
console.log(
  "\ngoals (issue 12): 1,000 subjects × 1 day ≤ 60 s and × 7 days ≤ 7 min; `npm start`'s 200 × 1 day ≤ 120 s.",
);

const units = Number(values["realtime-units"]);
const minutes = Number(values["realtime-minutes"]);
if (units > 0) await realTime(units, minutes);

async function realTime(units: number, minutes: number): Promise<void> {
  console.log(`\n## (b) real time: ${units} units on real TCP, held ${minutes} min\n`);
  const broker = await startEmbeddedBroker();
  const before = process.memoryUsage().rss;
  const w = await UplinkWorld.start({ broker, root: TEST_ROOT, epochMs: Date.now(), speed: 1 });
  try {
    for (let i = 0; i < units; i++) w.addHome(subjectHome(1, i));
    const online = () =>
      w.homes.filter((h) => w.receiver.status(h.unitId)?.status === "online").length;
    await w.fastForward(() => online() === units, 15 * 60_000, "every unit online", 600_000);
    let low = units;
    const end = performance.now() + minutes * 60_000;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 1000));
      low = Math.min(low, online());
    }
    const rss = process.memoryUsage().rss;
    console.log("| units | online throughout (lowest) | RSS MB | per unit KiB |");
    console.log("|--:|--:|--:|--:|");
    console.log(
      `| ${units} | ${low} | ${(rss / 1e6).toFixed(0)} | ${((rss - before) / 1024 / units).toFixed(0)} |`,
    );
    console.log("\ngoal (issue 12): ≥ 5,000 units in one process at ≤ 128 KiB each.");
  } finally {
    await w.stop();
    await broker.stop();
  }
}
