// A small run to render: three subjects, an alert found, one missed, a false alarm; text that
// must be escaped (a name and a cause with angle brackets).

import type { Alert } from "../../scenario/alerts";
import { parseScenario } from "../../scenario/scenario";

export const S = parseScenario(
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
export const at = (h: number) => S.start + h * 3600;
export const expected: Alert[] = [
  {
    subject: "00010000",
    type: "curfew_violation",
    start: at(2),
    end: at(2.5),
    cause: "left <during> a window",
  },
  { subject: "00010001", type: "strap_tamper", start: at(3), end: null, cause: "strap cut" },
];
export const observed: Alert[] = [
  {
    subject: "00010000",
    type: "curfew_violation",
    start: at(2),
    end: at(2.5),
    reportedAt: at(2) + 3,
  },
  { subject: "00010002", type: "mains_lost", start: at(4), end: at(4.2), reportedAt: at(4) + 2 },
];
