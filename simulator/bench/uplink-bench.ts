// npm run bench:uplink — one home unit (real firmware) on the virtual SIM800 against the embedded
// broker, measured at the reference receiver:
//
// 1. Alarm latency: strap cut at the tag → strap_tamper verified at the centre, over ≥ 200 cuts.
//    Each cut is a new incident: between cuts the strap is closed again and the centre re-arms
//    the tag with a signed tag command sent as a rearm_tag downlink (MQTT → unit → "GATT" → tag),
//    the way an officer clears a tamper; the next cut then raises a fresh strap_tamper. Only the
//    cut → arrival leg is timed, with the pump running (no fast-forward), so arrival stamps are
//    exact to one pump tick. Virtual time is what a unit in the field would see (the modem's
//    latencies are virtual, SIM800 figures with ±20 % jitter); real time is this machine's wall
//    clock at the chosen speed, and includes real broker hops ×1.
// 2. Drain rate: 10,000 events appended at once to the unit's flash queue while it is online
//    (directly through app.queue — generating 10,000 through the inputs would only take longer),
//    until the last is at the centre: events per second in virtual time (what a SIM800 unit can
//    push) and in real time (what this simulator pushes at the chosen speed).
//
// A script, not a test. Options: --cuts N (200), --backlog N (10000), --speed S (10; virtual ms
// per real ms: real hops count S times in virtual time, so keep it low for latency fidelity).

