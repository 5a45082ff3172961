// The simulator's command as QA uses it: a small scenario run end to end on the embedded broker
// (the real firmware in every home) passes its check with every alert found and none false; the
// same files checked after an edit fail with the miss named; bad input exits 2.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { defaultTagConfig } from "../../firmware/tag/tag-config";
import { TEST_ROOT } from "../../firmware/testing/test-fleet";
import { VirtualClock } from "../../firmware/testing/virtual-clock";
import { VirtualFlash } from "../../firmware/testing/virtual-flash";
import { identityFromRoot, VirtualTag } from "../../firmware/testing/virtual-tag";
import { traceLine } from "../radio/advert-trace";
import { parseAlerts } from "../scenario/alerts";
import { main } from "./main";

const dir = mkdtempSync(join(tmpdir(), "em-sim-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = {
  name: "small",
  seed: 7,
  subjects: 4,
  start: "2026-11-23T19:00:00+02:00",
  timeZone: "Europe/Riga",
  hours: 3,
  grace: 300,
  homeWindows: [{ from: "20:00", to: "07:00" }],
  incidents: [
    { type: "absence", subjects: [0], at: "19:40", minutes: 40 },
    { type: "absence", subjects: [1], at: "20:30", minutes: 20 },
    { type: "strapCut", subjects: [2], at: "20:45" },
    { type: "mainsOutage", subjects: [3], at: "19:20", minutes: 15 },
    { type: "cellOutage", area: "riga-east", at: "21:00", minutes: 10 },
  ],
};

async function sim(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => {
    lines.push(a.join(" "));
  });
  const err = vi.spyOn(console, "error").mockImplementation((...a) => {
    lines.push(a.join(" "));
  });
  try {
    return { code: await main(args), out: lines.join("\n") };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe("sim", () => {
  const file = join(dir, "small.json");
  writeFileSync(file, JSON.stringify(SCENARIO));
  const out = join(dir, "out");

  it("run: every expected alert observed, none false, files written", async () => {
    const r = await sim("run", file, "--out", out);
    expect(r.out).toMatch(/PASSED/);
    expect(r.code).toBe(0);
    const expected = parseAlerts(readFileSync(join(out, "expected-alerts.jsonl"), "utf8"), "e");
    const observed = parseAlerts(readFileSync(join(out, "observed-alerts.jsonl"), "utf8"), "o");
    // two violations (late back, left in the window), one cut, one outage
    expect(expected.map((a) => a.type).sort()).toEqual([
      "curfew_violation",
      "curfew_violation",
      "mains_lost",
      "strap_tamper",
    ]);
    expect(observed).toHaveLength(expected.length);
    expect(r.out).toContain("| 4 | 4 | 4 | 100.0 % | 100.0 % |");
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("PASSED");
    expect(html.match(/<tr class="ok">/g)).toHaveLength(4);
  }, 120_000);

  it("check: an observed file without one alert fails and names the miss", async () => {
    const observed = readFileSync(join(out, "observed-alerts.jsonl"), "utf8").split("\n");
    const cut = observed.findIndex((l) => l.includes("strap_tamper"));
    observed.splice(cut, 1);
    const edited = join(dir, "edited.jsonl");
    writeFileSync(edited, observed.join("\n"));
    const r = await sim(
      "check",
      join(out, "expected-alerts.jsonl"),
      edited,
      "--zone",
      "Europe/Riga",
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/MISS {3}00010002 strap_tamper at 2026-11-23 20:45:00 \(strap cut\)/);
  });

  it("run --shard: each shard's files, concatenated, check as the whole fleet", async () => {
    const parts = ["0/2", "1/2"].map((sh, k) => ({ sh, dir: join(dir, "shard" + k) }));
    for (const p of parts) {
      const r = await sim("run", file, "--shard", p.sh, "--out", p.dir, "--json");
      // --json: every line an object; the summary carries the check
      const lines = r.out.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ event: "start" });
      expect(String(lines[0].text)).toContain(`shard ${p.sh}, accelerated`);
      const summary = lines.find((l) => l.event === "summary");
      expect(summary).toMatchObject({ passed: true, recall: 1, precision: 1, misses: [] });
    }
    const cat = (name: string) => {
      const f = join(dir, "all-" + name);
      writeFileSync(f, parts.map((p) => readFileSync(join(p.dir, name), "utf8")).join(""));
      return f;
    };
    const whole = (name: string) => readFileSync(join(out, name), "utf8").trim().split("\n");
    const e = cat("expected-alerts.jsonl");
    const o = cat("observed-alerts.jsonl");
    // the same alerts as the unsharded run, shard by shard
    expect(readFileSync(e, "utf8").trim().split("\n").sort()).toEqual(
      whole("expected-alerts.jsonl").sort(),
    );
    expect(readFileSync(o, "utf8").trim().split("\n").sort()).toEqual(
      whole("observed-alerts.jsonl").sort(),
    );
    const r = await sim("check", e, o);
    expect(r.code).toBe(0);
    expect(r.out).toContain("| 4 | 4 | 4 | 100.0 % | 100.0 % |");
  }, 120_000);

  it("replay: a tag's trace played into a unit; the same frames again are refused and reported", async () => {
    const clock = new VirtualClock(Date.parse("2026-11-23T20:00:00Z"));
    const tag = new VirtualTag(
      clock,
      new VirtualFlash(40 * 1024),
      identityFromRoot(TEST_ROOT, 0x2000aa, 1, 0xffff),
      defaultTagConfig(),
      5,
      false,
    );
    tag.start();
    clock.advance(10 * 60_000);
    const frames = tag.board.advertiser.log;
    const line = (atMs: number, data: Uint8Array) =>
      traceLine({ atMs, address: "c0:ff:ee:00:00:01", rssi: -60, companyId: 0xffff, data });
    // the capture, then the same frames played again 5 minutes after it ends
    const trace = join(dir, "trace.jsonl");
    writeFileSync(
      trace,
      frames.map((f) => line(f.atMs, f.data)).join("") +
        frames.map((f) => line(f.atMs + 15 * 60_000, f.data)).join(""),
    );
    const r = await sim("replay", trace, "--start", "2026-11-23T21:00:00Z");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${frames.length * 2} advertisements over 25.0 min, tag 2000aa`);
    expect(r.out).toMatch(new RegExp(`accepted: ${frames.length}\\b`));
    expect(r.out).toMatch(/replayed: [1-9]/);
    expect(r.out).toMatch(/replayed_frame_seen/);
    expect(r.out).toMatch(/left_home/); // silence after the last frame
    writeFileSync(join(dir, "not-a-trace.jsonl"), "{}\nnonsense\n");
    const bad = await sim("replay", join(dir, "not-a-trace.jsonl"));
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/line 1: .*\n.*line 2: /);
  }, 120_000);

  it("bad input exits 2 with the reason; --help everywhere exits 0", async () => {
    for (const args of [
      ["--shard", "2/2"],
      ["--shard", "0/2", "--workers", "2"],
      ["--workers", "0"],
      ["--shard", "0/5"],
    ]) {
      const r = await sim("run", file, ...args);
      expect(r.code).toBe(2);
      expect(r.out).toMatch(/--shard|--workers|5 shards for 4 subjects/);
    }
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ ...SCENARIO, hours: -1 }));
    const bad = await sim("validate", join(dir, "bad.json"));
    expect(bad.code).toBe(2);
    expect(bad.out).toContain("bad.json: $.hours: expected a number from 0.5 to 744");
    expect((await sim("run", "--frobnicate")).code).toBe(2);
    expect((await sim("launch")).code).toBe(2);
    expect((await sim("check", "only-one.jsonl")).code).toBe(2);
    for (const c of ["run", "check", "validate", "replay"]) {
      const h = await sim(c, "--help");
      expect(h.code).toBe(0);
      expect(h.out).toMatch(new RegExp(`^sim ${c}`));
    }
    expect((await sim("validate", file)).out).toMatch(/valid — 4 subjects/);
  });
});
