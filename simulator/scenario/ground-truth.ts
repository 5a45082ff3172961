// What a correct monitoring centre must raise, computed from what the world did — the schedule
// against where each subject was, the cuts, the outages — never from what the firmware reported.
// The rules (simulator/README.md, "Ground truth"):
// - strap_tamper: at the cut; a unit can know only once the subject is back in range.
// - mains_lost: from the plug being pulled to its return.
// - curfew_violation: home windows in the scenario's zone (by Intl, independently of the
//   unit's POSIX rule), adjacent or overlapping windows one stretch; a subject's schedule change
//   swaps its windows from the change on, and its exceptions cut (away permitted) or extend
//   (must be home) its stretches. Absent at a stretch's start:
//   from start + grace; leaving inside it: from the walk-out + grace; only if still absent then
//   (back at exactly the deadline is in time) and the deadline is before the stretch's end; it
//   ends at the return or the stretch's end, whichever is first.
// - radio_attack: a replay of the subject's recorded beacons, from its first frame (the unit
//   refuses them by counter or counter pace, SPEC §4; the scenario refuses a recording too young
//   for that). A neighbour's tag heard through the wall raises nothing and is no presence.
// - live_relay: a relay that carries the subject's tag radio home while he is away, from its
//   start (the unit needs 4 challenges to be sure; the scenario refuses relays it cannot
//   promise to catch, SPEC §15 attack 3). The absence it hides is no violation here: the centre
//   cannot see it, only the relay.
// - unit_tamper: from the unit's case opening to its closing.
// - tag_battery_low: when the tag's cell runs down, or the subject's return if he was away then
//   (the flag travels in the beacons; the tag confirms it within 20 minutes).
// - nothing else: no tag_not_heard (the violation is the alarm, SPEC §9); a unit reboot raises
//   nothing (and must lose nothing).
// Only facts inside the run count; stretches begin no earlier than the scenario's start (the
// schedule is delivered during the setup before it).

import { unitIdText } from "@em-platform/protocol/core/topics";
import { intlOffset } from "../centre/posix-tz";
import type { Alert, AlertType } from "./alerts";
import {
  incidentAt,
  localMidnight,
  minuteOfDay,
  type Scenario,
  selected,
  utcOfLocal,
} from "./scenario";

/** Incidents that last `minutes` at the unit: the alert they raise, open to over. */
const SPAN_ALERTS: Record<"caseOpen" | "mainsOutage", [AlertType, string]> = {
  caseOpen: ["unit_tamper", "the unit's case opened"],
  mainsOutage: ["mains_lost", "unplugged"],
};

/** The unit id of subject i (the fleet's numbering). */
export function unitIdOf(i: number): number {
  return 0x10000 + i;
}

export function runEnd(s: Scenario): number {
  return s.start + Math.round(s.hours * 3600);
}

