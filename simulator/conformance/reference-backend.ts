// The reference receiver as a backend the live kit can start (backend-contract.ts): it runs
// `ReferenceReceiver` on the kit's broker and keeps its observed alerts in EM_ALERTS_FILE.
// `sim conform` starts it when no --backend is given; it is what CI checks the kit against.

import { join } from "node:path";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { observedAlerts } from "../centre/observed-alerts";
import { type ReceivedEvent, ReferenceReceiver } from "../centre/reference-receiver";
import { serveBackend, writeAlertsFile } from "./backend-contract";

serveBackend(async (env) => {
  const byUnit = new Map<number, ReceivedEvent[]>();
  const centre = await ReferenceReceiver.start({
    url: env.url,
    keyring: FleetKeyring.fromRoot(env.root, env.keyVersions),
    clientId: env.user ?? `em-reference-centre-${process.pid}`,
    password: env.password,
    downCounterFile: join(env.stateDir, "down-counters.json"),
  });
  centre.onEvent((e) => {
    const list = byUnit.get(e.unitId) ?? [];
    list.push(e);
    byUnit.set(e.unitId, list);
    writeAlertsFile(
      env.alertsFile,
      Array.from(byUnit.entries()).flatMap(([unit, events]) => observedAlerts(unit, events)),
    );
  });
  return {
    stop: () => centre.stop(),
    command: async (unitId, code) => {
      await centre.sendCommand(unitId, code, null);
    },
  };
});
