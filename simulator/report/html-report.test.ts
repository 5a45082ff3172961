// The HTML report: every expected alert with its verdict, false alarms, a timeline bar for each;
// text from the files is escaped (a subject or cause is data, never markup); nothing is fetched.

import { describe, expect, it } from "vitest";
import { checkAlerts } from "../check/alert-check";
import { escapeHtml, htmlReport } from "./html-report";
import { expected, observed, S } from "./testing/report-fixture";

describe("html report", () => {
  const check = checkAlerts(expected, observed);
  const html = htmlReport({ scenario: S, expected, observed, check, realS: 12.3 });

  it("shows each expected alert with what the centre did, and the false alarms", () => {
    expect(html.match(/<tr class="ok">/g)).toHaveLength(1);
    expect(html).toContain("MISSED");
    expect(html).toContain("False alarms (1)");
    expect(html).toContain("FAILED: recall 50.0 %");
    // one bar per expected alert, one mark per false alarm
    expect(html.match(/<rect /g)).toHaveLength(3);
    expect(html).toContain("20:00"); // local times in the scenario's zone
  });

  it("escapes text from the files and fetches nothing", () => {
    expect(html).toContain("night &lt;one&gt;");
    expect(html).toContain("left &lt;during&gt; a window");
    expect(html).not.toMatch(/<during>|<one>/);
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/<script/i);
    expect(escapeHtml(`<a href="x">'&`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
  });

  it("opens and closes its tables, rows and cells", () => {
    for (const tag of ["table", "tr", "td", "th", "svg", "rect"])
      expect((html.match(new RegExp(`<${tag}[ >]`, "g")) ?? []).length, tag).toBe(
        (html.match(new RegExp(`</${tag}>`, "g")) ?? []).length,
      );
  });
});
