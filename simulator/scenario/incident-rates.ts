// Incidents by rate: instead of scripting each cut, unplugging or absence, a scenario says how
// often one happens per subject per day; each becomes, per subject and local day, a Poisson
// number of incidents at seeded local times — the same for the same seed. A generated incident
// the world could not play as the ground truth counts it is left out: a second cut of a strap
// that is already cut (it stays latched until a re-arm, so it raises nothing), and an absence or
// unplugging that overlaps another of the same subject (a return in the middle of an absence
// would end both). Scripted incidents and routines come first; rates fill in around them.

import {
  hhmmOf,
  type Incident,
  incidentAt,
  type Scenario,
  type Selection,
  selected,
} from "./scenario";
import { seeded } from "./seeded-random";

export type RatedType =
  | "strapCut"
  | "mainsOutage"
  | "absence"
  | "caseOpen"
  | "unitReboot"
  | "tagBatteryLow";
export const RATED_TYPES: RatedType[] = [
  "strapCut",
  "mainsOutage",
  "absence",
  "caseOpen",
  "unitReboot",
  "tagBatteryLow",
];
/** A run-down cell is confirmed by the tag within this (two readings 10 minutes apart): one
 * closer to the run's end might or might not be reported in it. */
export const BATTERY_CONFIRM_S = 20 * 60;

/** The latest start of an incident the run can still see through (UTC s). */
export function lastStart(type: string, end: number): number {
  return type === "tagBatteryLow" ? end - BATTERY_CONFIRM_S : end;
}

/** Rated incidents that are a moment, not a span. */
export const INSTANT_TYPES: RatedType[] = ["strapCut", "unitReboot", "tagBatteryLow"];

export interface IncidentRate {
  type: RatedType;
  subjects: Selection;
  /** Mean incidents per subject per day. */
  perDay: number;
  /** mainsOutage and absence: how long each lasts. */
  minutes: number;
}

/** A Poisson-distributed count with mean `mean` (Knuth's method: means here are small). */
function poisson(mean: number, rnd: () => number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rnd(); p > limit; p *= rnd()) k++;
  return k;
}

/** [start, end) in UTC s of an incident that lasts. */
function span(s: Scenario, inc: Incident): [number, number] {
  const at = incidentAt(s, inc);
  return [at, at + Math.round(inc.minutes * 60)];
}

/** The rated incidents that fit among `existing` (scripted and routine ones). */
export function expandRates(s: Scenario, rates: IncidentRate[], existing: Incident[]): Incident[] {
  const end = s.start + s.hours * 3600;
  const days = Math.ceil(s.hours / 24) + 1;
  const taken: Incident[][] = Array.from({ length: s.subjects }, () => []);
  existing.forEach((inc, k) => {
    if (inc.type === "cellOutage") return;
    for (const i of selected(s, inc, k)) taken[i].push(inc);
  });
  const fits = (i: number, inc: Incident): boolean => {
    const [a, b] = span(s, inc);
    return taken[i].every((t) => {
      if (t.type !== inc.type) return true;
      // a cut strap stays latched, a flat cell stays flat: a second one raises nothing
      if (inc.type === "strapCut" || inc.type === "tagBatteryLow") return false;
      const [c, d] = span(s, t);
      return b <= c || d <= a;
    });
  };
  const out: Incident[] = [];
  rates.forEach((r, ri) => {
    // Subjects are chosen as for an incident, with an index past the incidents' and routines'.
    const who = selected(
      s,
      { type: r.type, subjects: r.subjects, at: "00:00", day: 0, minutes: r.minutes, area: "" },
      2000 + ri,
    );
    for (let day = 0; day <= days; day++) {
      for (const i of who) {
        const rnd = seeded(s.seed, 2000 + ri, i, day);
        for (let n = poisson(r.perDay, rnd); n > 0; n--) {
          const minute = Math.floor(rnd() * 1440);
          const inc: Incident = {
            type: r.type,
            subjects: [i],
            at: hhmmOf(minute),
            day,
            minutes: INSTANT_TYPES.includes(r.type) ? 0 : r.minutes,
            area: "",
          };
          const at = incidentAt(s, inc);
          if (at < s.start || at >= lastStart(inc.type, end) || !fits(i, inc)) continue;
          taken[i].push(inc);
          out.push(inc);
        }
      }
    }
  });
  return out;
}
