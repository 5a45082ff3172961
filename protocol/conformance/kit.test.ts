// The conformance kit: the reference receiver, spoken to through the adapter protocol as any
// backend would be, passes every case; each deliberately broken receiver fails, and the kit names
// the clause it breaks; an adapter that dies or never answers gives errors, not a hang.

import { describe, expect, it } from "vitest";
import { referenceJudge } from "./host-adapter";
import { kitCases } from "./kit-cases";
import { formatReport, ProcessJudge, runKit } from "./run-kit";
import { BROKEN_RECEIVERS } from "./testing/broken-receivers";

const cases = kitCases();
const referenceAdapter = new URL("./reference-adapter.ts", import.meta.url).pathname;

describe("conformance kit", () => {
  it("covers every vector file and every clause the vectors name", () => {
    const clauses = new Set(cases.map((c) => c.clause));
    for (const c of [
      "§3 uplink window",
      "§3 key versions",
      "§13 topic binding",
      "§14 order",
      "§6",
      "§12",
    ])
      expect(clauses.has(c), c).toBe(true);
    expect(cases.length).toBeGreaterThan(100);
    expect(new Set(cases.map((c) => c.request.id)).size).toBe(cases.length);
  });

  it("the reference receiver as an adapter process passes every case", async () => {
    const judge = new ProcessJudge(process.execPath, ["--import", "tsx", referenceAdapter]);
    const report = await runKit(judge.judge, cases);
    await judge.close();
    expect(formatReport(report).filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(report.failed).toBe(0);
  }, 60_000);

  for (const b of BROKEN_RECEIVERS)
    it(`catches a receiver that ${b.defect}, under ${b.caughtBy}`, async () => {
      const report = await runKit(b.judge(), cases);
      expect(report.failed).toBeGreaterThan(0);
      const failing = report.clauses.filter((c) => c.failed > 0).map((c) => c.clause);
      expect(failing).toContain(b.caughtBy);
    });

  it("the judge the broken receivers start from passes in-process too", async () => {
    const report = await runKit(referenceJudge(), cases);
    expect(report.failed).toBe(0);
  });

  it("an adapter that exits or never answers gives errors, not a hang", async () => {
    const dead = new ProcessJudge(process.execPath, ["-e", "process.exit(4)"]);
    const r1 = await runKit(dead.judge, cases.slice(0, 3));
    expect(r1.results.every((r) => r.got.startsWith("error: adapter"))).toBe(true);
    const mute = new ProcessJudge(process.execPath, ["-e", "setInterval(() => {}, 1000)"], 200);
    const r2 = await runKit(mute.judge, cases.slice(0, 2));
    expect(r2.results.map((r) => r.got)).toEqual([
      "error: no answer within 200 ms",
      "error: no answer within 200 ms",
    ]);
    await mute.close();
  });
});
