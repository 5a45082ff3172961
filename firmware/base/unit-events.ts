// Every event of the home unit enters the flash queue here. A queue full of alarms refuses a new
// event (event-queue.ts): never silently. Refused alarms wait in RAM (the newest REFUSED_KEPT)
// until an acknowledgement makes room; then one queue_refused counts every refused event and how
// many of them were lost (not alarms, or pushed out of RAM).
//
// Device code (DEVICE-JS subset).

import type { CborMap } from "@em-platform/protocol/core/cbor";
import {
  EventClass,
  EventCode,
  eventClass,
  type QueueRefusedData,
} from "@em-platform/protocol/core/events";
import type { UnitEvent } from "./presence/presence-event";
import { type UnitCore, unitUtc } from "./unit-core";

/** Refused alarms kept in RAM while the queue is full (~10 JsVars each, only while it is). */
const REFUSED_KEPT = 8;

function append(u: UnitCore, e: UnitEvent): boolean {
  const r = u.queue.append(e.time, e.code, e.tagId ? e.tagId : null, e.data as CborMap | null);
  if (!r.ok) return false;
  if (e.code === EventCode.tagNotHeard) u.notHeardSeq = r.value;
  else if (e.code === EventCode.tagHeardAgain) u.notHeardSeq = -1;
  return true;
}

/** Queues an event; a refused one is counted, and kept while it is an alarm. */
export function report(u: UnitCore, e: UnitEvent): void {
  if (append(u, e)) return;
  u.refused++;
  if (eventClass(e.code) !== EventClass.alarm) u.refusedLost++;
  else if (u.refusedKept.push(e) > REFUSED_KEPT) {
    u.refusedKept.shift();
    u.refusedLost++;
  }
}

/** After an ack: the kept alarms go into the queue, then the report, as far as room allows. */
export function requeueRefused(u: UnitCore): void {
  const kept = u.refusedKept;
  while (kept.length > 0 && append(u, kept[0])) kept.shift();
  if (kept.length > 0) return;
  const data: QueueRefusedData = { 1: u.refused, 2: u.refusedLost };
  if (!u.queue.append(unitUtc(u), EventCode.queueRefused, null, data).ok) return;
  u.refused = 0;
  u.refusedLost = 0;
}
