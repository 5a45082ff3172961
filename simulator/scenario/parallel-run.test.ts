// A fleet split into shards — two worker threads, each with its own broker and centre — checks
// exactly as the same fleet in one process: the same expected alerts, the same alerts observed.

import { expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { runParallel } from "./parallel-run";
import { parseScenario } from "./scenario";
import { runScenario } from "./scenario-run";
import { checkSplit, parseShard, ShardError, subjectsOf } from "./shards";

const S = parseScenario(
  JSON.stringify({
    name: "shards",
    seed: 5,
    subjects: 7,
    start: "2026-11-23T19:30:00+02:00",
    timeZone: "Europe/Riga",
    hours: 2,
    homeWindows: [{ from: "20:00", to: "07:00" }],
    incidents: [
      { type: "absence", subjects: [0, 4], at: "19:50", minutes: 30 },
      { type: "strapCut", subjects: [2, 6], at: "20:35" },
      { type: "mainsOutage", subjects: [3], at: "20:10", minutes: 20 },
      { type: "cellOutage", area: "riga-east", at: "20:30", minutes: 15 },
      { type: "neighbourTag", subjects: [1], at: "20:00", minutes: 40 },
    ],
  }),
  "shards.json",
);

it("splits a fleet into contiguous shards, and refuses one that parts neighbours", () => {
  expect([0, 1, 2].map((index) => subjectsOf(S, { index, count: 3 }))).toEqual([
    [0, 1],
    [2, 3],
    [4, 5, 6],
  ]);
  expect(() => checkSplit(S, 2)).not.toThrow(); // 1 and 2 share shard 0 of 2 (0–2)
  expect(() => checkSplit(S, 3)).toThrow(/subjects 1 and 2 would be in different shards/);
  expect(() => checkSplit(S, 8)).toThrow(ShardError);
  expect(parseShard("1/2")).toEqual({ index: 1, count: 2 });
  for (const bad of ["2/2", "1", "-1/2", "a/b"]) expect(() => parseShard(bad)).toThrow(ShardError);
});

it("two worker threads give the one process's result", async () => {
  const broker = await startEmbeddedBroker();
  const one = await runScenario(S, broker, TEST_ROOT, () => {}).finally(() => broker.stop());
  const lines: string[] = [];
  const two = await runParallel(S, 2, TEST_ROOT, (l) => lines.push(l));
  expect(one.check.misses).toEqual([]);
  expect(one.check.falseAlarms).toEqual([]);
  expect(one.expected.length).toBeGreaterThanOrEqual(5);
  expect(two.expected).toEqual(one.expected);
  expect(two.observed).toEqual(one.observed);
  expect(two.check).toEqual(one.check);
  expect(lines.some((l) => l.startsWith("[1/2] setup: 3 units online"))).toBe(true);
  expect(lines.some((l) => l.startsWith("[2/2] setup: 4 units online"))).toBe(true);
}, 120_000);
