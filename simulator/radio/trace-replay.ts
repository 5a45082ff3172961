// Plays a radio trace (advert-trace.ts) — a real capture from `lab sniff --record`, or one the
// simulator recorded — into a virtual home's scanner on the virtual clock, each advertisement at
// its own offset from `startAt`. The home unit's real firmware judges the frames: a capture from
// the field replays against the code that will run there.

import type { VirtualClock } from "../../firmware/testing/virtual-clock";
import type { Advert } from "./advert-trace";

/** Schedules every advertisement; returns when the last one is due (virtual ms). */
export function replayTrace(
  clock: VirtualClock,
  hear: (a: Advert) => void,
  adverts: Advert[],
  startAt: number = clock.time,
): number {
  let end = startAt;
  for (const a of adverts) {
    const due = startAt + a.atMs;
    clock.schedule(() => hear(a), Math.max(0, due - clock.time), 0);
    end = Math.max(end, due);
  }
  return end;
}
