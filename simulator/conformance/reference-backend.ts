// The reference receiver as a backend the live kit can start (backend-contract.ts): it runs
// `ReferenceReceiver` on the kit's broker and keeps its observed alerts in EM_ALERTS_FILE — the
// event alerts and its liveness alerts (SPEC §13, checked every second). Its downlink counters
// and liveness state and a journal of the uplinks it accepted are kept in EM_STATE_DIR, so a
// restart continues where it stopped: no counter reused, no silence forgotten, no replay taken.
// `sim conform` starts it when no --backend is given; it is what CI checks the kit against.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unitIdText } from "@em-platform/protocol/core/topics";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { observedAlerts } from "../centre/observed-alerts";
import { type ReceivedEvent, ReferenceReceiver } from "../centre/reference-receiver";
import type { Alert } from "../scenario/alerts";
import { serveBackend, writeAlertsFile } from "./backend-contract";

serveBackend(async (env) => {
  const byUnit = new Map<number, ReceivedEvent[]>();
  // Its liveness alerts, kept like the rest of its state: the export after a restart still
  // lists a silence alerted before it.
  const silentFile = join(env.stateDir, "silent-alerts.json");
  const silent: Alert[] = existsSync(silentFile)
    ? (JSON.parse(readFileSync(silentFile, "utf8")) as Alert[])
    : [];
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
  const write = () =>
    writeAlertsFile(
      env.alertsFile,
      Array.from(byUnit.entries())
        .flatMap(([unit, events]) => observedAlerts(unit, events))
        .concat(silent),
    );
  // After a restart: the events it processed before, from its journal, are its alerts still.
  for (const unit of centre.unitsWithEvents()) byUnit.set(unit, centre.events(unit));
  write();
  centre.onEvent((e) => {
    const list = byUnit.get(e.unitId) ?? [];
    list.push(e);
    byUnit.set(e.unitId, list);
    write();
  });
  centre.onAlert((a) => {
    silent.push({
      subject: unitIdText(a.unitId),
      type: "unit_silent",
      start: Math.floor(a.lastHeardMs / 1000),
      end: null,
      reportedAt: Math.floor(a.atMs / 1000),
    });
    writeFileSync(silentFile + ".tmp", JSON.stringify(silent));
    renameSync(silentFile + ".tmp", silentFile);
    write();
  });
  return {
    stop: () => centre.stop(),
    command: async (unitId, code, args) => {
      await centre.sendCommand(unitId, code, args);
    },
  };
});
