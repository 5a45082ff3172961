// A backend with one deliberate defect (EM_DEFECT), for showing that the live kit catches it and
// names the right clause. Each defect is a mistake a backend team could make from SPEC.md:
//
//   no-seq-dedupe   processes every event of a fresh envelope, even one it processed before (§3)
//   no-topic-check  files an envelope under its key's unit whatever topic it came on (§13)
//   one-window      keeps one counter window per unit across key versions (§3 key rotation)
//   refuse-skewed   refuses an envelope whose sentAt is more than 300 s off its own clock (§9)
//   no-mac          reads the payload without verifying the MAC (§7)
//
// Otherwise it is a correct centre built on the protocol's host face, raising one strap_tamper
// alert per strap_tamper event, and speaking backend-contract.ts.

import { parseMac0 } from "@em-platform/protocol/core/cose";
import { EventCode } from "@em-platform/protocol/core/events";
import { decodeSmsText } from "@em-platform/protocol/core/sms-text";
import { SMS_IN_TOPIC, unitIdText } from "@em-platform/protocol/core/topics";
import { decodeUplinkPayload, type Uplink } from "@em-platform/protocol/core/uplink";
import { WindowReceiverCounter } from "@em-platform/protocol/core/window-counter";
import { openUplinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import { UPLINK_GAP, UplinkAcceptor } from "@em-platform/protocol/host/uplink-acceptor";
import mqtt from "mqtt";
import type { Alert } from "../../scenario/alerts";
import { serveBackend, writeAlertsFile } from "../backend-contract";

const DEFECTS = [
  "no-seq-dedupe",
  "no-topic-check",
  "one-window",
  "refuse-skewed",
  "no-mac",
] as const;
type Defect = (typeof DEFECTS)[number];

serveBackend(async (env) => {
  const defect = process.env.EM_DEFECT as Defect;
  if (!DEFECTS.includes(defect)) throw new Error(`EM_DEFECT: one of ${DEFECTS.join(", ")}`);
  const keys = FleetKeyring.fromRoot(env.root, env.keyVersions);
  const acceptor = new UplinkAcceptor(keys.lookup);
  const windows = new Map<number, WindowReceiverCounter>();
  const seen = new Set<string>();
  const alerts: Alert[] = [];

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

  const receive = (bytes: Uint8Array, topicUnit: number | undefined) => {
    const up = take(bytes, topicUnit);
    if (up === null) return;
    for (const e of up.events) {
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
  return () => client.endAsync();
});
