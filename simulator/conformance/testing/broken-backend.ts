// A backend with one deliberate defect (EM_DEFECT), for showing that the live kit catches it and
// names the right clause. Each defect is a mistake a backend team could make from SPEC.md:
//
//   no-seq-dedupe   processes every event of a fresh envelope, even one it processed before (§3)
//   no-topic-check  files an envelope under its key's unit whatever topic it came on (§13)
//   one-window      keeps one counter window per unit across key versions (§3 key rotation)
//   refuse-skewed   refuses an envelope whose sentAt is more than 300 s off its own clock (§9)
//   no-mac          reads the payload without verifying the MAC (§7)
//   no-down-persist keeps its downlink counters in memory only: a restart begins again at 1 (§3)
//   down-uplink-key signs downlinks with the unit's uplink key, not its downlink key (§2, §8)
//   no-liveness     never notices a unit that has gone silent (§13)
//   no-liveness-persist keeps its liveness state in memory only: a unit that went silent
//                   before a restart is never noticed (§13)
//   no-seq-persist  keeps its processed seqs in memory only: a recording replayed after a
//                   restart raises its alarm again (§3)
//
// Otherwise it is a correct centre built on the protocol's host face, raising one strap_tamper
// alert per strap_tamper event, and speaking backend-contract.ts. It keeps its processed seqs,
// alerts, liveness state and downlink counters in EM_STATE_DIR; its counter windows only in
// memory, which no alert shows.

