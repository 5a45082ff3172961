// The reference receiver as a backend the live kit can start (backend-contract.ts): it runs
// `ReferenceReceiver` on the kit's broker and keeps its observed alerts in EM_ALERTS_FILE — the
// event alerts and its liveness alerts (SPEC §13, checked every second). Its downlink counters
// and liveness state and a journal of the uplinks it accepted are kept in EM_STATE_DIR, so a
// restart continues where it stopped: no counter reused, no silence forgotten, no replay taken.
// `sim conform` starts it when no --backend is given; it is what CI checks the kit against.

import { join } from "node:path";
import { unitIdText } from "@em-platform/protocol/core/topics";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { observedAlerts } from "../centre/observed-alerts";
import { ReferenceReceiver } from "../centre/reference-receiver";
import { readJsonFile, writeJsonFile } from "../centre/state-file";
import type { Alert } from "../scenario/alerts";
import { serveBackend, writeAlertsFile } from "./backend-contract";

serveBackend(async (env) => {
  // Its liveness alerts, kept like the rest of its state: the export after a restart still
  // lists a silence alerted before it.
  const silentFile = join(env.stateDir, "silent-alerts.json");
  const silent = readJsonFile<Alert[]>(silentFile, []);
  const centre = await ReferenceReceiver.start({
    url: env.url,
    keyring: FleetKeyring.fromRoot(env.root, env.keyVersions),
    clientId: env.user ?? `em-reference-centre-${process.pid}`,
    password: env.password,
    downCounterFile: join(env.stateDir, "down-counters.json"),
    livenessCheckMs: 1000,
    livenessFile: join(env.stateDir, "liveness.json"),
    journalFile: join(env.stateDir, "uplinks.jsonl"),
  });
  // Every event it processed, those from before a restart (its journal) too, as alerts.
  const write = () =>
    writeAlertsFile(
      env.alertsFile,
      centre
        .unitsWithEvents()
        .flatMap((unit) => observedAlerts(unit, centre.events(unit)))
        .concat(silent),
    );
  write();
  centre.onEvent(write);
  centre.onAlert((a) => {
    silent.push({
      subject: unitIdText(a.unitId),
      type: "unit_silent",
      start: Math.floor(a.lastHeardMs / 1000),
      end: null,
      reportedAt: Math.floor(a.atMs / 1000),
    });
    writeJsonFile(silentFile, silent);
    write();
  });
  return {
    stop: () => centre.stop(),
    command: async (unitId, code, args) => {
      await centre.sendCommand(unitId, code, args);
    },
  };
});
