// The run's report opened in a real headless browser (Debian's Chromium, installed by .ci/run):
// it renders — nothing on the console, a screenshot with the report's colours on it — and the
// check itself tells a page that throws and a blank page from it. Skips, saying why, where there
// is no Chromium.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkAlerts } from "../check/alert-check";
import { findChromium, viewInBrowser } from "./browser-check";
import { htmlReport } from "./html-report";
import { expected, observed, S } from "./testing/report-fixture";

const chromium = findChromium();
if (chromium === null)
  console.log(
    "report in a browser: skipped, no Chromium (Debian package chromium; .ci/run installs it)",
  );

const dir = mkdtempSync(join(tmpdir(), "em-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function page(name: string, html: string): string {
  const f = join(dir, name);
  writeFileSync(f, html);
  return f;
}

describe.skipIf(chromium === null)("the report in Chromium", () => {
  const c = chromium as string;

  it("renders: nothing on the console, the report's colours on screen", async () => {
    const html = htmlReport({
      scenario: S,
      expected,
      observed,
      check: checkAlerts(expected, observed),
      realS: 1.5,
    });
    const v = await viewInBrowser(c, page("report.html", html));
    expect(v.console).toEqual([]);
    expect(v.width).toBe(1280);
    expect(v.inked).toBeGreaterThan(0.01); // text, tables, the timeline
    expect(v.colours).toBeGreaterThan(10);
  }, 90_000);

  it("catches a page that throws, and a blank page", async () => {
    const bad = await viewInBrowser(
      c,
      page("bad.html", "<!doctype html><p>x</p><script>throw new Error('boom')</script>"),
    );
    expect(bad.console.join("\n")).toContain("Uncaught Error: boom");
    const blank = await viewInBrowser(c, page("blank.html", "<!doctype html><title>t</title>"));
    expect(blank.console).toEqual([]);
    expect(blank.inked).toBe(0);
    expect(blank.colours).toBe(1);
  }, 90_000);
});
