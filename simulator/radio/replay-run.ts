// `sim replay`: a recorded radio trace (advert-trace.ts — `lab sniff --record` from a real
// adapter, or one the simulator wrote) as one subject's whole radio: a home whose unit is paired
// with the trace's tag, its own tag silent, the trace played into the unit's scanner from the
// moment the unit is online; then what the real firmware made of every frame and what reached
// the centre. For a field capture ("why did this unit say the subject left?") replayed against
// the code that will run there.

import { parseBeacon } from "@em-platform/protocol/core/beacon";
import { EventCode } from "@em-platform/protocol/core/events";
import type { AcceptCounts } from "../../firmware/base/presence/beacon-acceptor";
import type { RunningBroker } from "../broker/broker";
import type { ReceivedEvent } from "../centre/reference-receiver";
import { UplinkWorld } from "../world/uplink-world";
import type { Advert } from "./advert-trace";
import { replayTrace } from "./trace-replay";

export interface ReplayResult {
  tagId: number;
  unitId: number;
  /** What the unit's beacon acceptor counted. */
  counts: AcceptCounts;
  /** Events the centre received from the unit after it came online, oldest first. */
  events: ReceivedEvent[];
}

/** The tag a trace speaks for: the id in its first frame that parses as a beacon. */
export function traceTagId(adverts: Advert[]): number | null {
  for (const a of adverts) {
    const b = parseBeacon(a.data);
    if (b.ok) return b.value.tagId;
  }
  return null;
}

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(EventCode).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())]),
);

export function eventName(code: number): string {
  return NAMES[code] ?? "0x" + code.toString(16);
}

export async function replayRun(
  adverts: Advert[],
  tagId: number,
  broker: RunningBroker,
  root: Uint8Array,
  epochMs: number,
): Promise<ReplayResult> {
  const unitId = 0x10000;
  const w = await UplinkWorld.start({ broker, root, epochMs, accelerated: true });
  try {
    const h = w.addHome({ unitId, tagId, number: "+37120000000", seed: 1 });
    h.radioOn = false; // the trace is the only radio
    await w.fastForward(
      () => w.receiver.status(unitId)?.status === "online",
      10 * 60_000,
      "the unit online",
      60_000,
    );
    const from = w.nowMs();
    const end = replayTrace(w.clock, (a) => h.hearAdvert(a), adverts);
    // Past the last frame by the unit's silence rule and a heartbeat, so what follows is sent.
    await w.runFor(end - w.clock.time + 20 * 60_000, 600_000);
    await w.fastForward(() => h.app.queue.stats().pending === 0, 30 * 60_000, "the queue drained");
    return {
      tagId,
      unitId,
      counts: { ...h.app.presence.acceptor.counts },
      events: w.receiver.events(unitId).filter((e) => e.atMs >= from),
    };
  } finally {
    await w.stop();
  }
}
