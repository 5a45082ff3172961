// lab decode --mqtt against a real broker (aedes): the golden vectors published on their topics
// and on the wrong one, a status, the SMS gateway's JSON, garbage — each decoded as it arrives;
// an unreachable broker is exit 5 at once.

import { readFileSync } from "node:fs";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { RECEIVERS, ROOT, UNIT_ID } from "@em-platform/protocol/vectors/cases";
import mqtt from "mqtt";
import { describe, expect, it } from "vitest";
import { freePort } from "../../simulator/broker/broker";
import { startEmbeddedBroker } from "../../simulator/broker/embedded-broker";
import type { DecodeContext } from "./decode";
import { decodeLive, type LiveMessage } from "./decode-live";
import { EXIT } from "./errors";
import { main } from "./main";

const vectors = (f: string) =>
  JSON.parse(readFileSync(new URL(`../../protocol/vectors/${f}`, import.meta.url), "utf8"));
const ctx: DecodeContext = {
  root: ROOT,
  keyVersions: RECEIVERS.uplink.keyVersions,
  companyId: 0xffff,
  tagId: null,
  unitId: null,
  now: vectors("downlink.json").vectors[0].receiver.now,
};

describe("lab decode --mqtt", () => {
  it("decodes each message on the protocol's topics as it arrives", async () => {
    const broker = await startEmbeddedBroker();
    try {
      const got: LiveMessage[] = [];
      const live = await decodeLive({ url: broker.url, count: 6 }, ctx, (m) => got.push(m));
      const pub = await mqtt.connectAsync(broker.url);
      const own = "em/v1/unit/0000a11c";
      const up = fromHex(vectors("uplink.json").vectors[0].hex)!;
      await pub.publishAsync(own + "/up", Buffer.from(up), { qos: 1 });
      await pub.publishAsync("em/v1/unit/0000b0b0/up", Buffer.from(up), { qos: 1 });
      await pub.publishAsync(own + "/status", "online", { qos: 1 });
      const text = vectors("sms.json").vectors[0].text;
      await pub.publishAsync("em/v1/sms/in", JSON.stringify({ from: "+371", text, at: "x" }), {
        qos: 1,
      });
      await pub.publishAsync(own + "/down", Buffer.from([0xff, 0x00]), { qos: 1 });
      const down = fromHex(vectors("downlink.json").vectors[0].hex)!;
      await pub.publishAsync(own + "/down", Buffer.from(down), { qos: 1 });
      expect(await live.done).toBe(6);
      await pub.endAsync();
      expect(
        got.map((m) => [m.topic.replace(/^em\/v1\//, ""), m.decoded?.verdict ?? m.text]),
      ).toEqual([
        ["unit/0000a11c/up", "ok"],
        ["unit/0000b0b0/up", "topic_mismatch"],
        ["unit/0000a11c/status", "online"],
        ["sms/in", "ok"],
        ["unit/0000a11c/down", "bad_cbor"],
        ["unit/0000a11c/down", "ok"],
      ]);
      expect(got[0].decoded?.fields).toMatchObject({ unitId: UNIT_ID });
    } finally {
      await broker.stop();
    }
  });

  it("an unreachable broker: exit 5, no hang", async () => {
    const port = await freePort();
    expect(await main(["decode", "--mqtt", `mqtt://127.0.0.1:${port}`])).toBe(EXIT["no-answer"]);
  });
});
