// The simulator's command: `npm run sim -- <command> …` (`npm start` is `run` on the demo
// scenario). `--help` everywhere; usage errors exit 2, a failed check 1.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fromHex, toHex } from "@em-platform/protocol/core/bytes";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { startMosquitto } from "../broker/mosquitto-broker";
import { checkAlerts, describeCheck } from "../check/alert-check";
import { requestLine } from "../conformance/backend-contract";
import type { BackendControl } from "../conformance/live-downlinks";
import {
  alertsFileReader,
  describeResults,
  KitError,
  runLiveKit,
  type StartedBackend,
  startBackend,
} from "../conformance/live-kit";
import { readTrace } from "../radio/advert-trace";
import { eventName, replayRun, traceTagId } from "../radio/replay-run";
import { htmlReport } from "../report/html-report";
import { AlertFormatError, parseAlerts, toJsonl } from "../scenario/alerts";
import { expectedAlerts } from "../scenario/ground-truth";
import { runParallel } from "../scenario/parallel-run";
import { parseScenario, type Scenario, ScenarioError } from "../scenario/scenario";
import { runScenario, type ScenarioRun } from "../scenario/scenario-run";
import { checkSplit, parseShard, ShardError, subjectsOf } from "../scenario/shards";

class UsageError extends Error {}

const REFERENCE_BACKEND = fileURLToPath(
  new URL("../conformance/reference-backend.ts", import.meta.url),
);

const USAGE = `sim <command> [options]

commands:
  run <scenario.json>     run the fleet, write expected and observed alerts, check them
  check <expected.jsonl> <observed.jsonl>
                          compare any backend's observed alerts with a run's expected ones
  validate <scenario.json>
                          check a scenario file and print what it will do
  replay <trace.jsonl>    play a recorded radio trace into a home unit as its tag's whole radio
                          and print what the unit made of every frame and what the centre got
  conform                 check a backend live against SPEC.md: scripted units publish to its
                          broker, its alerts are judged clause by clause
  help                    this text

"sim <command> --help" describes each. Exit codes: 0 passed, 1 the check failed,
2 usage or a bad file, 3 the run itself failed.`;

const HELP: Record<string, string> = {
  run: `sim run <scenario.json> [--out <dir>] [--workers <n> | --shard <i/N>]
        [--realtime] [--mosquitto | --broker mqtt://host:port] [--json]

Runs every subject's tag and home unit (the real firmware) against a broker, with the reference
receiver as the centre, then writes into --out (default sim-out/<scenario name>):
expected-alerts.jsonl (ground truth), observed-alerts.jsonl (what the centre raised),
messages.jsonl (every message the centre took or sent: the same scenario gives the same bytes),
check.txt and report.html (the check, every alert, a timeline per subject; one self-contained page), and
prints the check. Exits 1 when recall or precision is below the scenario's thresholds.

Accelerated by default: the embedded broker in this process, connections to it in memory, and
virtual time as fast as the CPU runs it, split over --workers threads (default: one per core, at
most 2), each with its own broker and centre. --realtime: virtual time follows real time and the
units open real TCP sockets (always so with --mosquitto or --broker). --shard i/N: only shard i
of N (subjects split in N contiguous blocks), for N processes or hosts; concatenate the shards'
expected-alerts.jsonl and observed-alerts.jsonl and "sim check" them as one fleet. --json:
every line on stdout is a JSON object ({"event": "start" | "progress" | "summary" | "files",
"text", …}; the summary carries the check's figures, misses and false alarms).`,
  check: `sim check <expected.jsonl> <observed.jsonl> [--zone <IANA zone>] [--recall r] [--precision p]

Matches observed alerts (one JSON object per line: subject, type, start, end, reportedAt) to the
expected ones and prints recall, precision, detection latency and every miss and false alarm,
local times in --zone (default UTC). Exits 1 below --recall / --precision (default 1).`,
  conform: `sim conform [--backend "<command>"] [--observed <alerts.jsonl>] [--mosquitto | --broker mqtt://host:port]
             [--username u --password p] [--root <64 hex>] [--json <file>]

Plays scripted sessions into a broker as virtual units — the same envelope by SMS and MQTT out of
order, replays, forgeries, a unit of another fleet, a unit's envelope on another unit's topic, a key
rotation and a downgrade, a unit's clock an hour back and a day ahead — then judges the alerts the
backend raised (its observed-alerts JSONL) session by session, naming the SPEC clauses. A backend
the kit started is then asked for commands and restarted: each command must open at the unit
(its downlink key, issued now, not expired) with counters rising across the restart; and a unit
whose heartbeat it set to 60 s must be alerted unit_silent 2 intervals after it fell silent.

The backend: --backend "<command>" is started by the kit with EM_BROKER_URL, EM_BROKER_USER,
EM_BROKER_PASSWORD, EM_FLEET_ROOT, EM_KEY_VERSIONS (1,2), EM_ALERTS_FILE (--observed, or a
temporary file) and EM_STATE_DIR (its state, kept across the restart) in its environment, must
print "ready" once subscribed, sends the command a stdin line
"command <unit hex> <code> [<CBOR args hex>]" asks for, and is stopped with SIGTERM. Without
--backend but with --broker, a backend already running there with the kit's root keeps its
alerts in --observed (its downlinks and liveness are not checked). Without either: the reference
receiver on the embedded broker.
The root defaults to the test fleet's (SPEC §16) — never a deployment's. Exit 0 conformant,
1 not, 2 usage, 3 the broker or the backend failed.`,
  replay: `sim replay <trace.jsonl> [--tag <hex id>] [--root <64 hex>] [--start <ISO time>]

Plays a radio trace — JSON lines {t, address, rssi, companyId, data}, what "lab sniff --record"
writes — into one home unit (the real firmware, accelerated, the embedded broker and the reference
centre) as its tag's whole radio: the unit is paired with the trace's tag (the id in its first
beacon, or --tag) under keys from --root (default: the test fleet's), the frames start once the
unit is online (virtual time --start, default now), and the run goes on 20 minutes past the last.
Prints what the unit's beacon acceptor counted (accepted, duplicates, forged, replayed, …) and
every event the centre received. Exit 0, 2 for a bad file (every bad line named), 3 if the run
failed.`,
  validate: `sim validate <scenario.json>

Checks the scenario (every error names the file, the JSON path and what was expected) and
prints its subjects, span and the alerts a correct centre will raise.`,
};

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

