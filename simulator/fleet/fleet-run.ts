// A fleet of virtual offenders against a real broker: every home runs the real tag and home-unit
// firmware on virtual hardware, its virtual SIM800 opens real TCP connections, and the reference
// receiver plays the monitoring centre. A seeded scenario injects incidents — strap cuts, mains
// outages, a packet-data outage over one cell — and the run ends by checking the centre against
// ground truth: every injected alarm arrived, every unit's event sequence is complete, nothing
// was forged, replayed or lost. `npm start` runs it on the embedded broker.

import { EventCode } from "../../protocol/src/core/events";
import type { RunningBroker } from "../broker/broker";
import { Outage } from "../modem/network";
import { SeededRandom } from "../modem/seeded-random";
import { UplinkWorld } from "../world/uplink-world";
import type { VirtualHome } from "../world/virtual-home";

export interface FleetOptions {
  broker: RunningBroker;
  root: Uint8Array;
  epochMs: number;
  homes: number;
  /** Virtual duration of the scenario, after every unit is online. */
  minutes: number;
  seed: number;
  log: (line: string) => void;
}

/** What the scenario did to one home, and so what the centre must have seen. */
interface Truth {
  home: VirtualHome;
  cutAtMin: number | null;
  mainsOutMin: [number, number] | null;
}

export interface FleetResult {
  ok: boolean;
  lines: string[];
}

const MINUTE = 60_000;

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const rnd = new SeededRandom(o.seed);
  const random = () => rnd.next();
  const w = await UplinkWorld.start({ broker: o.broker, root: o.root, epochMs: o.epochMs });
  try {
    const truths: Truth[] = [];
    for (let i = 0; i < o.homes; i++) {
      const home = w.addHome({
        unitId: 0x10000 + i,
        tagId: 0x200000 + i,
        number: "+3712" + String(1000000 + i),
        area: i % 2 === 0 ? "riga-centre" : "riga-east",
        seed: o.seed + i,
        rssi: -55 - Math.floor(random() * 20),
      });
      truths.push({
        home: home,
        cutAtMin: random() < 0.4 ? 5 + Math.floor(random() * (o.minutes - 10)) : null,
        mainsOutMin:
          random() < 0.3 ? [2 + Math.floor(random() * 10), 10 + Math.floor(random() * 20)] : null,
      });
    }
    o.log(
      `fleet: ${o.homes} homes, ${o.minutes} virtual minutes, seed ${o.seed}, broker ${o.broker.url}`,
    );
    await w.fastForward(
      () => w.homes.every((h) => w.receiver.status(h.unitId)?.status === "online"),
      15 * MINUTE,
      "every unit online",
      120_000,
    );
    o.log("fleet: every unit online");

    // The scenario, on the world's clock.
    const east = w.network.area("riga-east");
    w.network.scheduleOutage(east, Outage.packet, 20 * MINUTE, 15 * MINUTE);
    for (const t of truths) {
      if (t.cutAtMin !== null) w.clock.schedule(() => t.home.cutStrap(), t.cutAtMin * MINUTE, 0);
      if (t.mainsOutMin !== null) {
        const [at, len] = t.mainsOutMin;
        w.clock.schedule(() => t.home.setMains(false), at * MINUTE, 0);
        w.clock.schedule(() => t.home.setMains(true), (at + len) * MINUTE, 0);
      }
    }
    await w.runFor(o.minutes * MINUTE, 600_000);
    await w.fastForward(
      () => w.homes.every((h) => h.app.queue.stats().pending === 0),
      30 * MINUTE,
      "every queue drained",
      120_000,
    );

    // The check: the centre against ground truth.
    const lines: string[] = [];
    let events = 0;
    let bySms = 0;
    let dupEvents = 0;
    const problems: string[] = [];
    for (const t of truths) {
      const id = t.home.unitId;
      const got = w.receiver.events(id);
      events += got.length;
      bySms += got.filter((e) => e.path === "sms").length;
      const tally = w.receiver.tally(id);
      dupEvents += tally.duplicateEvents;
      const missing = w.receiver.missingSeqs(id, 0);
      if (missing.length > 0)
        problems.push(`unit ${id.toString(16)}: seqs missing ${missing.join(",")}`);
      if (tally.replays > 0 || tally.tooFarAhead > 0)
        problems.push(
          `unit ${id.toString(16)}: ${tally.replays} replays, ${tally.tooFarAhead} too far ahead`,
        );
      const cuts = w.receiver.withCode(id, EventCode.strapTamper).length;
      if ((t.cutAtMin !== null ? 1 : 0) !== cuts)
        problems.push(
          `unit ${id.toString(16)}: ${cuts} strap_tamper, expected ${t.cutAtMin !== null ? 1 : 0}`,
        );
      const lost = w.receiver.withCode(id, EventCode.mainsLost).length;
      if ((t.mainsOutMin !== null ? 1 : 0) !== lost)
        problems.push(
          `unit ${id.toString(16)}: ${lost} mains_lost, expected ${t.mainsOutMin !== null ? 1 : 0}`,
        );
    }
    const forged = w.receiver.forged();
    if (forged > 0) problems.push(`${forged} forged envelopes`);
    const ok = problems.length === 0;
    const cuts = truths.filter((t) => t.cutAtMin !== null).length;
    const outages = truths.filter((t) => t.mainsOutMin !== null).length;
    lines.push(
      "| homes | strap cuts | mains outages | events at the centre | of them by SMS | duplicate events (deduped) | problems |",
    );
    lines.push("|--:|--:|--:|--:|--:|--:|--:|");
    lines.push(
      `| ${o.homes} | ${cuts} | ${outages} | ${events} | ${bySms} | ${dupEvents} | ${problems.length} |`,
    );
    for (const p of problems) lines.push("problem: " + p);
    return { ok: ok, lines: lines };
  } finally {
    await w.stop();
  }
}
