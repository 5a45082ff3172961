// The reference receiver as a centre: its verified events turned into alerts, one per fact
// (simulator/scenario/alerts.ts). A strap cut starts when the strap opened, as the tag's latch
// age places it (SPEC §9 key 1). A curfew violation is one alert from its start to its end; a
// tag_not_heard that the violation names (key 4, SPEC §9) is part of it, not a second alert;
// forged, replayed and flooded frames are one "radio_attack" alert per episode: the unit reports
// an ongoing attack once per report period (SPEC §9), and a report that follows the last within
// that period (and a margin for the tick and the queue) continues the same alert; a suspected
// relay is a "live_relay" alert (the unit raises it once per episode).

import { EventCode } from "@em-platform/protocol/core/events";
import { unitIdText } from "@em-platform/protocol/core/topics";
import type { Alert } from "../scenario/alerts";
import type { ReceivedEvent } from "./reference-receiver";

/** Reports of an attack further apart than this are two episodes: the unit's report period
 * (10 min) and 2 min for the tick that flushes a report and the queue behind it. */
export const ATTACK_EPISODE_S = 12 * 60;

export function observedAlerts(unitId: number, events: ReceivedEvent[]): Alert[] {
  const subject = unitIdText(unitId);
  const out: Alert[] = [];
  const linked = new Set<number>();
  for (const e of events)
    if (
      e.code === EventCode.curfewViolationStart &&
      e.data !== null &&
      typeof e.data[4] === "number"
    )
      linked.add(e.data[4]);
  let mains: Alert | null = null;
  let tamper: Alert | null = null;
  let violation: Alert | null = null;
  let lastAttackReport = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    const reportedAt = Math.floor(e.atMs / 1000);
    const alert = (type: Alert["type"]): Alert => ({
      subject,
      type,
      start: e.time,
      end: null,
      reportedAt,
    });
    switch (e.code) {
      case EventCode.strapTamper: {
        // When the strap opened, if the tag said (SPEC §9 key 1): a cut far from home is heard
        // hours later, and its time is the cut's, not the return's.
        const a = alert("strap_tamper");
        if (e.data !== null && typeof e.data[1] === "number") a.start = e.data[1];
        out.push(a);
        break;
      }
      case EventCode.mainsLost:
        mains = alert("mains_lost");
        out.push(mains);
        break;
      case EventCode.mainsRestored:
        if (mains !== null) mains.end = e.time;
        mains = null;
        break;
      case EventCode.unitTamper:
        // one alert per opening: a second kind (tilted, moved) while open continues it
        if (tamper === null) {
          tamper = alert("unit_tamper");
          out.push(tamper);
        }
        break;
      case EventCode.tagBatteryLow:
        out.push(alert("tag_battery_low"));
        break;
      case EventCode.relaySuspected:
        out.push(alert("live_relay"));
        break;
      case EventCode.unitTamperCleared:
        if (tamper !== null) tamper.end = e.time;
        tamper = null;
        break;
      case EventCode.curfewViolationStart:
        violation = alert("curfew_violation");
        out.push(violation);
        break;
      case EventCode.curfewViolationEnd:
        if (violation !== null) violation.end = e.time;
        violation = null;
        break;
      case EventCode.tagNotHeard:
        if (!linked.has(e.seq)) out.push(alert("tag_not_heard"));
        break;
      case EventCode.forgedFrameSeen:
      case EventCode.replayedFrameSeen:
      case EventCode.frameTooFarAhead:
      case EventCode.beaconFlood:
        if (e.time - lastAttackReport > ATTACK_EPISODE_S) out.push(alert("radio_attack"));
        lastAttackReport = e.time;
        break;
    }
  }
  return out;
}
