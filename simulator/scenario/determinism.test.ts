// The same scenario and seed give a byte-identical message log — in one process and in two
// worker threads — and another seed gives another: the accelerated world's order of events is
// fixed by virtual time alone, never by the host's scheduling.

import { expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { runParallel } from "./parallel-run";
import { parseScenario, type Scenario } from "./scenario";
import { type LoggedMessage, runScenario } from "./scenario-run";

const scenario = (seed: number): Scenario =>
  parseScenario(
    JSON.stringify({
      name: "same-bytes",
      seed,
      subjects: 4,
      start: "2026-11-23T19:30:00+02:00",
      timeZone: "Europe/Riga",
      hours: 1.5,
      homeWindows: [{ from: "20:00", to: "07:00" }],
      incidents: [
        { type: "absence", subjects: [0], at: "19:50", minutes: 30 },
        { type: "strapCut", subjects: [1], at: "20:15" },
        { type: "mainsOutage", subjects: [2], at: "20:05", minutes: 10 },
        { type: "cellOutage", area: "riga-east", at: "20:20", minutes: 10 },
      ],
    }),
    "same-bytes.json",
  );

/** The log as messages.jsonl holds it. */
const jsonl = (m: LoggedMessage[]) => m.map((x) => JSON.stringify(x)).join("\n");

async function log(s: Scenario): Promise<string> {
  const broker = await startEmbeddedBroker();
  try {
    return jsonl((await runScenario(s, broker, TEST_ROOT, () => {})).messages);
  } finally {
    await broker.stop();
  }
}

it("one process: the same seed, the same bytes; another seed, others", async () => {
  const a = await log(scenario(11));
  const b = await log(scenario(11));
  const lines = a.split("\n").map((l) => JSON.parse(l) as { dir: string; topic: string });
  expect(lines.length).toBeGreaterThan(30);
  expect(lines.some((l) => l.dir === "out" && l.topic.endsWith("/down"))).toBe(true);
  expect(lines.some((l) => l.dir === "in" && l.topic.endsWith("/up"))).toBe(true);
  expect(b).toBe(a);
  expect(await log(scenario(12))).not.toBe(a);
}, 60_000);

it("two workers: the same seed, the same bytes", async () => {
  const run = async () => jsonl((await runParallel(scenario(11), 2, TEST_ROOT, () => {})).messages);
  const a = await run();
  expect(a.length).toBeGreaterThan(1000);
  expect(await run()).toBe(a);
}, 60_000);
