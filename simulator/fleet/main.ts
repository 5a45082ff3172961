// npm start [-- --homes N --minutes M --seed S --mosquitto]: a fleet on the embedded broker (or
// a Mosquitto this process starts), checked against ground truth; exit status 0 when the centre
// saw exactly what happened.

import { parseArgs } from "node:util";
import { fromHex } from "../../protocol/src/core/bytes";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { startMosquitto } from "../broker/mosquitto-broker";
import { runFleet } from "./fleet-run";

// A demonstration root: a real deployment provisions its own (tools/, protocol/SPEC.md §2).
const DEMO_ROOT = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")!;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      homes: { type: "string", default: "20" },
      minutes: { type: "string", default: "60" },
      seed: { type: "string", default: "1" },
      mosquitto: { type: "boolean", default: false },
    },
  });
  const homes = Number(values.homes);
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!Number.isInteger(homes) || homes < 1 || homes > 500)
    throw new Error("--homes: a whole number from 1 to 500");
  if (!Number.isInteger(minutes) || minutes < 15) throw new Error("--minutes: at least 15");
  if (!Number.isInteger(seed)) throw new Error("--seed: a whole number");
  let broker: RunningBroker | null;
  if (values.mosquitto) {
    broker = await startMosquitto();
    if (broker === null) throw new Error("--mosquitto: mosquitto is not installed");
  } else broker = await startEmbeddedBroker();
  const started = performance.now();
  try {
    const r = await runFleet({
      broker: broker,
      root: DEMO_ROOT,
      epochMs: Date.UTC(2026, 10, 23, 20, 0, 0),
      homes: homes,
      minutes: minutes,
      seed: seed,
      log: (l) => console.log(l),
    });
    for (const l of r.lines) console.log(l);
    console.log(
      `fleet: ${r.ok ? "the centre saw exactly what happened" : "MISMATCH between ground truth and the centre"} (${((performance.now() - started) / 1000).toFixed(1)} s real)`,
    );
    return r.ok ? 0 : 1;
  } finally {
    await broker.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error("fleet: " + (e instanceof Error ? e.message : String(e)));
    process.exit(2);
  },
);
