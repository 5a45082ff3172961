// Mosquitto as a child process with a temporary config: one listener on 127.0.0.1 and a free
// port, persistence on (so restart() keeps sessions and queued QoS 1 messages: SIGTERM makes it
// save its database, as the user running us), and max_queued_messages 0 — with the default limit it drops QoS 1
// messages to a slow subscriber (measured here). null when Mosquitto is not installed. With
// `accounts` (broker-accounts.ts): no anonymous clients, a password file hashed by
// mosquitto_passwd, client id = user name, and an ACL file giving each unit its own topics. With
// `tls`: a second listener speaking TLS (TEST_BROKER_TLS), under the same accounts.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { establishedTo, freePort, LOOPBACK, type RunningBroker, waitForListener } from "./broker";
import type { BrokerAccounts } from "./broker-accounts";
import { TEST_BROKER_TLS } from "./test-broker-tls";

/** /usr/sbin/mosquitto (Debian's place, not on a user's PATH), else the first on PATH. */
export function mosquittoPath(): string | null {
  const dirs = ["/usr/sbin"].concat((process.env.PATH ?? "").split(delimiter));
  for (const d of dirs) {
    if (d === "") continue;
    const p = join(d, "mosquitto");
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return null;
}

/** Says, on the test output, that `what` is skipped because Mosquitto is not installed. */
export function sayMosquittoSkipped(what: string): void {
  console.info(
    `${what}: skipped against Mosquitto, which is not installed (Debian package mosquitto)`,
  );
}

/** The config lines that make Mosquitto enforce `a` (files written into `dir`). */
function accountLines(a: BrokerAccounts, dir: string): string[] {
  const passwd = join(dir, "passwd");
  const lines: string[] = [];
  for (const [user, pass] of [...a.units, ...a.centre]) lines.push(user + ":" + pass);
  writeFileSync(passwd, lines.join("\n") + "\n", { mode: 0o600 });
  const hashed = spawnSync("mosquitto_passwd", ["-U", passwd], { encoding: "utf8" });
  if (hashed.status !== 0)
    throw new Error("mosquitto_passwd -U failed: " + (hashed.stderr || hashed.error?.message));
  const acl = join(dir, "acl");
  const rules: string[] = [];
  for (const user of a.centre.keys()) rules.push("user " + user, "topic readwrite #", "");
  // Patterns apply to every user; %u is the unit's user name, which is its id in the topics.
  // A centre user matches no unit's topics by name, and has its own rules above.
  rules.push(
    "pattern write em/v1/unit/%u/up",
    "pattern write em/v1/unit/%u/status",
    "pattern read em/v1/unit/%u/down",
    "",
  );
  writeFileSync(acl, rules.join("\n"), { mode: 0o600 });
  return [
    "allow_anonymous false",
    "password_file " + passwd,
    "acl_file " + acl,
    "use_username_as_clientid true",
  ];
}

export async function startMosquitto(
  accounts?: BrokerAccounts,
  o: { tls?: boolean } = {},
): Promise<RunningBroker | null> {
  const bin = mosquittoPath();
  if (bin === null) return null;
  const port = await freePort();
  const tlsPort = o.tls ? await freePort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), "em-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  let tlsLines: string[] = [];
  if (tlsPort !== undefined) {
    writeFileSync(join(dir, "broker.key"), TEST_BROKER_TLS.key, { mode: 0o600 });
    writeFileSync(join(dir, "broker.crt"), TEST_BROKER_TLS.cert);
    // The accounts and ACLs above are global (per_listener_settings false): the same here.
    tlsLines = [
      "listener " + tlsPort + " " + LOOPBACK,
      "certfile " + join(dir, "broker.crt"),
      "keyfile " + join(dir, "broker.key"),
    ];
  }
  writeFileSync(
    conf,
    [
      "listener " + port + " " + LOOPBACK,
      ...(accounts === undefined ? ["allow_anonymous true"] : accountLines(accounts, dir)),
      ...tlsLines,
      "persistence true",
      "persistence_location " + dir + "/",
      "max_queued_messages 0",
      "max_inflight_messages 0",
      // Small packets at once (Nagle + the peer's delayed ACK hold a second small write ~40 ms).
      "set_tcp_nodelay true",
      // Started as root, Mosquitto drops to user "mosquitto", which cannot write its database
      // into our 0700 temp dir: the save at exit fails and a restart loses every session.
      "user " + userInfo().username,
      "",
    ].join("\n"),
  );
  let proc: ChildProcess | null = null;

  const up = async (): Promise<void> => {
    const p = spawn(bin, ["-c", conf], { stdio: "ignore" });
    proc = p;
    const exited = new Promise<never>((_, reject) =>
      p.once("exit", (code) => reject(new Error("mosquitto exited with " + code))),
    );
    exited.catch(() => {});
    await Promise.race([waitForListener(port, 5000), exited]);
    if (tlsPort !== undefined) await Promise.race([waitForListener(tlsPort, 5000), exited]);
  };

  const down = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    await exited;
  };

  await up();
  return {
    name: "mosquitto",
    host: LOOPBACK,
    port: port,
    url: "mqtt://" + LOOPBACK + ":" + port,
    tlsPort: tlsPort,
    restart: async () => {
      await down();
      await up();
    },
    stop: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
    clientsConnected: () =>
      establishedTo(port) + (tlsPort === undefined ? 0 : establishedTo(tlsPort)),
  };
}
