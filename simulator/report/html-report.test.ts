// The HTML report: every expected alert with its verdict, false alarms, a timeline bar for each;
// text from the files is escaped (a subject or cause is data, never markup); nothing is fetched.

import { describe, expect, it } from "vitest";
import { checkAlerts } from "../check/alert-check";
import type { Alert } from "../scenario/alerts";
import { parseScenario } from "../scenario/scenario";
import { escapeHtml, htmlReport } from "./html-report";

const S = parseScenario(
  JSON.stringify({
    name: "night <one>",
    seed: 1,
    subjects: 3,
    start: "2026-11-23T18:00:00+02:00",
    timeZone: "Europe/Riga",
    hours: 6,
    homeWindows: [{ from: "20:00", to: "07:00" }],
  }),
  "r.json",
);
const at = (h: number) => S.start + h * 3600;
const expected: Alert[] = [
  {
    subject: "00010000",
    type: "curfew_violation",
    start: at(2),
    end: at(2.5),
    cause: "left <during> a window",
  },
  { subject: "00010001", type: "strap_tamper", start: at(3), end: null, cause: "strap cut" },
];
const observed: Alert[] = [
  {
    subject: "00010000",
    type: "curfew_violation",
    start: at(2),
    end: at(2.5),
    reportedAt: at(2) + 3,
  },
  { subject: "00010002", type: "mains_lost", start: at(4), end: at(4.2), reportedAt: at(4) + 2 },
];

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