/** Spans merged where they overlap or touch, in order. */
function merged(spans: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const r of spans.slice().sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Subject i's home stretches: the windows' with its exceptions applied — away permitted cuts
 * them, must be home adds to them (SPEC §10) — merged and cut to the run. */
export function subjectStretches(
  s: Scenario,
  i: number,
  windows: [number, number][],
): [number, number][] {
  let spans = windows;
  const end = runEnd(s);
  const span = (x: number, y: number): [number, number][] => (y > x ? [[x, y]] : []);
  s.incidents.forEach((inc, k) => {
    if (inc.type !== "exception" || !selected(s, inc, k).includes(i)) return;
    const a = incidentAt(s, inc);
    const b = a + Math.round(inc.minutes * 60);
    spans =
      inc.exception?.kind === "home"
        ? merged([...spans, ...span(Math.max(a, s.start), Math.min(b, end))])
        : spans.flatMap(([x, y]) =>
            b <= x || y <= a ? span(x, y) : [...span(x, a), ...span(b, y)],
          );
  });
  return spans;
}

/** Subject i's home stretches from its windows — the scenario's, or from a schedule change on
 * the changed ones (SPEC §11: the new schedule takes over at its valid-from) — with its
 * exceptions applied. */
export function stretchesOf(s: Scenario, i: number): [number, number][] {
  let windows = homeStretches(s);
  s.incidents.forEach((inc, k) => {
    if (inc.type !== "scheduleChange" || !selected(s, inc, k).includes(i)) return;
    const t = incidentAt(s, inc);
    const after = homeStretches(s, inc.schedule?.homeWindows);
    const cut = (spans: [number, number][], from: number, to: number) =>
      spans
        .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
        .filter(([a, b]) => b > a);
    windows = merged([...cut(windows, 0, t), ...cut(after, t, Number.POSITIVE_INFINITY)]);
  });
  return subjectStretches(s, i, windows);
}

/** Home stretches [from, to) in UTC seconds over the run (windows merged). */
export function homeStretches(s: Scenario, homeWindows = s.homeWindows): [number, number][] {
  const end = runEnd(s);
  const raw: [number, number][] = [];
  const days = Math.ceil(s.hours / 24) + 2;
  for (let d = -1; d < days; d++) {
    const mid = localMidnight(s, d);
    const local = mid + intlOffset(s.timeZone, mid);
    for (const w of homeWindows) {
      const f = minuteOfDay(w.from);
      let t = minuteOfDay(w.to);
      if (t <= f) t += 1440;
      const a = utcOfLocal(s.timeZone, local + f * 60);
      const b = utcOfLocal(s.timeZone, local + t * 60);
      const from = Math.max(a, s.start);
      const to = Math.min(b, end);
      if (to > from) raw.push([from, to]);
    }
  }
  return merged(raw);
}

/** Each subject's absences [leave, return) in UTC seconds (return may lie past the run). */
export function absences(s: Scenario): [number, number][][] {
  const out: [number, number][][] = Array.from({ length: s.subjects }, () => []);
  s.incidents.forEach((inc, k) => {
    if (inc.type !== "absence") return;
    const at = incidentAt(s, inc);
    for (const i of selected(s, inc, k)) out[i].push([at, at + Math.round(inc.minutes * 60)]);
  });
  for (const a of out) a.sort((x, y) => x[0] - y[0]);
  return out;
}

function awayAt(list: [number, number][], t: number): [number, number] | null {
  for (const a of list) if (a[0] <= t && t < a[1]) return a;
  return null;
}

export function expectedAlerts(s: Scenario): Alert[] {
  const end = runEnd(s);
  const away = absences(s);
  const out: Alert[] = [];
  s.incidents.forEach((inc, k) => {
    const at = incidentAt(s, inc);
    if (at < s.start || at >= end) return;
    for (const i of selected(s, inc, k)) {
      const subject = unitIdText(unitIdOf(i));
      if (inc.type === "strapCut") {
        const a = awayAt(away[i], at);
        const alert: Alert = {
          subject,
          type: "strap_tamper",
          start: at,
          end: null,
          cause: "strap cut",
        };
        if (a !== null) alert.detectableAt = a[1];
        if (a === null || a[1] < end) out.push(alert);
      } else if (inc.type === "replayAttack") {
        out.push({
          subject,
          type: "radio_attack",
          start: at,
          end: null,
          cause: `the tag's beacons of ${inc.recording?.at} replayed at the door`,
        });
      } else if (inc.type === "liveRelay") {
        const rt = inc.relayRoundTripMs ?? null;
        out.push({
          subject,
          type: "live_relay",
          start: at,
          end: null,
          cause:
            rt === null
              ? "a relay carried the tag's beacons home while he was away"
              : `a relay (${rt} ms round trip) carried the tag's radio home while he was away`,
        });
      } else if (inc.type === "tagBatteryLow") {
        // Away, the flag reaches the unit when he is back: the alert starts then.
        const a = awayAt(away[i], at);
        const heard = a === null ? at : a[1];
        if (heard < end)
          out.push({
            subject,
            type: "tag_battery_low",
            start: heard,
            end: null,
            cause: "tag battery neglected",
          });
      } else if (inc.type === "caseOpen" || inc.type === "mainsOutage") {
        const over = at + Math.round(inc.minutes * 60);
        const [type, cause] = SPAN_ALERTS[inc.type];
        out.push({ subject, type, start: at, end: over < end ? over : null, cause });
      }
    }
  });
  for (let i = 0; i < s.subjects; i++) {
    const subject = unitIdText(unitIdOf(i));
    for (const [ws, we] of stretchesOf(s, i))
      for (const [leave, ret] of away[i]) {
        if (ret <= ws || leave >= we) continue;
        const before = leave < ws;
        const deadline = (before ? ws : leave) + s.grace;
        if (ret <= deadline || deadline >= we) continue;
        const stop = Math.min(ret, we);
        out.push({
          subject,
          type: "curfew_violation",
          start: deadline,
          end: stop < end ? stop : null,
          cause: before ? "not back by the window's start + grace" : "left during a home window",
        });
      }
  }
  out.sort((a, b) => a.start - b.start || a.subject.localeCompare(b.subject));
  return out;
}
