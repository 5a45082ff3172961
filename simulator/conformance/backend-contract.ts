// What the live kit asks of a backend it starts (`sim conform --backend "<command>"`): the kit
// passes these environment variables, waits for a line `ready` on the backend's stdout (it has
// connected and subscribed), publishes, reads the alerts file, then sends SIGTERM.
//
//   EM_BROKER_URL     mqtt://host:port of the broker the kit publishes to
//   EM_BROKER_USER, EM_BROKER_PASSWORD   the centre account, when the broker has accounts
//   EM_FLEET_ROOT     the fleet root secret, 64 hex digits: derive the unit keys from it (§2)
//   EM_KEY_VERSIONS   the key versions to hold, e.g. "1,2"
//   EM_ALERTS_FILE    where to keep the alerts raised so far, as observed-alerts JSONL
//                     (simulator/README.md, "Alerts and the checker"), replaced whole on change

import { renameSync, writeFileSync } from "node:fs";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { type Alert, toJsonl } from "../scenario/alerts";

export interface BackendEnv {
  url: string;
  user: string | undefined;
  password: string | undefined;
  root: Uint8Array;
  keyVersions: number[];
  alertsFile: string;
}

export const READY_LINE = "ready";

/** The environment a kit-started backend runs in; throws naming the variable that is wrong. */
export function backendEnv(env: NodeJS.ProcessEnv = process.env): BackendEnv {
  const need = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === "") throw new Error(`backend: ${name} is not set`);
    return v;
  };
  const root = fromHex(need("EM_FLEET_ROOT"));
  if (root === null || root.length !== 32)
    throw new Error("backend: EM_FLEET_ROOT must be 64 hex digits");
  const keyVersions = need("EM_KEY_VERSIONS")
    .split(",")
    .map((s) => Number(s.trim()));
  if (keyVersions.some((v) => !Number.isInteger(v) || v < 1 || v > 255))
    throw new Error("backend: EM_KEY_VERSIONS must list key versions 1…255, e.g. 1,2");
  return {
    url: need("EM_BROKER_URL"),
    user: env.EM_BROKER_USER || undefined,
    password: env.EM_BROKER_PASSWORD || undefined,
    root,
    keyVersions,
    alertsFile: need("EM_ALERTS_FILE"),
  };
}

/** Runs a backend process by this contract: `start` connects and subscribes with the kit's
 * environment and returns how to stop; then `ready` is printed and SIGTERM stops it. A backend
 * that cannot start says why on stderr and exits 3. */
export function serveBackend(start: (env: BackendEnv) => Promise<() => Promise<void>>): void {
  (async () => {
    const env = backendEnv();
    writeAlertsFile(env.alertsFile, []);
    const stop = await start(env);
    process.on("SIGTERM", () => {
      stop().finally(() => process.exit(0));
    });
    console.log(READY_LINE);
  })().catch((e: Error) => {
    console.error(e.message);
    process.exit(3);
  });
}

/** Replaces the alerts file whole, so a reader never sees half of it. */
export function writeAlertsFile(path: string, alerts: Alert[]): void {
  const tmp = path + ".tmp";
  writeFileSync(tmp, toJsonl(alerts));
  renameSync(tmp, path);
}
