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
//   EM_STATE_DIR      a directory for the backend's own state (its downlink counters): the kit
//                     restarts the backend with the same one, as a centre restarts on its disk
//
// And on stdin, one request per line, for the downlink sessions:
//
//   command <unit id, 8 hex digits> <command code, decimal> [<arguments: a CBOR map, hex>]
//                     sign that command (SPEC §10) and publish it to the unit's downlink topic
//                     (§8, §13) as the backend sends any command; it is the backend's own, so a
//                     set_intervals the unit acknowledges sets the heartbeat its liveness rule
//                     (§13) expects, and a unit_silent alert goes into EM_ALERTS_FILE

import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { type CborMap, decodeCbor, encodeCbor, isCborMap } from "@em-platform/protocol/core/cbor";
import { unitIdText } from "@em-platform/protocol/core/topics";
import { replaceFile } from "../centre/state-file";
import { type Alert, toJsonl } from "../scenario/alerts";

export interface BackendEnv {
  url: string;
  user: string | undefined;
  password: string | undefined;
  root: Uint8Array;
  keyVersions: number[];
  alertsFile: string;
  stateDir: string;
}

/** A backend started by serveBackend: how to stop it, and how it sends a command. */
export interface ServedBackend {
  stop(): Promise<void>;
  command(unitId: number, code: number, args: CborMap | null): Promise<void>;
}

export interface CommandRequest {
  unitId: number;
  code: number;
  args: CborMap | null;
}

/** A request line on the backend's stdin, or null for one that is not. */
export function parseRequest(line: string): CommandRequest | null {
  const m = /^command ([0-9a-f]{8}) (\d{1,3})(?: ([0-9a-f]+))?$/.exec(line.trim());
  if (m === null) return null;
  let args: CborMap | null = null;
  if (m[3] !== undefined) {
    const bytes = fromHex(m[3]);
    const d = bytes === null ? null : decodeCbor(bytes);
    if (d === null || !d.ok || !isCborMap(d.value)) return null;
    args = d.value;
  }
  return { unitId: Number.parseInt(m[1], 16), code: Number(m[2]), args };
}

/** The line that asks a backend for a command (what parseRequest reads). */
export function requestLine(r: CommandRequest): string {
  const args = r.args === null ? "" : " " + toHex(encodeCbor(r.args));
  return `command ${unitIdText(r.unitId)} ${r.code}${args}`;
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
    stateDir: need("EM_STATE_DIR"),
  };
}

/** Runs a backend process by this contract: `start` connects and subscribes with the kit's
 * environment; then `ready` is printed, requests on stdin are served and SIGTERM stops it. A
 * backend that cannot start says why on stderr and exits 3; a request it cannot serve is
 * reported on stderr. */
export function serveBackend(start: (env: BackendEnv) => Promise<ServedBackend>): void {
  (async () => {
    const env = backendEnv();
    writeAlertsFile(env.alertsFile, []);
    const backend = await start(env);
    process.on("SIGTERM", () => {
      backend.stop().finally(() => process.exit(0));
    });
    let buf = "";
    process.stdin.on("data", (d) => {
      buf += String(d);
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const r = parseRequest(line);
        if (r === null) console.error(`backend: not a request: ${line}`);
        else
          backend.command(r.unitId, r.code, r.args).catch((e: Error) => console.error(e.message));
      }
    });
    console.log(READY_LINE);
  })().catch((e: Error) => {
    console.error(e.message);
    process.exit(3);
  });
}

/** Replaces the alerts file whole, so a reader never sees half of it. */
export function writeAlertsFile(path: string, alerts: Alert[]): void {
  replaceFile(path, toJsonl(alerts));
}