import { parseArgs } from "node:util";
import { CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { sha256 } from "@em-platform/protocol/core/sha256";
import {
  encodeTagCommand,
  RearmMask,
  TagCommandCode,
} from "@em-platform/protocol/core/tag-command";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { UplinkWorld } from "../world/uplink-world";
import type { VirtualHome } from "../world/virtual-home";

const { values } = parseArgs({
  options: {
    cuts: { type: "string", default: "200" },
    backlog: { type: "string", default: "10000" },
    speed: { type: "string", default: "10" },
  },
});
const CUTS = Number(values.cuts);
const BACKLOG = Number(values.backlog);
const SPEED = Number(values.speed);

const ROOT = new Uint8Array(32).map((_, i) => i);
const UNIT = 0xbe7c;
const TAG = 0xbe7a;
const MINUTE = 60_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

function row(cells: (string | number)[]): string {
  return "| " + cells.join(" | ") + " |";
}

const ms = (v: number) => (v / 1000).toFixed(3) + " s";

async function latencyRun(w: UplinkWorld, h: VirtualHome) {
  const virtual: number[] = [];
  const real: number[] = [];
  let tagCounter = 1;
  const tagKey = w.keyring.key(KeyPurpose.tagCommand, TAG, 1);
  if (tagKey === null) throw new Error("no tag command key");
  const arrivals = new Map<number, number>();
  w.receiver.onEvent((e) => {
    if (e.code === EventCode.strapTamper) arrivals.set(e.seq, performance.now());
  });
  for (let i = 0; i < CUTS; i++) {
    const count = () => w.receiver.withCode(UNIT, EventCode.strapTamper).length;
    const before = count();
    const cutVirtual = w.nowMs();
    const cutReal = performance.now();
    h.cutStrap();
    await w.until(() => count() > before, 30_000, "strap_tamper " + i);
    const e = w.receiver.withCode(UNIT, EventCode.strapTamper)[before];
    virtual.push(e.atMs - cutVirtual);
    real.push((arrivals.get(e.seq) ?? Number.NaN) - cutReal);

    // Close the strap, then re-arm the tag from the centre (refused while the strap is open).
    const restored = w.receiver.withCode(UNIT, EventCode.strapRestored).length;
    h.restoreStrap();
    await w.fastForward(
      () => w.receiver.withCode(UNIT, EventCode.strapRestored).length > restored,
      MINUTE,
      "strap_restored",
    );
    const rearmed = w.receiver.withCode(UNIT, EventCode.tagTamperRearmed).length;
    const frame = encodeTagCommand(sha256, tagKey, {
      tagId: TAG,
      counter: tagCounter++,
      keyVersion: 1,
      code: TagCommandCode.rearm,
      arg: RearmMask.strap,
    });
    await w.receiver.sendCommand(UNIT, CommandCode.rearmTag, { 1: frame });
    await w.fastForward(
      () => w.receiver.withCode(UNIT, EventCode.tagTamperRearmed).length > rearmed,
      MINUTE,
      "tag_tamper_rearmed",
    );
  }
  return { virtual, real };
}

async function drainRun(w: UplinkWorld, h: VirtualHome) {
  await w.fastForward(() => h.app.queue.stats().pending === 0, 10 * MINUTE, "queue empty");
  const first = h.app.queue.peekSeq();
  const t = Math.floor(w.nowMs() / 1000);
  for (let i = 0; i < BACKLOG; i++)
    h.app.queue.append(t, i % 2 === 0 ? EventCode.mainsLost : EventCode.mainsRestored, null, {
      1: 4000,
    });
  const last = h.app.queue.peekSeq() - 1;
  const startVirtual = w.nowMs();
  const startReal = performance.now();
  // Pump only: real hops stay part of the figure, as on a live link.
  await w.until(() => w.receiver.event(UNIT, last) !== null, 600_000, "backlog at the centre");
  const virtualS = (w.nowMs() - startVirtual) / 1000;
  const realS = (performance.now() - startReal) / 1000;
  let missing = 0;
  for (let s = first; s <= last; s++) if (w.receiver.event(UNIT, s) === null) missing++;
  return { events: last - first + 1, virtualS, realS, missing, tally: w.receiver.tally(UNIT) };
}

const broker = await startEmbeddedBroker();
const w = await UplinkWorld.start({
  broker: broker,
  root: ROOT,
  epochMs: Date.UTC(2026, 10, 23, 8, 0, 0),
  speed: SPEED,
});
try {
  const h = w.addHome({
    unitId: UNIT,
    tagId: TAG,
    number: "+37120009999",
    queueSegments: 160,
  });
  await w.fastForward(
    () => w.receiver.status(UNIT)?.status === "online" && h.app.queue.stats().pending === 0,
    10 * MINUTE,
    "unit online",
  );

  const lat = await latencyRun(w, h);
  const v = lat.virtual.slice().sort((a, b) => a - b);
  const r = lat.real.slice().sort((a, b) => a - b);
  const drain = await drainRun(w, h);

  console.log(
    `## Uplink: one unit, virtual SIM800, embedded aedes, pump speed ${SPEED}× (coverage, no faults)\n`,
  );
  console.log("### Strap cut → strap_tamper verified at the centre (" + CUTS + " cuts)\n");
  console.log(row(["clock", "p50", "p99", "max", "mean", "goal p99"]));
  console.log(row(["---", "---", "---", "---", "---", "---"]));
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  console.log(
    row([
      "virtual",
      ms(percentile(v, 50)),
      ms(percentile(v, 99)),
      ms(v[v.length - 1]),
      ms(mean(v)),
      "≤ 2 s",
    ]),
  );
  console.log(
    row([
      `real (at ${SPEED}×)`,
      ms(percentile(r, 50)),
      ms(percentile(r, 99)),
      ms(r[r.length - 1]),
      ms(mean(r)),
      "—",
    ]),
  );
  console.log(`\np99 virtual ${percentile(v, 99) <= 2000 ? "meets" : "MISSES"} the 2 s goal.`);
  console.log("\n### Backlog drain\n");
  console.log(
    row([
      "events",
      "virtual s",
      "events/s (virtual)",
      "real s",
      "events/s (real)",
      "missing",
      "dup frames",
      "dup events",
    ]),
  );
  console.log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
  console.log(
    row([
      drain.events,
      drain.virtualS.toFixed(1),
      (drain.events / drain.virtualS).toFixed(1),
      drain.realS.toFixed(1),
      (drain.events / drain.realS).toFixed(1),
      drain.missing,
      drain.tally.duplicateFrames,
      drain.tally.duplicateEvents,
    ]),
  );
  const mq = h.uplink.mqtt.stats;
  console.log(
    `\nMQTT: ${mq.published} publishes, ${mq.acked} acked, ${mq.resentOnTimeout} resent on timeout, ${mq.connects} connects; rejected at the centre: ${JSON.stringify(w.receiver.rejected)}`,
  );
} finally {
  await w.stop();
  await broker.stop();
}
