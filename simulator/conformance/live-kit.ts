// The live conformance kit: plays the sessions of live-sessions.ts into a backend's broker, reads
// the alerts the backend raised (its observed-alerts export) and judges each session against the
// alerts SPEC.md makes a centre raise — clause by clause. `sim conform` is its command.

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { toHex } from "@em-platform/protocol/core/bytes";
import mqtt, { type MqttClient } from "mqtt";
import { type Alert, parseAlerts } from "../scenario/alerts";
import { READY_LINE } from "./backend-contract";
import { type BackendControl, runDownlinkSessions } from "./live-downlinks";
import { runLivenessSessions } from "./live-liveness";
import { replayRestartSession } from "./live-replay-restart";
import { type LiveSession, liveSessions, sentinel } from "./live-sessions";

export interface SessionResult {
  name: string;
  clause: string;
  rule: string;
  passed: boolean;
  /** Alerts the SPEC requires that the backend did not raise. */
  missing: Alert[];
  /** strap_tamper alerts the backend raised for the session's units beyond those. */
  unexpected: Alert[];
  /** What else was wrong (the downlink sessions), one line each. */
  problems: string[];
}

/** Kit-level failures (broker, backend): exit 3, not a verdict on the backend's conformance. */
export class KitError extends Error {}

const key = (a: Alert) => `${a.subject} ${a.type} ${a.start}`;

/** Judges one session: the backend's strap_tamper alerts for its units, as a multiset, against
 * the expected ones. Other alert types are not judged (the sessions cause none). */
export function judgeSession(s: LiveSession, observed: Alert[]): SessionResult {
  const mine = observed.filter((a) => a.type === "strap_tamper" && s.subjects.includes(a.subject));
  const left = mine.slice();
  const missing: Alert[] = [];
  for (const e of s.expected) {
    const i = left.findIndex((a) => key(a) === key(e));
    if (i < 0) missing.push(e);
    else left.splice(i, 1);
  }
  return {
    name: s.name,
    clause: s.clause,
    rule: s.rule,
    passed: missing.length === 0 && left.length === 0,
    missing,
    unexpected: left,
    problems: [],
  };
}

export interface LiveKitOptions {
  url: string;
  /** An account that may publish on every unit's topic and the SMS gateway's (SPEC §13). */
  username?: string;
  password?: string;
  root: Uint8Array;
  /** First unit id of this run (default: random, so a backend's state from earlier runs does
   * not meet the same units). */
  unitBase?: number;
  /** The centre's clock, UTC s (default now). */
  now?: number;
  /** The backend's alerts after the sessions. */
  readObserved: () => Alert[];
  /** Pause between two publishes (default 150 ms), so the backend sees them in order. */
  gapMs?: number;
  /** After the sentinel's alert (live-sessions.ts), how long the alerts must stay unchanged
   * before they are judged (default 1,500 ms); the kit waits at most 20 times that for each. */
  settleMs?: number;
  log?: (line: string) => void;
  /** The backend, when the kit started it: the downlink and liveness sessions ask it for
   * commands and restart it (live-downlinks.ts, live-liveness.ts). Without it they are not run,
   * and the log says so. */
  backend?: BackendControl;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let kitClients = 0;

export async function runLiveKit(o: LiveKitOptions): Promise<SessionResult[]> {
  const log = o.log ?? (() => {});
  const unitBase = o.unitBase ?? 0x10000000 + Math.floor(Math.random() * 0x0fff0000);
  const ctx = { root: o.root, unitBase, now: o.now ?? Math.floor(Date.now() / 1000) };
  const sessions = liveSessions(ctx);
  const last = sentinel(ctx);
  const client = await connectKit(o);
  try {
    for (const s of sessions) {
      log(`${s.name} (${s.clause}): ${s.steps.length} publishes`);
      for (const p of s.steps) {
        await client.publishAsync(p.topic, Buffer.from(p.payload), { qos: 1 });
        await sleep(o.gapMs ?? 150);
      }
    }
    await client.publishAsync(last.publish.topic, Buffer.from(last.publish.payload), { qos: 1 });
  } catch (e) {
    throw new KitError(`publishing to ${o.url}: ${(e as Error).message}`);
  } finally {
    await client.endAsync();
  }
  const quiet = o.settleMs ?? 1500;
  /** Whether the backend has raised `a` (its unit, its start). */
  const raised = (a: Alert) => () =>
    o.readObserved().some((b) => b.subject === a.subject && b.start === a.start);
  await waitFor(raised(last.alert), 20 * quiet);
  if (!raised(last.alert)()) log("the backend never raised the sentinel's alert");
  const observed = await settled(o.readObserved, quiet);
  const results = sessions.map((s) => judgeSession(s, observed));
  if (o.backend === undefined) {
    log(
      "downlinks, restarts and liveness not checked: the kit did not start the backend, so it cannot ask it for commands or restart it",
    );
    return results;
  }
  const listener = await connectKit(o);
  try {
    // replay-restart's recording goes before the downlink sessions' restart, its playback after.
    const rr = replayRestartSession(ctx, unitBase + 0x8003);
    await listener.publishAsync(rr.before.topic, Buffer.from(rr.before.payload), { qos: 1 });
    await waitFor(raised(rr.session.expected[0]), 20 * quiet);
    log("downlink, downlink-restart (§2, §3, §8, §10): commands asked for on the backend's stdin");
    const down = await runDownlinkSessions({
      client: listener,
      root: o.root,
      unitId: unitBase + 0x8000,
      backend: o.backend,
    });
    log("replay-restart (§3): a recording from before the restart played after it");
    // Before the playback: a backend that lost the alert in its restart would raise it again
    // from the recording and look right afterwards.
    const kept = raised(rr.session.expected[0])();
    for (const p of rr.after) {
      await listener.publishAsync(p.topic, Buffer.from(p.payload), { qos: 1 });
      await sleep(o.gapMs ?? 150);
    }
    await waitFor(raised(rr.session.expected[1]), 20 * quiet);
    const judged = judgeSession(rr.session, await settled(o.readObserved, quiet));
    const replay = kept
      ? judged
      : {
          ...judged,
          passed: false,
          problems: [
            "the alert raised before the restart is gone from the backend's alerts after it",
          ],
        };
    log(
      "liveness, liveness-restart (§13): two units' heartbeats set to 60 s, then silence, the backend restarted during the first's (~2.5 min)",
    );
    const live = await runLivenessSessions({
      client: listener,
      root: o.root,
      unitId: unitBase + 0x8001,
      backend: o.backend,
      readObserved: o.readObserved,
    });
    return results.concat(down, [replay], live);
  } finally {
    await listener.endAsync();
  }
}

/** The kit's MQTT connection (a clean session; no reconnects: a lost broker is the kit's error). */
async function connectKit(o: LiveKitOptions): Promise<MqttClient> {
  return mqtt
    .connectAsync(o.url, {
      clientId:
        o.username ??
        `em-conformance-kit-${toHex(o.root.subarray(0, 2))}-${process.pid}-${++kitClients}`,
      username: o.username,
      password: o.password,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    })
    .catch((e: Error) => {
      throw new KitError(`broker ${o.url}: ${e.message}`);
    });
}

/** Polls `cond` every 100 ms for at most `ms`. */
async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; waited < ms && !cond(); waited += 100) await sleep(100);
}

