// Runs the kit's cases through a judge — an adapter process speaking the JSON-lines protocol, or
// a function — and reports clause by clause.

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { KitCase, KitRequest } from "./kit-cases";

/** Gives a request's verdict: "ok", a SPEC §14 code, or "error: …" when there was no answer. */
export type Judge = (r: KitRequest) => string | Promise<string>;

export interface CaseResult {
  kase: KitCase;
  got: string;
  pass: boolean;
}

export interface KitReport {
  results: CaseResult[];
  /** Per SPEC clause, in the order the clauses first appear. */
  clauses: { clause: string; passed: number; failed: number }[];
  failed: number;
}

export async function runKit(judge: Judge, cases: KitCase[]): Promise<KitReport> {
  const results: CaseResult[] = [];
  for (const kase of cases) {
    const got = await judge(kase.request);
    results.push({ kase, got, pass: got === kase.expect });
  }
  const byClause = new Map<string, { clause: string; passed: number; failed: number }>();
  for (const r of results) {
    let c = byClause.get(r.kase.clause);
    if (c === undefined) {
      c = { clause: r.kase.clause, passed: 0, failed: 0 };
      byClause.set(r.kase.clause, c);
    }
    if (r.pass) c.passed++;
    else c.failed++;
  }
  return {
    results,
    clauses: Array.from(byClause.values()),
    failed: results.filter((r) => !r.pass).length,
  };
}

export function formatReport(report: KitReport): string[] {
  const lines = ["| clause | cases | passed | failed |", "|---|--:|--:|--:|"];
  for (const c of report.clauses)
    lines.push(`| ${c.clause} | ${c.passed + c.failed} | ${c.passed} | ${c.failed} |`);
  for (const r of report.results)
    if (!r.pass)
      lines.push(`FAIL ${r.kase.clause} — ${r.kase.name}: expected ${r.kase.expect}, got ${r.got}`);
  const total = report.results.length;
  lines.push(
    report.failed === 0
      ? `conformant: ${total} of ${total} cases`
      : `NOT conformant: ${report.failed} of ${total} cases failed`,
  );
  return lines;
}

/** A judge that is an adapter process: one request line in, one `{"id","verdict"}` line out. */
export class ProcessJudge {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, (verdict: string) => void>();
  private exited: string | null = null;

  constructor(
    command: string,
    args: string[],
    private readonly timeoutMs = 10000,
  ) {
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    this.child.on("error", (e) => this.fail("adapter did not start: " + e.message));
    this.child.on("exit", (code) => this.fail("adapter exited (" + code + ")"));
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.answer(line));
  }

  readonly judge: Judge = (r) => {
    if (this.exited !== null) return "error: " + this.exited;
    return new Promise<string>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(r.id);
        resolve("error: no answer within " + this.timeoutMs + " ms");
      }, this.timeoutMs);
      this.waiting.set(r.id, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.child.stdin!.write(JSON.stringify(r) + "\n");
    });
  };

  /** Ends the adapter's input; one that does not exit within a second is killed. */
  async close(): Promise<void> {
    if (this.exited !== null) return;
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill(), 1000);
    await gone;
    clearTimeout(timer);
  }

  private answer(line: string): void {
    let m: { id?: unknown; verdict?: unknown };
    try {
      m = JSON.parse(line);
    } catch {
      return; // not an answer line; the request times out and says so
    }
    const done = this.waiting.get(String(m.id));
    if (done === undefined) return;
    this.waiting.delete(String(m.id));
    done(typeof m.verdict === "string" ? m.verdict : "error: answer without a verdict");
  }

  private fail(why: string): void {
    this.exited = why;
    for (const [id, done] of this.waiting) {
      this.waiting.delete(id);
      done("error: " + why);
    }
  }
}
