// One shard of a scenario in a worker thread (parallel-run.ts starts it): its own embedded
// broker and centre, the accelerated world, the shard's subjects only.

import { parentPort, workerData } from "node:worker_threads";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import type { Scenario } from "./scenario";
import { runScenario } from "./scenario-run";
import type { Shard } from "./shards";

export interface ShardJob {
  scenario: Scenario;
  root: Uint8Array;
  shard: Shard;
}

const port = parentPort;
if (port === null) throw new Error("shard-worker.ts runs in a worker thread");
const job = workerData as ShardJob;
const broker = await startEmbeddedBroker();
try {
  const r = await runScenario(
    job.scenario,
    broker,
    job.root,
    (line) => port.postMessage({ line }),
    {
      shard: job.shard,
    },
  );
  port.postMessage({ run: r });
} catch (e) {
  port.postMessage({ error: e instanceof Error ? e.message : String(e) });
} finally {
  await broker.stop();
}
