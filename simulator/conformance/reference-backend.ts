// The reference receiver as a backend the live kit can start (backend-contract.ts): it runs
// `ReferenceReceiver` on the kit's broker and keeps its observed alerts in EM_ALERTS_FILE.
// `sim conform` starts it when no --backend is given; it is what CI checks the kit against.

import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { observedAlerts } from "../centre/observed-alerts";
import { type ReceivedEvent, ReferenceReceiver } from "../centre/reference-receiver";
import { backendEnv, READY_LINE, writeAlertsFile } from "./backend-contract";

async function main(): Promise<void> {
  const env = backendEnv();
  const byUnit = new Map<number, ReceivedEvent[]>();
  writeAlertsFile(env.alertsFile, []);
  const centre = await ReferenceReceiver.start({
    url: env.url,
    keyring: FleetKeyring.fromRoot(env.root, env.keyVersions),
    clientId: env.user ?? `em-reference-centre-${process.pid}`,
    password: env.password,
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
  process.on("SIGTERM", () => {
    centre.stop().finally(() => process.exit(0));
  });
  console.log(READY_LINE);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(3);
});
