// Both brokers the simulator starts: a QoS 1 message queued for an offline persistent session
// survives a restart and is delivered when the client comes back.

import mqtt, { type IClientOptions } from "mqtt";
import { describe, expect, it } from "vitest";
import type { RunningBroker } from "./broker";
import { startEmbeddedBroker } from "./embedded-broker";
import { mosquittoPath, sayMosquittoSkipped, startMosquitto } from "./mosquitto-broker";

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function suite(name: string, start: () => Promise<RunningBroker | null>): void {
  it(name + ": sessions and queued QoS 1 messages survive a restart", async () => {
    const b = await start();
    expect(b).not.toBeNull();
    const broker = b as RunningBroker;
    try {
      expect(broker.url).toBe("mqtt://127.0.0.1:" + broker.port);
      const opts: IClientOptions = {
        clientId: "sub-1",
        clean: false,
        reconnectPeriod: 0,
        protocolVersion: 4,
      };
      const sub = await mqtt.connectAsync(broker.url, opts);
      await sub.subscribeAsync("t/x", { qos: 1 });
      await until("one client", () => broker.clientsConnected() === 1);
      await sub.endAsync();
      await until("no client", () => broker.clientsConnected() === 0);
      const pub = await mqtt.connectAsync(broker.url, { clientId: "pub-1", reconnectPeriod: 0 });
      await pub.publishAsync("t/x", "queued", { qos: 1 });
      await pub.endAsync();
      await broker.restart();
      const got: string[] = [];
      const again = mqtt.connect(broker.url, Object.assign({}, opts));
      again.on("message", (_t, p) => got.push(p.toString()));
      await until("queued message", () => got.length > 0);
      expect(got).toEqual(["queued"]);
      await again.endAsync();
    } finally {
      await broker.stop();
    }
  });
}

describe("simulator brokers", () => {
  suite("aedes", startEmbeddedBroker);
  if (mosquittoPath() !== null) suite("mosquitto", startMosquitto);
  else {
    sayMosquittoSkipped("simulator brokers");
    it.skip("mosquitto: not installed", () => {});
  }
});