import { join } from "node:path";
import { AckResult, CommandCode } from "@em-platform/protocol/core/commands";
import { parseMac0 } from "@em-platform/protocol/core/cose";
import { EventCode } from "@em-platform/protocol/core/events";
import { KeyPurpose } from "@em-platform/protocol/core/keys";
import { decodeSmsText } from "@em-platform/protocol/core/sms-text";
import { downlinkTopic, SMS_IN_TOPIC, unitIdText } from "@em-platform/protocol/core/topics";
import { decodeUplinkPayload, type Uplink } from "@em-platform/protocol/core/uplink";
import { WindowReceiverCounter } from "@em-platform/protocol/core/window-counter";
import { openUplinkHost, sealDownlinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { UPLINK_GAP, UplinkAcceptor } from "@em-platform/protocol/host/uplink-acceptor";
import mqtt from "mqtt";
import { readJsonFile, writeJsonFile } from "../../centre/state-file";
import type { Alert } from "../../scenario/alerts";
import { serveBackend, writeAlertsFile } from "../backend-contract";

const DEFECTS = [
  "no-seq-dedupe",
  "no-topic-check",
  "one-window",
  "refuse-skewed",
  "no-mac",
  "no-down-persist",
  "down-uplink-key",
  "no-liveness",
  "no-liveness-persist",
  "no-seq-persist",
] as const;
type Defect = (typeof DEFECTS)[number];

serveBackend(async (env) => {
  const defect = process.env.EM_DEFECT as Defect;
  if (!DEFECTS.includes(defect)) throw new Error(`EM_DEFECT: one of ${DEFECTS.join(", ")}`);
  const keys = FleetKeyring.fromRoot(env.root, env.keyVersions);
  const acceptor = new UplinkAcceptor(keys.lookup);
  const windows = new Map<number, WindowReceiverCounter>();
  /** State kept in EM_STATE_DIR across a restart — in memory only when that is the defect. */
  const persisted = <T>(name: string, memoryOnly: boolean, absent: T) => {
    const file = join(env.stateDir, name);
    return {
      loaded: memoryOnly ? absent : readJsonFile(file, absent),
      keep: (v: T) => {
        if (!memoryOnly) writeJsonFile(file, v);
      },
    };
  };
  // Processed seqs and the alerts raised.
  const processed = persisted<{ seen: string[]; alerts: Alert[] }>(
    "processed.json",
    defect === "no-seq-persist",
    { seen: [], alerts: [] },
  );
  const seen = new Set<string>(processed.loaded.seen);
  const alerts: Alert[] = processed.loaded.alerts;
  const keepProcessed = () => processed.keep({ seen: [...seen], alerts });
  writeAlertsFile(env.alertsFile, alerts);

  /** The uplink this backend takes, or null. */
  const take = (bytes: Uint8Array, topicUnit: number | undefined): Uplink | null => {
    if (defect === "no-mac" || defect === "one-window") {
      let up: Uplink;
      if (defect === "no-mac") {
        const m = parseMac0(bytes);
        const d = m.ok ? decodeUplinkPayload(m.value.payload) : null;
        if (d === null || !d.ok) return null;
        up = d.value;
      } else {
        const o = openUplinkHost(bytes, keys.lookup);
        if (!o.ok) return null;
        up = o.value.uplink;
      }
      if (topicUnit !== undefined && topicUnit !== up.unitId) return null;
      let w = windows.get(up.unitId);
      if (w === undefined) windows.set(up.unitId, (w = new WindowReceiverCounter(UPLINK_GAP)));
      return w.check(up.counter).ok ? up : null;
    }
    if (defect === "refuse-skewed") {
      const o = openUplinkHost(bytes, keys.lookup);
      if (o.ok && Math.abs(o.value.uplink.sentAt - Date.now() / 1000) > 300) return null;
    }
    const v = acceptor.accept(bytes, defect === "no-topic-check" ? undefined : topicUnit);
    return v.ok ? v.value.uplink : null;
  };

  // Liveness (§13): when each unit was last heard, its heartbeat (900 s until it acknowledges a
  // set_intervals this backend sent), the set_intervals awaiting an ack, the units alerted.
  const liveState = persisted<{
    heard: [number, number][];
    heartbeatS: [number, number][];
    pendingHb: [string, number][];
    silent: number[];
  }>("liveness.json", defect === "no-liveness-persist", {
    heard: [],
    heartbeatS: [],
    pendingHb: [],
    silent: [],
  });
  const heard = new Map<number, number>(liveState.loaded.heard);
  const heartbeatS = new Map<number, number>(liveState.loaded.heartbeatS);
  const pendingHb = new Map<string, number>(liveState.loaded.pendingHb);
  const silent = new Set<number>(liveState.loaded.silent);
  const keepLiveness = () =>
    liveState.keep({
      heard: [...heard],
      heartbeatS: [...heartbeatS],
      pendingHb: [...pendingHb],
      silent: [...silent],
    });
  const liveness = setInterval(() => {
    if (defect === "no-liveness") return;
    for (const [unit, at] of heard) {
      if (silent.has(unit) || Date.now() - at <= 2 * (heartbeatS.get(unit) ?? 900) * 1000) continue;
      silent.add(unit);
      const start = Math.floor(at / 1000);
      alerts.push({ subject: unitIdText(unit), type: "unit_silent", start, end: null });
      keepProcessed();
      writeAlertsFile(env.alertsFile, alerts);
      keepLiveness();
    }
  }, 1000);

  const receive = (bytes: Uint8Array, topicUnit: number | undefined) => {
    const up = take(bytes, topicUnit);
    if (up === null) return;
    heard.set(up.unitId, Date.now());
    silent.delete(up.unitId);
    for (const e of up.events) {
      const ack = e.code === EventCode.commandAck && e.data !== null ? e.data : null;
      const hb = ack === null ? undefined : pendingHb.get(`${up.unitId}/${ack[1]}`);
      if (ack !== null && hb !== undefined && ack[3] === AckResult.ok)
        heartbeatS.set(up.unitId, hb);
      const id = `${up.unitId}/${e.seq}`;
      if (defect !== "no-seq-dedupe" && seen.has(id)) continue;
      seen.add(id);
      if (e.code === EventCode.strapTamper)
        alerts.push({
          subject: unitIdText(up.unitId),
          type: "strap_tamper",
          start: e.time,
          end: null,
        });
    }
    keepLiveness();
    keepProcessed();
    writeAlertsFile(env.alertsFile, alerts);
  };

  const client = await mqtt.connectAsync(env.url, {
    clientId: env.user ?? `em-broken-centre-${process.pid}`,
    username: env.user,
    password: env.password,
    protocolVersion: 4,
  });
  client.on("message", (topic, payload) => {
    if (topic === SMS_IN_TOPIC) {
      const text = (JSON.parse(payload.toString("utf8")) as { text: string }).text;
      const d = decodeSmsText(text);
      if (d.ok) receive(d.value, undefined);
      return;
    }
    receive(new Uint8Array(payload), parseInt(topic.split("/")[3], 16));
  });
  await client.subscribeAsync(["em/v1/unit/+/up", SMS_IN_TOPIC], { qos: 1 });

  // Downlink counters: the next one per unit, written to EM_STATE_DIR before a command leaves.
  const counters = persisted<Record<string, number>>(
    "next-down.json",
    defect === "no-down-persist",
    {},
  );
  const next = counters.loaded;
  return {
    stop: () => {
      clearInterval(liveness);
      return client.endAsync();
    },
    command: async (unitId, code, args) => {
      const counter = next[unitId] ?? 1;
      if (code === CommandCode.setIntervals && typeof args?.[1] === "number") {
        pendingHb.set(`${unitId}/${counter}`, args[1]);
        keepLiveness();
      }
      next[unitId] = counter + 1;
      counters.keep(next);
      const purpose =
        defect === "down-uplink-key" ? KeyPurpose.unitUplink : KeyPurpose.unitDownlink;
      const now = Math.floor(Date.now() / 1000);
      const envelope = sealDownlinkHost(keys.key(purpose, unitId, 1) as Uint8Array, 1, {
        unitId,
        counter,
        issuedAt: now,
        expiresAt: now + 3600,
        code,
        args,
      });
      await client.publishAsync(downlinkTopic(unitId), Buffer.from(envelope), { qos: 1 });
    },
  };
});
