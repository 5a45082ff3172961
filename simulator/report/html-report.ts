// The run as one HTML page QA can open and send around: the scenario, the check (recall,
// precision, latency), every expected alert and whether the centre raised it, every false alarm,
// and a timeline per subject. One self-contained file: no script, no style sheet or font fetched
// from anywhere, every text escaped.

import type { CheckResult } from "../check/alert-check";
import { localTime } from "../check/alert-check";
import type { Alert } from "../scenario/alerts";
import type { Scenario } from "../scenario/scenario";

export interface ReportInput {
  scenario: Scenario;
  expected: Alert[];
  observed: Alert[];
  check: CheckResult;
  /** Seconds of real time the run took. */
  realS: number;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const pct = (x: number) => (100 * x).toFixed(1) + " %";

export function htmlReport(r: ReportInput): string {
  const s = r.scenario;
  const zone = s.timeZone;
  const t = (u: number | null | undefined) =>
    u === null || u === undefined ? "—" : localTime(u, zone);
  const missed = new Set(r.check.misses);
  const passed =
    r.check.recall >= s.thresholds.recall && r.check.precision >= s.thresholds.precision;
  const rows = r.expected
    .map(
      (a) =>
        `<tr class="${missed.has(a) ? "miss" : "ok"}"><td>${escapeHtml(a.subject)}</td><td>${escapeHtml(a.type)}</td><td>${t(a.start)}</td><td>${t(a.end)}</td><td>${escapeHtml(a.cause ?? "")}</td><td>${missed.has(a) ? "MISSED" : "raised"}</td></tr>`,
    )
    .join("\n");
  const falseRows = r.check.falseAlarms
    .map(
      (a) =>
        `<tr class="miss"><td>${escapeHtml(a.subject)}</td><td>${escapeHtml(a.type)}</td><td>${t(a.start)}</td><td>${t(a.end)}</td><td>${t(a.reportedAt)}</td></tr>`,
    )
    .join("\n");
  const lat = r.check.latency;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(s.name)} — simulator run</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
tr.miss td { background: #fdd; }
.verdict { font-weight: bold; color: ${passed ? "#060" : "#a00"}; }
</style>
</head>
<body>
<h1>${escapeHtml(s.name)}</h1>
<p>${s.subjects} subjects, ${s.hours} h from ${t(s.start)} (${escapeHtml(zone)}), seed ${s.seed}; ${r.realS.toFixed(1)} s real.</p>
<p class="verdict">${passed ? "PASSED" : "FAILED"}: recall ${pct(r.check.recall)} (at least ${pct(s.thresholds.recall)}), precision ${pct(r.check.precision)} (at least ${pct(s.thresholds.precision)})</p>
<table>
<tr><th>expected</th><th>observed</th><th>matched</th><th>latency p50 / p95 / max</th></tr>
<tr><td>${r.check.expected}</td><td>${r.check.observed}</td><td>${r.check.matched}</td><td>${lat === null ? "—" : `${lat.p50} / ${lat.p95} / ${lat.max} s`}</td></tr>
</table>
<h2>Expected alerts (${r.expected.length})</h2>
<table>
<tr><th>subject</th><th>alert</th><th>start</th><th>end</th><th>cause</th><th>centre</th></tr>
${rows}
</table>
<h2>False alarms (${r.check.falseAlarms.length})</h2>
<table>
<tr><th>subject</th><th>alert</th><th>start</th><th>end</th><th>reported</th></tr>
${falseRows}
</table>
<h2>Timeline</h2>
${timeline(r)}
</body>
</html>
`;
}

/** One bar per subject with an alert: each expected alert a block over its span, red if missed. */
function timeline(r: ReportInput): string {
  const s = r.scenario;
  const span = s.hours * 3600;
  const W = 900;
  const x = (u: number) => Math.max(0, Math.min(W, ((u - s.start) / span) * W));
  const subjects = Array.from(
    new Set(r.expected.concat(r.check.falseAlarms).map((a) => a.subject)),
  ).sort();
  const missed = new Set(r.check.misses);
  const rows = subjects.map((subject, i) => {
    const y = 20 + i * 22;
    const bars = r.expected
      .filter((a) => a.subject === subject)
      .map((a) => {
        const x0 = x(a.start);
        const x1 = a.end === null ? x0 + 4 : Math.max(x(a.end), x0 + 4);
        return `<rect x="${(120 + x0).toFixed(1)}" y="${y}" width="${(x1 - x0).toFixed(1)}" height="16" fill="${missed.has(a) ? "#c00" : "#393"}"><title>${escapeHtml(a.type)} ${localTime(a.start, s.timeZone)}</title></rect>`;
      })
      .join("");
    const falses = r.check.falseAlarms
      .filter((a) => a.subject === subject)
      .map(
        (a) =>
          `<rect x="${(120 + x(a.start)).toFixed(1)}" y="${y}" width="4" height="16" fill="#f80"><title>false ${escapeHtml(a.type)}</title></rect>`,
      )
      .join("");
    return `<text x="0" y="${y + 12}">${escapeHtml(subject)}</text>${bars}${falses}`;
  });
  const h = 30 + subjects.length * 22;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W + 130}" height="${h}" role="img" aria-label="alerts over the run">${rows.join("\n")}</svg>`;
}
