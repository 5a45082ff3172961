// A scenario on several cores: the fleet split into shards (shards.ts), each in a worker thread
// with its own embedded broker and centre, the alerts merged and checked as one run. Subjects do
// not share a broker across shards — nothing in a scenario makes one unit's traffic depend on
// another's, except a neighbour's tag, which the split keeps in one shard.

import { Worker } from "node:worker_threads";
import { checkAlerts } from "../check/alert-check";
import type { Alert } from "./alerts";
import type { Scenario } from "./scenario";
import type { LoggedMessage, ScenarioRun } from "./scenario-run";
import type { ShardJob } from "./shard-worker";
import { checkSplit } from "./shards";

/** The worker runs TypeScript: it registers tsx's loader, then imports shard-worker.ts. (Node
 * 20 does not apply `--import` hooks from a worker's execArgv.) */
const BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./shard-worker.ts", import.meta.url).href)}); })`;

function runShard(job: ShardJob, progress: (line: string) => void): Promise<ScenarioRun> {
  return new Promise((resolve, reject) => {
    const w = new Worker(BOOT, { eval: true, workerData: job });
    let settled = false;
    w.on("message", (m: { line?: string; run?: ScenarioRun; error?: string }) => {
      if (m.line !== undefined) progress(m.line);
      else if (m.run !== undefined) {
        settled = true;
        resolve(m.run);
      } else if (m.error !== undefined) {
        settled = true;
        reject(new Error(`shard ${job.shard.index}/${job.shard.count}: ${m.error}`));
      }
    });
    w.on("error", (e) => {
      settled = true;
      reject(e);
    });
    w.on("exit", (code) => {
      if (!settled)
        reject(new Error(`shard ${job.shard.index}/${job.shard.count}: worker exited (${code})`));
    });
  });
}

/** The shards' message logs as one: by time; at the same ms, shard by shard. */
function mergeLogs(logs: LoggedMessage[][]): LoggedMessage[] {
  // Array.prototype.sort is stable: equal times keep the shards' order.
  return logs.flat().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

const byStart = (a: Alert, b: Alert) => a.start - b.start || a.subject.localeCompare(b.subject);

/** Runs the scenario in `workers` shards at once and merges them into one run. */
export async function runParallel(
  s: Scenario,
  workers: number,
  root: Uint8Array,
  progress: (line: string) => void,
): Promise<ScenarioRun> {
  const t0 = performance.now();
  checkSplit(s, workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, index) =>
      runShard({ scenario: s, root, shard: { index, count: workers } }, (line) =>
        progress(`[${index + 1}/${workers}] ${line}`),
      ),
    ),
  );
  const expected = parts.flatMap((p) => p.expected).sort(byStart);
  const observed = parts.flatMap((p) => p.observed).sort(byStart);
  return {
    expected,
    observed,
    check: checkAlerts(expected, observed),
    events: parts.reduce((n, p) => n + p.events, 0),
    eventsByCode: parts.reduce<Record<number, number>>((sum, p) => {
      for (const [code, n] of Object.entries(p.eventsByCode))
        sum[Number(code)] = (sum[Number(code)] ?? 0) + n;
      return sum;
    }, {}),
    messages: mergeLogs(parts.map((p) => p.messages)),
    realS: (performance.now() - t0) / 1000,
  };
}
