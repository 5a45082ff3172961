// Runs a scenario: the fleet (the real firmware in every home, real TCP to a real broker, the
// reference receiver as the centre) set up during a few virtual minutes before the scenario's
// start — every unit online, the schedule template sent to each through the signed downlink
// path and acknowledged — then the incidents at their local times, then the queues drained;
// the centre's alerts checked against the ground truth.

import type { CborMap } from "@em-platform/protocol/core/cbor";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { encodeSchedule, type Schedule } from "../../firmware/base/schedule/schedule";
import type { RunningBroker } from "../broker/broker";
import { observedAlerts } from "../centre/observed-alerts";
import { posixTzFromIana } from "../centre/posix-tz";
import { type CheckResult, checkAlerts } from "../check/alert-check";
import { Outage } from "../modem/network";
import { RadioMedium } from "../radio/medium";
import { replayTrace } from "../radio/trace-replay";
import { HomeMovement } from "../world/home-movement";
import { type HomeSpec, UplinkWorld } from "../world/uplink-world";
import type { VirtualHome } from "../world/virtual-home";
import type { Alert } from "./alerts";
import { expectedAlerts, runEnd, unitIdOf } from "./ground-truth";
import {
  AREAS,
  commandSentAt,
  type HomeWindow,
  type Incident,
  incidentAt,
  minuteOfDay,
  recordingOf,
  type Scenario,
  selected,
} from "./scenario";
import { checkSplit, type Shard, subjectIdsOf, subjectsOf } from "./shards";

/** Virtual time before the start for the units to come online and take their schedule. */
export const SETUP_S = 15 * 60;
const MINUTE = 60_000;
/** A CR2032 run down: under the tag's 2,600 mV low threshold (firmware/tag/tag-config.ts). */
const NEGLECTED_CELL_MV = 2450;

/** One line of the message log. */
export interface LoggedMessage {
  /** The centre's clock, ISO 8601 UTC to the ms. */
  at: string;
  /** "in": taken from the broker; "out": a downlink published. */
  dir: "in" | "out";
  topic: string;
  /** The payload. */
  hex: string;
}

export interface ScenarioRun {
  expected: Alert[];
  observed: Alert[];
  check: CheckResult;
  /** Events the centre received, all units. */
  events: number;
  /** The same by event code (SPEC §9). */
  eventsByCode: Record<number, number>;
  /** The message log: every message the centre took or sent, in order (messages.jsonl, one
   * JSON object each): the same scenario and seed give the same bytes. */
  messages: LoggedMessage[];
  realS: number;
}

/** The schedule the centre sends: the scenario's windows from before the start, or a change's
 * from its valid-from (version 2). */
export function scheduleOf(
  s: Scenario,
  change?: { homeWindows: HomeWindow[]; from: number },
): Schedule {
  const windows = [];
  for (let d = 0; d < 7; d++)
    for (const w of change?.homeWindows ?? s.homeWindows) {
      const from = minuteOfDay(w.from);
      const length = (minuteOfDay(w.to) - from + 1440) % 1440;
      windows.push({ weekday: d, start: from, length: length, kind: 1 });
    }
  return {
    version: change === undefined ? 1 : 2,
    validFrom: change?.from ?? s.start - SETUP_S,
    // a schedule must be valid for 7 days at least (SPEC §11)
    validTo: Math.max(runEnd(s) + 2 * 86400, s.start + 8 * 86400),
    timeZone: posixTzFromIana(s.timeZone, s.start),
    grace: s.grace,
    windows: windows,
  };
}

/** Subject i's home in a fleet of this seed: its ids, SIM number, cell, seed and RSSI. */
export function subjectHome(seed: number, i: number): HomeSpec {
  return {
    unitId: unitIdOf(i),
    tagId: 0x200000 + i,
    number: "+3712" + String(1000000 + i),
    area: AREAS[i % AREAS.length],
    seed: seed + i,
    rssi: -55 - ((seed + i * 7) % 20),
  };
}

export interface RunOptions {
  /** Virtual time follows real time (× the pump's speed) and the units open real TCP sockets,
   * as against an external broker. Default: accelerated when the broker takes in-process
   * connections (the embedded one), real time otherwise. */
  realTime?: boolean;
  /** Simulate only this shard's subjects (shards.ts); expected alerts are theirs alone. */
  shard?: Shard;
}

