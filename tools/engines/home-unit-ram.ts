// The home unit's RAM online, for `npm run bench:firmware`: base.js on espruino-jolt behind the
// virtual bench (home-unit-bench.ts) with the embedded broker and the reference receiver, measured
// once MQTT is up and the boot events are delivered, and through the drain of a 120-event backlog.

import { BeaconFlag } from "@em-platform/protocol/core/beacon";
import { deriveKey, KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import { encodeBeaconHost } from "@em-platform/protocol/host/beacon";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { startEmbeddedBroker } from "../../simulator/broker/embedded-broker";
import { ReferenceReceiver } from "../../simulator/centre/reference-receiver";
import type { EngineMemory } from "./espruino-board";
import { HomeUnitBench, QUICK_SIM800 } from "./home-unit-bench";
import { BENCH_COMPANY, BENCH_ROOT, BENCH_TAG, BENCH_UNIT } from "./ram";

export interface UnitOnline {
  online: EngineMemory;
  backlog: number;
  peak: EngineMemory;
  drained: EngineMemory;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function unitOnline(bundleFile: string): Promise<UnitOnline> {
  const broker = await startEmbeddedBroker();
  const receiver = await ReferenceReceiver.start({
    url: broker.url,
    keyring: FleetKeyring.fromRoot(BENCH_ROOT, [1]),
    clientId: "em-centre-ram-bench",
  });
  const bench = await HomeUnitBench.create({
    bundle: bundleFile,
    brokerHost: "127.0.0.1",
    brokerPort: broker.port,
    root: BENCH_ROOT,
    unitId: BENCH_UNIT,
    tagId: BENCH_TAG,
    companyId: BENCH_COMPANY,
    latency: QUICK_SIM800,
  });
  try {
    await bench.boot();
    const end = Date.now() + 60000;
    while (
      receiver.status(BENCH_UNIT)?.status !== "online" ||
      bench.queueRecords().some((r) => !r.delivered)
    ) {
      if (Date.now() > end)
        throw new Error("bench: the unit did not come online:\n" + bench.tail());
      await sleep(100);
    }
    const online = await bench.memory();
    const key = deriveKey(sha256, BENCH_ROOT, KeyPurpose.tagBeacon, BENCH_TAG, 1);
    const frames: Uint8Array[] = [];
    for (let c = 1; c <= 120; c++) {
      const open = c % 2 === 1 ? BeaconFlag.strapOpen | BeaconFlag.caseOpen : 0;
      const flags = BeaconFlag.strapLatched | BeaconFlag.caseLatched | open;
      frames.push(
        encodeBeaconHost(key, BENCH_COMPANY, {
          tagId: BENCH_TAG,
          counter: c,
          flags: flags,
          batteryMv: 3000,
          keyVersion: 1,
        }),
      );
    }
    const drain = await bench.drainBacklog(frames, 90000);
    return { online: online, backlog: drain.events, peak: drain.peak, drained: drain.after };
  } finally {
    await bench.dispose();
    await receiver.stop();
    await broker.stop();
  }
}