function loadScenario(file: string): Scenario {
  return parseScenario(readText(file), file);
}

function ratio(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`${name}: a number from 0 to 1`);
  return n;
}

async function brokerFor(v: Record<string, string | boolean | undefined>): Promise<RunningBroker> {
  if (v.mosquitto && v.broker) throw new UsageError("--mosquitto and --broker: one or the other");
  if (v.mosquitto) {
    const b = await startMosquitto();
    if (b === null) throw new UsageError("--mosquitto: Mosquitto is not installed");
    return b;
  }
  if (typeof v.broker === "string") {
    let u: URL;
    try {
      u = new URL(v.broker);
    } catch {
      throw new UsageError("--broker: a URL such as mqtt://127.0.0.1:1883");
    }
    if (u.protocol !== "mqtt:") throw new UsageError("--broker: only mqtt:// is supported");
    const port = Number(u.port || "1883");
    const none = async () => {};
    return {
      name: "external",
      host: u.hostname,
      port,
      url: `mqtt://${u.hostname}:${port}`,
      restart: none,
      stop: none,
      clientsConnected: () => 0,
    };
  }
  return startEmbeddedBroker();
}

function workerCount(v: string | undefined): number {
  if (v === undefined) return Math.min(2, availableParallelism());
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new UsageError("--workers: 1 to 64");
  return n;
}

