// The live kit run as a backend team runs it (`sim conform`, a process), against the reference
// receiver and against backends with one deliberate defect each: it must pass the first and fail
// each of the others in exactly the sessions whose clause the defect breaks.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ErrorCode } from "@em-platform/protocol/core/errors";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { CentreReject, UplinkAcceptor } from "@em-platform/protocol/host/uplink-acceptor";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import type { Alert } from "../scenario/alerts";
import { parseRequest, requestLine } from "./backend-contract";
import { judgeSession, type SessionResult } from "./live-kit";
import { liveSessions } from "./live-sessions";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "cli", "main.ts");
const BROKEN = join(import.meta.dirname, "testing", "broken-backend.ts");
const dir = mkdtempSync(join(tmpdir(), "em-live-kit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function conform(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; results: SessionResult[] }> {
  const json = join(dir, `results-${Math.random().toString(16).slice(2)}.json`);
  try {
    const r = await run(
      process.execPath,
      ["--import", "tsx", CLI, "conform", "--json", json, ...args],
      {
        env: { ...process.env, ...env },
      },
    );
    return { code: 0, stdout: r.stdout, results: JSON.parse(readFileSync(json, "utf8")) };
  } catch (e) {
    const x = e as { code: number; stdout: string };
    let results: SessionResult[] = [];
    try {
      results = JSON.parse(readFileSync(json, "utf8"));
    } catch {}
    return { code: x.code, stdout: x.stdout, results };
  }
}

const failedSessions = (r: { results: SessionResult[] }) =>
  r.results.filter((s) => !s.passed).map((s) => s.name);

describe("the live conformance kit (sim conform)", () => {
  // Concurrent: the liveness session waits ~2.5 minutes in every run.
  it.concurrent("passes the reference receiver on the embedded broker, every session", async ({
    expect,
  }) => {
    const r = await conform([]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.results.map((s) => s.name)).toEqual([
      "sms-and-mqtt",
      "replay",
      "forgery",
      "unknown-unit",
      "topic-binding",
      "key-rotation",
      "clock-jumps",
      "downlink",
      "downlink-restart",
      "replay-restart",
      "liveness",
      "liveness-restart",
    ]);
    expect(failedSessions(r)).toEqual([]);
    expect(r.stdout).toContain("conformant: 12 sessions passed");
  }, 300_000);

  it.concurrent("fails each broken backend in the sessions of the clause it breaks, and only those", async ({
    expect,
  }) => {
    const expected: Record<string, string[]> = {
      "no-seq-dedupe": ["replay", "replay-restart"],
      "no-topic-check": ["topic-binding"],
      "one-window": ["key-rotation"],
      "refuse-skewed": ["clock-jumps"],
      "no-mac": ["forgery", "unknown-unit", "key-rotation"],
      "no-down-persist": ["downlink-restart"],
      "down-uplink-key": ["downlink", "downlink-restart", "liveness", "liveness-restart"],
      "no-liveness": ["liveness", "liveness-restart"],
      "no-liveness-persist": ["liveness-restart"],
      "no-seq-persist": ["replay-restart"],
    };
    const runs = await Promise.all(
      Object.keys(expected).map((defect) =>
        conform(["--backend", `"${process.execPath}" --import tsx "${BROKEN}"`], {
          EM_DEFECT: defect,
        }),
      ),
    );
    Object.keys(expected).forEach((defect, i) => {
      expect(runs[i].code, `${defect}: ${runs[i].stdout}`).toBe(1);
      expect(failedSessions(runs[i]), defect).toEqual(expected[defect]);
      expect(runs[i].stdout).toContain("NOT conformant");
    });
  }, 400_000);

  it("a backend that dies before it is ready is the kit's failure (exit 3), not a verdict", async () => {
    const r = await conform(["--backend", "echo starting; exit 4"]);
    expect(r.code).toBe(3);
    expect(r.results).toEqual([]);
  }, 60_000);

  it("refuses an external broker without a way to read the backend's alerts (exit 2)", async () => {
    const r = await conform(["--broker", "mqtt://127.0.0.1:1"]);
    expect(r.code).toBe(2);
  }, 60_000);
});

describe("the backend contract's requests", () => {
  it("reads a command request with or without its arguments, and nothing that is not one", () => {
    const plain = { unitId: 0x0a10c0de, code: 12, args: null };
    expect(parseRequest("command 0a10c0de 12")).toEqual(plain);
    expect(parseRequest("command 0a10c0de 12\r")).toEqual(plain);
    const withArgs = { unitId: 0x0a10c0de, code: 5, args: { 1: 60 } };
    expect(parseRequest("command 0a10c0de 5 a101183c")).toEqual(withArgs);
    expect(parseRequest(requestLine(withArgs))).toEqual(withArgs);
    for (const bad of [
      "command a10c0de 12",
      "command 0a10c0de",
      "send 0a10c0de 12",
      "command 0a10c0de 5 183c", // arguments that are not a map
      "command 0a10c0de 5 a101", // cut short
      "",
    ])
      expect(parseRequest(bad), bad).toBeNull();
  });
});

describe("the sessions", () => {
  const ctx = { root: TEST_ROOT, unitBase: 0x00a10000, now: 1_800_000_000 };

  it("are the same bytes for the same root, units and time", () => {
    const a = liveSessions(ctx).flatMap((s) => s.steps.map((p) => Buffer.from(p.payload)));
    const b = liveSessions(ctx).flatMap((s) => s.steps.map((p) => Buffer.from(p.payload)));
    expect(a).toEqual(b);
  });

  it("the forgery and the unknown unit's envelope fail the MAC at a centre, the rest verify", () => {
    const centre = new UplinkAcceptor(FleetKeyring.fromRoot(TEST_ROOT, [1, 2]).lookup);
    const verdicts: Record<string, string[]> = {};
    for (const s of liveSessions(ctx))
      verdicts[s.name] = s.steps
        .filter((p) => typeof p.payload !== "string")
        .map((p) => {
          const v = centre.accept(
            p.payload as Uint8Array,
            Number.parseInt(p.topic.split("/")[3], 16),
          );
          return v.ok ? "ok" : v.code;
        });
    expect(verdicts.forgery).toEqual([ErrorCode.badMac, ErrorCode.badMac, "ok"]);
    expect(verdicts["unknown-unit"]).toEqual([ErrorCode.badMac]);
    expect(verdicts["topic-binding"]).toEqual([CentreReject.topicMismatch, "ok"]);
    expect(verdicts["key-rotation"]).toEqual(["ok", "ok", CentreReject.keyDowngrade]);
  });

  it("judging counts an alert raised twice as unexpected and one not raised as missing", () => {
    const s = liveSessions(ctx)[0];
    const [first, second] = s.expected;
    const twice: Alert[] = [first, { ...first, reportedAt: 5 }, second];
    expect(judgeSession(s, twice).unexpected).toEqual([{ ...first, reportedAt: 5 }]);
    expect(judgeSession(s, [first]).missing).toEqual([second]);
    expect(judgeSession(s, [second, first]).passed).toBe(true);
    const other: Alert = { ...first, subject: "ffffffff" };
    expect(judgeSession(s, [first, second, other]).passed).toBe(true);
  });
});
