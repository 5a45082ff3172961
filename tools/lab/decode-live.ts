// `lab decode --mqtt`: every message on the broker's topics decoded as it arrives, with the
// verdict decode.ts gives and, for an uplink, the topic binding of SPEC §13 (an envelope verified
// for another unit than its topic names is `topic_mismatch`). Status messages are shown as the
// text they are; the SMS gateway's JSON is decoded from its `text`.

import { SMS_IN_TOPIC } from "@em-platform/protocol/core/topics";
import mqtt from "mqtt";
import { type DecodeContext, type Decoded, decodeFrame } from "./decode";
import { LabError } from "./errors";

export interface LiveOptions {
  url: string;
  /** MQTT topic filter; default every topic of the protocol. */
  filter?: string;
  username?: string;
  password?: string;
  /** Stop after this many messages (default: never; the caller stops). */
  count?: number;
  /** Give up connecting after this long (default 5 s). */
  connectMs?: number;
}

export interface LiveMessage {
  topic: string;
  decoded: Decoded | null;
  /** For a status topic: its text. */
  text?: string;
}

/** Connects, subscribes and calls `onMessage` for each message; resolves when `count` arrived or
 * `stop()` was called. */
export async function decodeLive(
  o: LiveOptions,
  ctx: DecodeContext,
  onMessage: (m: LiveMessage) => void,
): Promise<{ done: Promise<number>; stop: () => Promise<void> }> {
  const client = mqtt.connect(o.url, {
    username: o.username,
    password: o.password,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: o.connectMs ?? 5000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", (e) =>
      reject(new LabError("no-answer", `cannot reach ${o.url}: ${e.message}`)),
    );
    client.once("close", () => reject(new LabError("no-answer", `cannot reach ${o.url}`)));
  });
  await client.subscribeAsync(o.filter ?? "em/v1/#", { qos: 1 });
  let seen = 0;
  let finish: (n: number) => void = () => {};
  const done = new Promise<number>((r) => {
    finish = r;
  });
  const stop = async () => {
    await client.endAsync();
    finish(seen);
  };
  client.on("message", (topic, payload) => {
    seen++;
    onMessage(decodeMessage(topic, new Uint8Array(payload), ctx));
    if (o.count !== undefined && seen >= o.count) void stop();
  });
  return { done, stop };
}

export function decodeMessage(topic: string, payload: Uint8Array, ctx: DecodeContext): LiveMessage {
  if (topic.endsWith("/status"))
    return { topic, decoded: null, text: Buffer.from(payload).toString("latin1") };
  if (topic === SMS_IN_TOPIC) {
    let text: unknown;
    try {
      text = JSON.parse(Buffer.from(payload).toString("utf8")).text;
    } catch {
      text = undefined;
    }
    if (typeof text !== "string")
      return {
        topic,
        decoded: {
          kind: "unknown",
          fields: null,
          verdict: "bad_structure",
          detail: 'not {"text": …} JSON',
        },
      };
    return { topic, decoded: decodeFrame(text, { ...ctx, envelopeAs: "uplink" }) };
  }
  const m = /^em\/v1\/unit\/([0-9a-f]{8})\/(up|down)$/.exec(topic);
  const as = m === null ? null : m[2] === "up" ? "uplink" : "downlink";
  const topicUnit = m === null ? null : Number.parseInt(m[1], 16);
  const d = decodeFrame(payload, {
    ...ctx,
    envelopeAs: as,
    unitId: as === "downlink" ? topicUnit : ctx.unitId,
  });
  if (as === "uplink" && d.verdict === "ok") {
    const unitId = (d.fields as { unitId?: number } | null)?.unitId;
    if (unitId !== topicUnit)
      return {
        topic,
        decoded: { ...d, verdict: "topic_mismatch", detail: `the envelope is unit ${unitId}'s` },
      };
  }
  return { topic, decoded: d };
}
