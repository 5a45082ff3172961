// npm run bench:sim [-- --subjects 10,50,200 --hours 1] — the simulator's cost: for each fleet
// size, one scenario (every subject with an absence and a strap cut to raise) run on the embedded
// broker with the real firmware in every home: real seconds, subject-hours per real second, the
// process's RSS per home, and whether the check passed. Issue 12's goal, 200 subjects × 1 day in
// ≤ 2 minutes, needs the accelerated (CPU-bound) mode, which is not built: the figures show how
// far a run is from it. A script that prints figures, not a test.

import { parseArgs } from "node:util";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { parseScenario } from "../scenario/scenario";
import { runScenario } from "../scenario/scenario-run";

const { values } = parseArgs({
  options: {
    subjects: { type: "string", default: "10,50" },
    hours: { type: "string", default: "1" },
  },
});
const sizes = String(values.subjects).split(",").map(Number);
const hours = Number(values.hours);

console.log(`## ${hours} h of an evening, per fleet size (embedded aedes)\n`);
console.log("| subjects | real s | subject-hours / real s | RSS MB | RSS per home MB | check |");
console.log("|--:|--:|--:|--:|--:|---|");
for (const n of sizes) {
  const s = parseScenario(
    JSON.stringify({
      name: `bench-${n}`,
      seed: 1,
      subjects: n,
      start: "2026-11-23T19:40:00+02:00",
      timeZone: "Europe/Riga",
      hours,
      homeWindows: [{ from: "20:00", to: "07:00" }],
      incidents: [
        { type: "absence", subjects: { fraction: 0.2 }, at: "19:50", minutes: 25 },
        { type: "strapCut", subjects: { fraction: 0.1 }, at: "20:20" },
      ],
    }),
    "bench",
  );
  const before = process.memoryUsage().rss;
  const broker = await startEmbeddedBroker();
  let rss = 0;
  const r = await runScenario(s, broker, TEST_ROOT, () => {
    rss = Math.max(rss, process.memoryUsage().rss);
  });
  await broker.stop();
  const ok = r.check.recall >= 1 && r.check.precision >= 1;
  console.log(
    `| ${n} | ${r.realS.toFixed(1)} | ${((n * hours) / r.realS).toFixed(2)} | ${(rss / 1e6).toFixed(0)} | ${((rss - before) / 1e6 / n).toFixed(2)} | ${ok ? "passed" : "FAILED"} (${r.check.matched}/${r.check.expected}) |`,
  );
}
console.log(
  "\nRSS per home: the growth during that run over the number of homes (the first run also pays for loading the firmware and the world).",
);
const goal = 200 * 24;
console.log(
  `\ngoal (issue 12): 200 subjects × 24 h = ${goal} subject-hours in ≤ 120 s, ${goal / 120} subject-hours per real second — not met (no accelerated mode).`,
);
