// The live kit's liveness session (SPEC §13): a unit that was heard and then says nothing must
// be noticed by the centre — a jammed, shielded or unpowered unit sends nothing, so only the
// centre can raise it. At the default heartbeat (900 s) that takes 30 minutes; the kit shortens
// it the way a centre would: it asks the backend for set_intervals with a 60 s heartbeat (the
// shortest §10 allows), acknowledges it as the unit, falls silent, and expects `unit_silent` in
// the backend's alerts after 2 intervals (120 s) and not before. About 2.5 minutes.

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLivenessSession(o: {
  client: MqttClient;
  root: Uint8Array;
  unitId: number;
  backend: BackendControl;
  readObserved: () => Alert[];
}): Promise<SessionResult> {
  const problems: string[] = [];
  const subject = unitIdText(o.unitId);
  const keys = FleetKeyring.fromRoot(o.root, [1]);
  const send = async (up: Uplink) => {
    await o.client.publishAsync(uplinkTopic(o.unitId), Buffer.from(seal(keys, 1, up)), { qos: 1 });
  };
  const now = () => Math.floor(Date.now() / 1000);
  const result = (): SessionResult => ({
    name: "liveness",
    clause: "§13",
    rule: `a unit heard and then silent for more than 2 heartbeat intervals (${KIT_HEARTBEAT_S} s, set by the backend's set_intervals and acknowledged) raises unit_silent, and not before`,
    passed: problems.length === 0,
    missing: [],
    unexpected: [],
    problems,
  });

  // Heard: one event (the kit's sessions all send strap_tamper; this session judges no alert
  // but unit_silent).
  await send(tampers(o.unitId, 1, [1], now()));
  const down = await downlinkListener(o.client, o.root, o.unitId, o.backend);
  const counter = await down.ask(
    CommandCode.setIntervals,
    { 1: KIT_HEARTBEAT_S },
    "set_intervals",
    problems,
  );
  await down.close();
  if (counter === null) return result();
  const t1 = now();
  await send({
    unitId: o.unitId,
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
  const lastHeardMs = Date.now();
  const silentAlert = () =>
    o.readObserved().find((a) => a.subject === subject && a.type === "unit_silent");
  const deadline = lastHeardMs + (2 * KIT_HEARTBEAT_S + NOTICE_SLACK_S) * 1000;
  while (silentAlert() === undefined && Date.now() < deadline) await sleep(500);
  const a = silentAlert();
  const afterS = Math.round((Date.now() - lastHeardMs) / 1000);
  if (a === undefined)
    problems.push(`no unit_silent for ${subject} within ${afterS} s of its last envelope`);
  else {
    if (afterS < 2 * KIT_HEARTBEAT_S - 2)
      problems.push(
        `unit_silent ${afterS} s after the last envelope, before 2 heartbeat intervals`,
      );
    if (Math.abs(a.start - t1) > START_SLACK_S)
      problems.push(`unit_silent starts at ${a.start}, the last envelope was at ${t1}`);
  }
  return result();
}
