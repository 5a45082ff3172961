// Expected alerts against observed ones (any backend's export in the alerts.ts format): each
// observed alert matches at most one expected alert of the same subject and type whose start it
// falls near — within the type's tolerance. Unmatched expected alerts are misses; unmatched
// observed ones false alarms. Detection latency: from the fact's start to when the centre had it
// (observed `reportedAt`).

import type { Alert, AlertType } from "../scenario/alerts";

/** How far an observed start may lie from the fact (simulator/README.md, "Ground truth"). */
export const START_TOLERANCE_S: Record<AlertType, number> = {
  // the tag's latch age places the cut (SPEC §4: 2 s steps) however late the unit hears it;
  // one beacon interval (8 s) and the step
  strap_tamper: 10,
  // mains is debounced 2 s
  mains_lost: 30,
  // the last sighting before a walk-out is up to one beacon interval (8 s) earlier; a return
  // needs a quorum of in-range beacons (~24 s); the unit ticks once a second
  curfew_violation: 90,
  tag_not_heard: 90,
  radio_attack: 60,
  // the case switch is debounced 200 ms
  unit_tamper: 30,
  // the tag reads its cell every 10 minutes and wants two low readings in a row
  tag_battery_low: 21 * 60,
  // the unit suspects a relay after 4 challenges in a row go unanswered or late: the first up to
  // 3 minutes in, then 3 minutes apart, each judged within 25 s (SPEC §5)
  live_relay: 20 * 60,
  // the centre's liveness check (SPEC §13) places the silence at the last envelope it took;
  // a scenario never expects it (the live conformance kit judges it)
  unit_silent: 60,
};

export interface Miss {
  alert: Alert;
}

export interface CheckResult {
  expected: number;
  observed: number;
  matched: number;
  recall: number;
  precision: number;
  /** Detection latency (s) of the matched alerts that carry reportedAt: p50, p95, max. */
  latency: { p50: number; p95: number; max: number } | null;
  misses: Alert[];
  falseAlarms: Alert[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function checkAlerts(expected: Alert[], observed: Alert[]): CheckResult {
  const used = new Set<number>();
  const misses: Alert[] = [];
  const latencies: number[] = [];
  let matched = 0;
  for (const e of expected) {
    const tol = START_TOLERANCE_S[e.type];
    // Not widened to detectableAt: a centre that stamps a cut when it hears of it, hours late,
    // has it at the wrong time.
    const latest = e.start + tol;
    let best = -1;
    for (let i = 0; i < observed.length; i++) {
      const o = observed[i];
      if (used.has(i) || o.subject !== e.subject || o.type !== e.type) continue;
      if (o.start < e.start - tol || o.start > latest) continue;
      if (best < 0 || Math.abs(o.start - e.start) < Math.abs(observed[best].start - e.start))
        best = i;
    }
    if (best < 0) {
      misses.push(e);
      continue;
    }
    used.add(best);
    matched++;
    const r = observed[best].reportedAt;
    if (r !== undefined) latencies.push(Math.max(0, r - e.start));
  }
  const falseAlarms = observed.filter((_, i) => !used.has(i));
  latencies.sort((a, b) => a - b);
  return {
    expected: expected.length,
    observed: observed.length,
    matched,
    recall: expected.length === 0 ? 1 : matched / expected.length,
    precision: observed.length === 0 ? 1 : matched / observed.length,
    latency:
      latencies.length === 0
        ? null
        : {
            p50: percentile(latencies, 50),
            p95: percentile(latencies, 95),
            max: latencies[latencies.length - 1],
          },
    misses,
    falseAlarms,
  };
}

/** "2026-11-23 21:30:00" in the zone (for people reading a miss). */
export function localTime(utcS: number, zone: string): string {
  return new Date(utcS * 1000)
    .toLocaleString("sv-SE", { timeZone: zone, hour12: false })
    .replace("T", " ");
}

/** The report lines: the figures, then every miss and every false alarm. */
export function describeCheck(r: CheckResult, zone: string): string[] {
  const pct = (x: number) => (100 * x).toFixed(1) + " %";
  const lines = [
    "| expected | observed | matched | recall | precision | latency p50 / p95 / max |",
    "|--:|--:|--:|--:|--:|--:|",
    `| ${r.expected} | ${r.observed} | ${r.matched} | ${pct(r.recall)} | ${pct(r.precision)} | ${
      r.latency === null ? "—" : `${r.latency.p50} / ${r.latency.p95} / ${r.latency.max} s`
    } |`,
  ];
  for (const m of r.misses)
    lines.push(
      `MISS   ${m.subject} ${m.type} at ${localTime(m.start, zone)}${m.cause ? ` (${m.cause})` : ""}`,
    );
  for (const f of r.falseAlarms)
    lines.push(`FALSE  ${f.subject} ${f.type} at ${localTime(f.start, zone)}`);
  return lines;
}