export async function runScenario(
  s: Scenario,
  broker: RunningBroker,
  root: Uint8Array,
  progress: (line: string) => void,
  o: RunOptions = {},
): Promise<ScenarioRun> {
  const t0 = performance.now();
  const w = await UplinkWorld.start({
    broker,
    root,
    epochMs: (s.start - SETUP_S) * 1000,
    accelerated: !o.realTime && broker.attach !== undefined,
  });
  try {
    const messages: LoggedMessage[] = [];
    w.receiver.onTraffic((m) =>
      messages.push({
        at: new Date(m.atMs).toISOString(),
        dir: m.dir,
        topic: m.topic,
        hex: Buffer.from(m.payload).toString("hex"),
      }),
    );
    const homes: VirtualHome[] = [];
    /** By subject index; undefined for another shard's subjects. */
    const bySubject: (VirtualHome | undefined)[] = [];
    // Only a replay attack reads what a tag sent; nobody else's tag keeps its frames.
    const recorded = new Set<number>();
    s.incidents.forEach((inc, k) => {
      if (inc.type === "replayAttack") for (const i of selected(s, inc, k)) recorded.add(i);
    });
    if (o.shard !== undefined) checkSplit(s, o.shard.count);
    const mine =
      o.shard === undefined ? subjectsOf(s, { index: 0, count: 1 }) : subjectsOf(s, o.shard);
    for (const i of mine) {
      const h = w.addHome(subjectHome(s.seed, i));
      h.tag.hw.keepAdverts = recorded.has(i);
      if (s.movement) {
        h.medium = new RadioMedium(s.seed * 65537 + i);
        h.movement = new HomeMovement(w.clock, s.seed * 65537 + i);
      }
      homes.push(h);
      bySubject[i] = h;
    }
    await w.fastForward(
      () => homes.every((h) => w.receiver.status(h.unitId)?.status === "online"),
      SETUP_S * 1000 * 0.6,
      "every unit online",
      120_000,
    );
    progress(`setup: ${homes.length} units online`);
    const schedule = { 1: encodeSchedule(scheduleOf(s)) };
    const sent: number[] = [];
    for (const h of homes)
      sent.push(await w.receiver.sendCommand(h.unitId, CommandCode.setSchedule, schedule));
    const acked = () =>
      homes.every((h, i) =>
        w.receiver.acks(h.unitId, sent[i]).some((a) => a.data?.[3] === AckResult.ok),
      );
    await w.fastForward(acked, SETUP_S * 1000 * 0.3, "every schedule acknowledged", 120_000);
    progress("setup: every unit took the schedule");

    const nowS = () => Math.floor(w.nowMs() / 1000);
    const inMs = (utcS: number) => Math.max(0, utcS * 1000 - w.nowMs());
    /** Exceptions and schedule changes sent: the unit, the downlink counter, when it begins. */
    const timed: { unitId: number; counter: Promise<number>; start: number; what: string }[] = [];
    const sendAhead = (
      h: VirtualHome,
      inc: Incident,
      code: number,
      args: CborMap,
      what: string,
    ) => {
      const start = incidentAt(s, inc);
      w.clock.schedule(
        () => {
          const counter = w.receiver.sendCommand(h.unitId, code, args);
          counter.catch(() => {}); // awaited, and so reported, after the run
          timed.push({ unitId: h.unitId, counter, start, what });
        },
        inMs(commandSentAt(s, inc)),
        0,
      );
    };
    s.incidents.forEach((inc, k) => {
      const at = incidentAt(s, inc);
      if (at < s.start || at >= runEnd(s)) return;
      const lenMs = Math.round(inc.minutes * MINUTE);
      if (inc.type === "cellOutage") {
        w.network.scheduleOutage(w.network.area(inc.area), Outage.packet, inMs(at), lenMs);
        return;
      }
      for (const i of selected(s, inc, k)) {
        const h = bySubject[i];
        if (h === undefined) continue;
        if (inc.type === "exception") {
          sendAhead(
            h,
            inc,
            CommandCode.addException,
            {
              1: k + 1,
              2: at,
              3: at + Math.round(inc.minutes * 60),
              4: inc.exception?.kind === "home" ? 2 : 1,
              5: inc.minutes > 120,
            },
            "the exception",
          );
        } else if (inc.type === "scheduleChange") {
          const change = { homeWindows: inc.schedule?.homeWindows ?? [], from: at };
          sendAhead(
            h,
            inc,
            CommandCode.setSchedule,
            { 1: encodeSchedule(scheduleOf(s, change)) },
            "the schedule change",
          );
        } else if (inc.type === "replayAttack") {
          const [from, to] = recordingOf(s, inc).map((t) => t * 1000 - w.clock.epochMs);
          // Recorded from the tag's own transmissions, whether the unit heard them or not.
          w.clock.schedule(
            () =>
              replayTrace(
                w.clock,
                (a) => h.hearAdvert(a),
                h.tag.board.advertiser.log
                  .filter((r) => r.atMs >= from && r.atMs < to)
                  .map((r) => ({ ...r, atMs: r.atMs - from, address: "recorder", rssi: -60 })),
              ),
            inMs(at),
            0,
          );
        } else if (inc.type === "neighbourTag") {
          const next = bySubject[(i + 1) % s.subjects] as VirtualHome; // checkSplit
          w.clock.schedule(() => next.heardNextDoor.add(h), inMs(at), 0);
          w.clock.schedule(() => next.heardNextDoor.delete(h), inMs(at) + lenMs, 0);
        } else if (inc.type === "strapCut") w.clock.schedule(() => h.cutStrap(), inMs(at), 0);
        else if (inc.type === "unitReboot") w.clock.schedule(() => h.rebootUnit(), inMs(at), 0);
        else if (inc.type === "tagBatteryLow")
          w.clock.schedule(
            () => {
              h.tag.hw.battery.mv = NEGLECTED_CELL_MV;
            },
            inMs(at),
            0,
          );
        else if (inc.type === "caseOpen") {
          w.clock.schedule(() => h.setCaseClosed(false), inMs(at), 0);
          w.clock.schedule(() => h.setCaseClosed(true), inMs(at) + lenMs, 0);
        } else if (inc.type === "mainsOutage") {
          w.clock.schedule(() => h.setMains(false), inMs(at), 0);
          w.clock.schedule(() => h.setMains(true), inMs(at) + lenMs, 0);
        } else if (inc.type === "liveRelay") {
          const relay = { roundTripMs: inc.relayRoundTripMs ?? null };
          w.clock.schedule(
            () => {
              h.radioOn = false;
              h.relay = relay;
            },
            inMs(at),
            0,
          );
          w.clock.schedule(
            () => {
              h.relay = null;
              h.radioOn = true;
              h.movement?.cameIn();
            },
            inMs(at) + lenMs,
            0,
          );
        } else {
          w.clock.schedule(
            () => {
              h.radioOn = false;
            },
            inMs(at),
            0,
          );
          w.clock.schedule(
            () => {
              h.radioOn = true;
              h.movement?.cameIn();
            },
            inMs(at) + lenMs,
            0,
          );
        }
      }
    });
    const end = runEnd(s);
    const hour = 3600;
    while (nowS() < end) {
      await w.runFor(Math.min(hour, end - nowS()) * 1000, 600_000);
      const alerts = homes.reduce(
        (n, h) => n + observedAlerts(h.unitId, w.receiver.events(h.unitId)).length,
        0,
      );
      const online = homes.filter((h) => w.receiver.status(h.unitId)?.status === "online").length;
      progress(
        `${new Date(w.nowMs()).toISOString().slice(0, 16)}Z  ${online}/${homes.length} online  ${messages.length} messages  ${alerts} alerts  ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
    await w.fastForward(
      () => homes.every((h) => h.app.queue.stats().pending === 0),
      30 * MINUTE,
      "every queue drained",
      120_000,
    );
    // The ground truth counts an exception or a new schedule from its start: it must have been
    // taken by then.
    for (const x of timed) {
      const counter = await x.counter;
      const ok = w.receiver
        .acks(x.unitId, counter)
        .some((a) => a.data?.[3] === AckResult.ok && a.time <= x.start);
      if (!ok)
        throw new Error(
          `${x.what} for unit ${x.unitId.toString(16)} from ${new Date(x.start * 1000).toISOString()} was not acknowledged before it began`,
        );
    }
    const observed: Alert[] = [];
    let events = 0;
    const eventsByCode: Record<number, number> = {};
    for (const h of homes) {
      const got = w.receiver.events(h.unitId).filter((e) => e.time >= s.start && e.time < end);
      events += got.length;
      for (const e of got) eventsByCode[e.code] = (eventsByCode[e.code] ?? 0) + 1;
      observed.push(...observedAlerts(h.unitId, got));
    }
    observed.sort((a, b) => a.start - b.start || a.subject.localeCompare(b.subject));
    const ids = o.shard === undefined ? null : subjectIdsOf(s, o.shard);
    const expected = expectedAlerts(s).filter((a) => ids === null || ids.has(a.subject));
    return {
      expected,
      observed,
      check: checkAlerts(expected, observed),
      events,
      eventsByCode,
      messages,
      realS: (performance.now() - t0) / 1000,
    };
  } finally {
    await w.stop();
  }
}