/** The backend's alerts once they have not changed for quietMs (at most 20 periods). */
async function settled(read: () => Alert[], quietMs: number): Promise<Alert[]> {
  let before = JSON.stringify(read());
  for (let i = 0; i < 20; i++) {
    await sleep(quietMs);
    const now = JSON.stringify(read());
    if (now === before) break;
    before = now;
  }
  return read();
}

/** Reads an observed-alerts file; an absent or empty one is no alerts. */
export function alertsFileReader(file: string): () => Alert[] {
  return () => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return [];
    }
    return parseAlerts(text, file);
  };
}

export interface StartedBackend {
  /** The exit code if the backend ended on its own after it was ready, else null. */
  died(): number | null;
  /** Writes one request line to the backend's stdin (backend-contract.ts). */
  request(line: string): void;
  stop(): Promise<void>;
}

/** Starts a backend command (backend-contract.ts) and resolves once it prints `ready`. */
export async function startBackend(
  command: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<StartedBackend> {
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  // A backend that never reads its stdin, or has gone, must not take the kit down with EPIPE.
  child.stdin?.on("error", () => {});
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + String(d)).slice(-2000);
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new KitError(`backend ${command.join(" ")}: ${why}${stderr ? `\n${stderr}` : ""}`));
    };
    const timer = setTimeout(() => fail(`no "${READY_LINE}" within ${timeoutMs} ms`), timeoutMs);
    child.stdout?.on("data", (d) => {
      out += String(d);
      if (out.split("\n").some((l) => l.trim() === READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("error", (e) => fail(e.message));
    child.on("exit", (code) => fail(`exited (${code}) before it was ready`));
  });
  child.removeAllListeners("exit");
  let died: number | null = null;
  let stopping = false;
  child.on("exit", (code) => {
    if (!stopping) died = code ?? -1;
  });
  return {
    died: () => died,
    request: (line) => {
      child.stdin?.write(line + "\n");
    },
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(hard);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** The report: one line per session, then what differed. */
export function describeResults(results: SessionResult[]): string[] {
  const lines: string[] = [];
  const show = (a: Alert) => `${a.subject} ${a.type} at ${a.start}`;
  for (const r of results) {
    lines.push(`${r.passed ? "PASS" : "FAIL"}  ${r.clause.padEnd(11)} ${r.name}: ${r.rule}`);
    for (const a of r.missing) lines.push(`        missing:    ${show(a)}`);
    for (const a of r.unexpected) lines.push(`        unexpected: ${show(a)}`);
    for (const p of r.problems) lines.push(`        ${p}`);
  }
  const failed = results.filter((r) => !r.passed).length;
  lines.push(
    failed === 0
      ? `conformant: ${results.length} sessions passed`
      : `NOT conformant: ${failed} of ${results.length} sessions failed`,
  );
  return lines;
}