async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      out: { type: "string" },
      mosquitto: { type: "boolean" },
      broker: { type: "string" },
      realtime: { type: "boolean" },
      workers: { type: "string" },
      shard: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (v.help) return help("run");
  // --json: every line on stdout a JSON object, for a pipeline to read
  const say = (text: string, fields: Record<string, unknown> = {}) =>
    console.log(v.json ? JSON.stringify({ ...fields, text }) : text);
  if (positionals.length !== 1) throw new UsageError("run needs one <scenario.json>");
  const s = loadScenario(positionals[0]);
  const realTime = v.realtime === true || v.mosquitto === true || v.broker !== undefined;
  if (v.shard !== undefined && v.workers !== undefined)
    throw new UsageError("--shard and --workers: one or the other");
  const shard = v.shard === undefined ? undefined : parseShard(v.shard);
  let workers = shard !== undefined || realTime ? 1 : workerCount(v.workers);
  if (workers > 1) {
    try {
      checkSplit(s, workers);
    } catch (e) {
      if (v.workers !== undefined) throw e;
      say(`sim: one worker (${(e as Error).message})`, { event: "note" });
      workers = 1;
    }
  }
  const out = v.out ?? join("sim-out", s.name);
  mkdirSync(out, { recursive: true });
  const log = (l: string) => say("  " + l, { event: "progress" });
  const what = `${s.name} — ${s.subjects} subjects, ${s.hours} h from ${new Date(s.start * 1000).toISOString()} (${s.timeZone})`;
  let r: ScenarioRun;
  if (workers > 1) {
    say(`sim: ${what}, accelerated in ${workers} workers (an embedded broker each)`, {
      event: "start",
    });
    r = await runParallel(s, workers, TEST_ROOT, log);
  } else {
    const broker = await brokerFor(v);
    const part = shard === undefined ? "" : `, shard ${shard.index}/${shard.count}`;
    say(`sim: ${what}${part}, ${realTime ? "in real time" : "accelerated"}, broker ${broker.url}`, {
      event: "start",
    });
    try {
      r = await runScenario(s, broker, TEST_ROOT, log, { realTime, shard });
    } finally {
      await broker.stop();
    }
  }
  writeFileSync(join(out, "expected-alerts.jsonl"), toJsonl(r.expected));
  writeFileSync(join(out, "observed-alerts.jsonl"), toJsonl(r.observed));
  writeFileSync(
    join(out, "messages.jsonl"),
    r.messages.map((m) => JSON.stringify(m) + "\n").join(""),
  );
  const lines = describeCheck(r.check, s.timeZone);
  writeFileSync(join(out, "check.txt"), lines.join("\n") + "\n");
  const report = join(out, "report.html");
  writeFileSync(report, htmlReport({ scenario: s, ...r }));
  if (!v.json) for (const l of lines) console.log(l);
  const ok = r.check.recall >= s.thresholds.recall && r.check.precision >= s.thresholds.precision;
  const hours = (shard === undefined ? s.subjects : subjectsOf(s, shard).length) * s.hours;
  const { misses, falseAlarms, ...figures } = r.check;
  say(
    `sim: ${ok ? "PASSED" : "FAILED"} — ${r.events} events at the centre; ${hours.toFixed(0)} subject-hours in ${r.realS.toFixed(1)} s real (${(hours / r.realS).toFixed(0)} per second)`,
    {
      event: "summary",
      passed: ok,
      ...figures,
      misses,
      falseAlarms,
      events: r.events,
      subjectHours: hours,
      realS: r.realS,
      report,
    },
  );
  say(`sim: report ${report} (alerts and check in ${out}/)`, { event: "files", out });
  return ok ? 0 : 1;
}

function check(args: string[]): number {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      zone: { type: "string", default: "UTC" },
      recall: { type: "string" },
      precision: { type: "string" },
    },
  });
  if (v.help) return help("check");
  if (positionals.length !== 2)
    throw new UsageError("check needs <expected.jsonl> <observed.jsonl>");
  const expected = parseAlerts(readText(positionals[0]), positionals[0]);
  const observed = parseAlerts(readText(positionals[1]), positionals[1]);
  const r = checkAlerts(expected, observed);
  for (const l of describeCheck(r, v.zone as string)) console.log(l);
  const ok =
    r.recall >= ratio(v.recall, "--recall", 1) &&
    r.precision >= ratio(v.precision, "--precision", 1);
  console.log(`sim check: ${ok ? "PASSED" : "FAILED"}`);
  return ok ? 0 : 1;
}

function validate(args: string[]): number {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (v.help) return help("validate");
  if (positionals.length !== 1) throw new UsageError("validate needs one <scenario.json>");
  const s = loadScenario(positionals[0]);
  const e = expectedAlerts(s);
  const by: Record<string, number> = {};
  for (const a of e) by[a.type] = (by[a.type] ?? 0) + 1;
  console.log(
    `${positionals[0]}: valid — ${s.subjects} subjects, ${s.hours} h in ${s.timeZone}, ${s.incidents.length} incidents; expected alerts: ${
      Object.entries(by)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ") || "none"
    }`,
  );
  return 0;
}

