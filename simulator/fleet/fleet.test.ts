import { afterEach, expect, it } from "vitest";
import type { RunningBroker } from "../broker/broker";
import { EPOCH_MS, forEachBroker, ROOT } from "../uplink/uplink-testkit";
import { runFleet } from "./fleet-run";

forEachBroker("a small fleet checked against ground truth", (start) => {
  let broker: RunningBroker | null = null;
  afterEach(async () => {
    await broker?.stop();
  });

  it("6 homes, 40 minutes with cuts, mains outages and a cell without packet data", async () => {
    broker = await start();
    const log: string[] = [];
    const r = await runFleet({
      broker: broker,
      root: ROOT,
      epochMs: EPOCH_MS,
      homes: 6,
      minutes: 40,
      seed: 3,
      log: (l) => log.push(l),
    });
    expect(r.lines.filter((l) => l.startsWith("problem"))).toEqual([]);
    expect(r.ok).toBe(true);
    expect(log).toContain("fleet: every unit online");
  });
});
