// The live kit's liveness sessions (SPEC §13): a unit that was heard and then says nothing must
// be noticed by the centre — a jammed, shielded or unpowered unit sends nothing, so only the
// centre can raise it. At the default heartbeat (900 s) that takes 30 minutes; the kit shortens
// it the way a centre would: it asks the backend for set_intervals with a 60 s heartbeat (the
// shortest §10 allows), acknowledges it as the unit, falls silent, and expects `unit_silent` in
// the backend's alerts after 2 intervals (120 s) and not before.
//
// Two units, overlapped so the pair costs ~2.5 minutes, not 5: `liveness-restart`'s unit falls
// silent first and the backend is restarted 20 s into its silence — a centre restarted (a deploy,
// a crash) must still raise the alarm for a unit that went quiet before, or a subject who jams
// his unit just before a restart goes unnoticed; then `liveness`'s unit is heard, set and falls
// silent with the backend running throughout.

import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { EventCode } from "@em-platform/protocol/core/events";
import { unitIdText, uplinkTopic } from "@em-platform/protocol/core/topics";
import type { Uplink } from "@em-platform/protocol/core/uplink";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import type { MqttClient } from "mqtt";
import type { Alert } from "../scenario/alerts";
import { type BackendControl, downlinkListener } from "./live-downlinks";
import type { SessionResult } from "./live-kit";
import { seal, tampers } from "./live-sessions";

/** The heartbeat the kit asks for, s: the shortest set_intervals takes (SPEC §10). */
export const KIT_HEARTBEAT_S = 60;
/** How long after 2 heartbeats the backend may take to notice (its check period). */
const NOTICE_SLACK_S = 60;
/** How far the alert's start may lie from the unit's last envelope. */
const START_SLACK_S = 30;
/** How far into the first unit's silence the backend is restarted. */
const RESTART_AFTER_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Silence {
  result: SessionResult;
  /** The unit's last envelope: kit clock (ms) and its sentAt (s); null when it was never set. */
  last: { ms: number; s: number } | null;
}

export async function runLivenessSessions(o: {
  client: MqttClient;
  root: Uint8Array;
  /** The first of two unit ids. */
  unitId: number;
  backend: BackendControl;
  readObserved: () => Alert[];
}): Promise<SessionResult[]> {
  const keys = FleetKeyring.fromRoot(o.root, [1]);
  const now = () => Math.floor(Date.now() / 1000);
  const send = async (unitId: number, up: Uplink) => {
    await o.client.publishAsync(uplinkTopic(unitId), Buffer.from(seal(keys, 1, up)), { qos: 1 });
  };
  const rule = (extra: string) =>
    `a unit heard and then silent for more than 2 heartbeat intervals (${KIT_HEARTBEAT_S} s, set by the backend's set_intervals and acknowledged) raises unit_silent, and not before${extra}`;

  /** Heard, its heartbeat set to the kit's and acknowledged, then silent. */
  const fallSilent = async (unitId: number, name: string, extra: string): Promise<Silence> => {
    const result: SessionResult = {
      name,
      clause: "§13",
      rule: rule(extra),
      passed: false,
      missing: [],
      unexpected: [],
      problems: [],
    };
    // Heard: one event (the kit's sessions all send strap_tamper; these judge no alert but
    // unit_silent).
    await send(unitId, tampers(unitId, 1, [1], now()));
    const down = await downlinkListener(o.client, o.root, unitId, o.backend);
    const counter = await down.ask(
      CommandCode.setIntervals,
      { 1: KIT_HEARTBEAT_S },
      "set_intervals",
      result.problems,
    );
    await down.close();
    if (counter === null) return { result, last: null };
    const t1 = now();
    await send(unitId, {
      unitId,
      counter: 2,
      sentAt: t1,
      events: [
        {
          seq: 2,
          time: t1,
          code: EventCode.commandAck,
          tagId: null,
          data: { 1: counter, 2: CommandCode.setIntervals, 3: AckResult.ok },
        },
      ],
    });
    return { result, last: { ms: Date.now(), s: t1 } };
  };

  /** Waits for the unit's unit_silent and judges when it came. */
  const judge = async (unitId: number, s: Silence): Promise<SessionResult> => {
    const problems = s.result.problems;
    if (s.last !== null) {
      const subject = unitIdText(unitId);
      const last = s.last;
      const alert = () =>
        o.readObserved().find((a) => a.subject === subject && a.type === "unit_silent");
      const deadline = last.ms + (2 * KIT_HEARTBEAT_S + NOTICE_SLACK_S) * 1000;
      while (alert() === undefined && Date.now() < deadline) await sleep(500);
      const a = alert();
      const afterS = Math.round((Date.now() - last.ms) / 1000);
      if (a === undefined)
        problems.push(`no unit_silent for ${subject} within ${afterS} s of its last envelope`);
      else {
        if (afterS < 2 * KIT_HEARTBEAT_S - 2)
          problems.push(
            `unit_silent ${afterS} s after the last envelope, before 2 heartbeat intervals`,
          );
        if (Math.abs(a.start - last.s) > START_SLACK_S)
          problems.push(`unit_silent starts at ${a.start}, the last envelope was at ${last.s}`);
      }
    }
    return { ...s.result, passed: problems.length === 0 };
  };

  const restarted = o.unitId + 1;
  const first = await fallSilent(
    restarted,
    "liveness-restart",
    ", also when the backend is restarted during the silence",
  );
  if (first.last !== null) await sleep(Math.max(0, first.last.ms + RESTART_AFTER_MS - Date.now()));
  await o.backend.restart();
  const second = await fallSilent(o.unitId, "liveness", "");
  const [r1, r2] = await Promise.all([judge(restarted, first), judge(o.unitId, second)]);
  return [r2, r1];
}