async function replay(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      tag: { type: "string" },
      root: { type: "string" },
      start: { type: "string" },
    },
  });
  if (v.help) return help("replay");
  if (positionals.length !== 1) throw new UsageError("replay needs one <trace.jsonl>");
  const trace = readTrace(readText(positionals[0]));
  if (trace.bad.length > 0)
    throw new UsageError(`${positionals[0]}: not a radio trace:\n  ${trace.bad.join("\n  ")}`);
  if (trace.adverts.length === 0) throw new UsageError(`${positionals[0]}: no advertisements`);
  const root = v.root === undefined ? TEST_ROOT : fromHex(v.root);
  if (root === null || root.length !== 32) throw new UsageError("--root: 64 hex digits");
  const tagId = v.tag === undefined ? traceTagId(trace.adverts) : Number.parseInt(v.tag, 16);
  if (tagId === null)
    throw new UsageError("no frame in the trace is a beacon: say which tag with --tag <hex id>");
  if (!(tagId > 0 && tagId <= 0xffffffff)) throw new UsageError("--tag: a tag id in hex");
  const epochMs = v.start === undefined ? Date.now() : Date.parse(v.start);
  if (!Number.isFinite(epochMs)) throw new UsageError("--start: an ISO 8601 time");
  const spanS = trace.adverts[trace.adverts.length - 1].atMs / 1000;
  console.log(
    `sim replay: ${trace.adverts.length} advertisements over ${(spanS / 60).toFixed(1)} min, tag ${tagId.toString(16)}`,
  );
  const broker = await startEmbeddedBroker();
  try {
    const r = await replayRun(trace.adverts, tagId, broker, root, epochMs);
    console.log(`unit ${r.unitId.toString(16)}'s beacon acceptor:`);
    for (const [k, n] of Object.entries(r.counts)) if (k !== "rssiSum") console.log(`  ${k}: ${n}`);
    console.log(`events at the centre (${r.events.length}):`);
    for (const e of r.events)
      console.log(
        `  ${new Date(e.time * 1000).toISOString()}  ${eventName(e.code)}${e.data === null ? "" : " " + JSON.stringify(e.data)}`,
      );
    return 0;
  } finally {
    await broker.stop();
  }
}

async function conform(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      help: { type: "boolean", short: "h" },
      backend: { type: "string" },
      observed: { type: "string" },
      mosquitto: { type: "boolean" },
      broker: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      root: { type: "string" },
      json: { type: "string" },
    },
  });
  if (v.help) return help("conform");
  const root = v.root === undefined ? TEST_ROOT : fromHex(v.root);
  if (root === null || root.length !== 32) throw new UsageError("--root: 64 hex digits");
  if (v.broker !== undefined && v.backend === undefined && v.observed === undefined)
    throw new UsageError(
      "--broker without --backend: say where the backend keeps its alerts (--observed)",
    );
  const broker = await brokerFor(v);
  const tmp = mkdtempSync(join(tmpdir(), "em-conform-"));
  const alertsFile = v.observed ?? join(tmp, "observed-alerts.jsonl");
  let backend: StartedBackend | null = null;
  let control: BackendControl | undefined;
  try {
    if (v.backend !== undefined || v.broker === undefined) {
      const command =
        v.backend !== undefined
          ? ["sh", "-c", "exec " + v.backend]
          : [process.execPath, "--import", "tsx", REFERENCE_BACKEND];
      const stateDir = join(tmp, "state");
      mkdirSync(stateDir);
      const env = {
        EM_BROKER_URL: broker.url,
        EM_BROKER_USER: v.username ?? "",
        EM_BROKER_PASSWORD: v.password ?? "",
        EM_FLEET_ROOT: toHex(root),
        EM_KEY_VERSIONS: "1,2",
        EM_ALERTS_FILE: alertsFile,
        EM_STATE_DIR: stateDir,
      };
      backend = await startBackend(command, env);
      control = {
        command: (unitId, code, args) => backend?.request(requestLine({ unitId, code, args })),
        restart: async () => {
          await backend?.stop();
          backend = await startBackend(command, env);
        },
      };
    }
    console.log(`sim conform: ${v.backend ?? "the reference receiver"} on ${broker.url}`);
    const results = await runLiveKit({
      url: broker.url,
      username: v.username,
      password: v.password,
      root,
      readObserved: alertsFileReader(alertsFile),
      log: (l) => console.log("  " + l),
      backend: control,
    });
    const died = backend?.died() ?? null;
    if (died !== null) throw new KitError(`the backend exited (${died}) during the sessions`);
    for (const l of describeResults(results)) console.log(l);
    if (v.json !== undefined) writeFileSync(v.json, JSON.stringify(results, null, 2) + "\n");
    return results.every((r) => r.passed) ? 0 : 1;
  } finally {
    await backend?.stop();
    await broker.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function help(cmd?: string): number {
  console.log(cmd !== undefined && HELP[cmd] ? HELP[cmd] : USAGE);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h")
      return help(rest[0]);
    if (cmd === "run") return await run(rest);
    if (cmd === "check") return check(rest);
    if (cmd === "validate") return validate(rest);
    if (cmd === "replay") return await replay(rest);
    if (cmd === "conform") return await conform(rest);
    throw new UsageError(`no such command: ${cmd}`);
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof ScenarioError ||
      e instanceof ShardError ||
      e instanceof AlertFormatError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error("sim: " + (e as Error).message);
      console.error('(see "sim help")');
      return 2;
    }
    console.error("sim: the run failed: " + (e instanceof Error ? e.message : String(e)));
    return 3;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href)
  main(process.argv.slice(2)).then((code) => process.exit(code));
