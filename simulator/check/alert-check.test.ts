// The checker on hand-made alert files: a wrong observed file fails with its misses and false
// alarms listed, in the subject's local time; tolerances per type.

import { describe, expect, it } from "vitest";
import { type Alert, AlertFormatError, parseAlerts, toJsonl } from "../scenario/alerts";
import { checkAlerts, describeCheck } from "./alert-check";

const T = 1795460000;
const expected: Alert[] = [
  { subject: "00010000", type: "strap_tamper", start: T, end: null },
  { subject: "00010001", type: "curfew_violation", start: T + 600, end: T + 900 },
  { subject: "00010002", type: "strap_tamper", start: T, end: null, detectableAt: T + 3600 },
];

describe("alert checker", () => {
  it("all found within tolerance: recall and precision 1, latency from the fact", () => {
    const observed: Alert[] = [
      { subject: "00010000", type: "strap_tamper", start: T + 3, end: null, reportedAt: T + 5 },
      {
        subject: "00010001",
        type: "curfew_violation",
        start: T + 590,
        end: T + 930,
        reportedAt: T + 600,
      },
      {
        // cut away from home, heard an hour later: placed at the cut by the tag's latch age
        subject: "00010002",
        type: "strap_tamper",
        start: T + 2,
        end: null,
        reportedAt: T + 3612,
      },
    ];
    const r = checkAlerts(expected, observed);
    expect([r.recall, r.precision, r.misses, r.falseAlarms]).toEqual([1, 1, [], []]);
    expect(r.latency).toEqual({ p50: 5, p95: 3612, max: 3612 });
  });

  it("a cut stamped when the centre heard of it, not when it happened, is at the wrong time", () => {
    const observed: Alert[] = [
      { subject: "00010000", type: "strap_tamper", start: T + 3, end: null },
      { subject: "00010001", type: "curfew_violation", start: T + 600, end: T + 900 },
      { subject: "00010002", type: "strap_tamper", start: T + 3610, end: null },
    ];
    const r = checkAlerts(expected, observed);
    expect(r.misses.map((m) => m.subject)).toEqual(["00010002"]);
    expect(r.falseAlarms.map((m) => m.start)).toEqual([T + 3610]);
  });

  it("a wrong observed file: each miss and false alarm listed with subject and local time", () => {
    const observed: Alert[] = [
      { subject: "00010000", type: "strap_tamper", start: T + 2, end: null },
      // another subject's violation: the expected one is missed, this one is false
      { subject: "00010003", type: "curfew_violation", start: T + 600, end: null },
      // the right subject but far too early
      { subject: "00010002", type: "strap_tamper", start: T - 3600, end: null },
    ];
    const r = checkAlerts(expected, observed);
    expect(r.recall).toBeCloseTo(1 / 3);
    expect(r.precision).toBeCloseTo(1 / 3);
    const lines = describeCheck(r, "Europe/Riga");
    expect(lines).toContain("MISS   00010001 curfew_violation at 2026-11-23 21:03:20");
    expect(lines).toContain("MISS   00010002 strap_tamper at 2026-11-23 20:53:20");
    expect(lines).toContain("FALSE  00010003 curfew_violation at 2026-11-23 21:03:20");
    expect(lines.filter((l) => l.startsWith("FALSE"))).toHaveLength(2);
  });

  it("one observed alert matches one expected alert only", () => {
    const twice = [expected[0], { ...expected[0] }];
    const r = checkAlerts(twice, [{ ...expected[0], start: T + 1 }]);
    expect([r.matched, r.misses.length]).toEqual([1, 1]);
  });

  it("the JSONL format round-trips, and a bad line is named", () => {
    expect(parseAlerts(toJsonl(expected), "x")).toEqual(expected);
    expect(() =>
      parseAlerts('{"subject":"1","type":"strap_tamper","start":1}\n', "obs.jsonl"),
    ).toThrow(
      new AlertFormatError("obs.jsonl", 1, '"subject": the unit id as 8 lower-case hex digits'),
    );
    expect(() => parseAlerts(toJsonl(expected) + "not json\n", "obs.jsonl")).toThrow(
      /obs\.jsonl:4/,
    );
  });
});
