// Events raised by the home unit's presence code, as plain objects (SPEC §7 `event` without the
// sequence number, which the event queue assigns). `time` is the unit's wall clock in UTC seconds;
// every module takes it as an argument (`utcS`) next to a monotonic `nowMs` used for intervals,
// so a clock correction (`clock_set`) never looks like minutes of silence.

import type { EventDataOf } from "@em-platform/protocol/core/events";

export type EventData = { [key: number]: number | string };

export interface UnitEvent {
  code: number;
  /** UTC seconds: when the event happened. */
  time: number;
  /** The tag concerned (0 when not known). */
  tagId: number;
  data: EventData | null;
}

/** Where a module hands its events (the app's event queue). Set once, never per beacon. */
export type EventSink = (e: UnitEvent) => void;

/** An event whose data the catalog's type for `code` checks (EventDataOf, SPEC §9). */
export function unitEvent<C extends number>(
  code: C,
  time: number,
  tagId: number,
  data: EventDataOf<C>,
): UnitEvent {
  // Optional keys are absent, never undefined: the catalog's types fit EventData at run time.
  return { code: code, time: time, tagId: tagId, data: data as EventData | null };
}

/** Whole seconds in a millisecond span (floors; never negative). */
export function wholeSeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.floor(ms / 1000);
}
