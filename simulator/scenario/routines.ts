// Daily routines: instead of scripting every absence, a scenario says when a group of subjects
// leaves and comes back (work, school), how much that varies, and how often one comes back late.
// Each routine becomes, per subject and local day of the run, one absence incident at a seeded
// time — so a fleet lives a realistic week, the same for the same seed, and the ground truth
// (ground-truth.ts) is computed from those absences as from any other. A day whose leave time
// falls outside the run is not played: a routine covers the run, nothing more.

import {
  hhmmOf,
  type Incident,
  localMidnight,
  minuteOfDay,
  type Scenario,
  type Selection,
  selected,
} from "./scenario";
import { seeded } from "./seeded-random";

export interface Routine {
  subjects: Selection;
  /** Local "HH:MM" of leaving and coming back, the same day. */
  leave: string;
  back: string;
  /** Each leave and each return is moved by up to ± this many minutes (uniform, seeded). */
  jitterMinutes: number;
  /** The chance (0…1) that a day's return is late, and by how many minutes. */
  late: { probability: number; minutes: number };
  /** Monday to Friday only (local), or every day. */
  weekdaysOnly: boolean;
}

export function expandRoutines(s: Scenario, routines: Routine[]): Incident[] {
  const out: Incident[] = [];
  const end = s.start + s.hours * 3600;
  const days = Math.ceil(s.hours / 24) + 1;
  routines.forEach((r, ri) => {
    // Subjects are chosen as for an incident, with an index past the incidents'.
    const who = selected(
      s,
      { type: "absence", subjects: r.subjects, at: r.leave, day: 0, minutes: 1, area: "" },
      1000 + ri,
    );
    for (let day = 0; day <= days; day++) {
      const midnight = localMidnight(s, day);
      const weekday = new Date((midnight + 12 * 3600) * 1000).getUTCDay(); // 0 Sunday
      if (r.weekdaysOnly && (weekday === 0 || weekday === 6)) continue;
      for (const subject of who) {
        const rnd = seeded(s.seed, ri, subject, day);
        const jitter = () => Math.round((rnd() * 2 - 1) * r.jitterMinutes);
        const leave = Math.max(0, Math.min(1439, minuteOfDay(r.leave) + jitter()));
        let back = minuteOfDay(r.back) + jitter();
        if (rnd() < r.late.probability) back += r.late.minutes;
        const minutes = Math.max(1, back - leave);
        const inc: Incident = {
          type: "absence",
          subjects: [subject],
          at: hhmmOf(leave),
          day,
          minutes,
          area: "",
        };
        const at = midnight + leave * 60;
        if (at >= s.start && at < end) out.push(inc);
      }
    }
  });
  return out;
}
