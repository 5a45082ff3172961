// The accelerated world's network against the real embedded broker: settle() returns only once
// everything the broker owes its clients has arrived, and connections open, refuse and close as
// TCP connections do (a dropped connection publishes the client's will).

import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningBroker } from "../broker/broker";
import { startEmbeddedBroker } from "../broker/embedded-broker";
import { connectMqttAsync } from "../broker/mqtt-connect";
import type { TcpEvents } from "../modem/tcp-connector";
import { InProcessNet } from "./in-process-net";

let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.stop();
  broker = null;
});

async function netOnBroker(): Promise<{ b: RunningBroker; net: InProcessNet }> {
  const b = await startEmbeddedBroker();
  broker = b;
  const attach = b.attach?.bind(b);
  if (attach === undefined) throw new Error("the embedded broker takes in-process connections");
  return { b, net: new InProcessNet(attach, b.host, b.port) };
}

/** The bytes of an MQTT 3.1.1 CONNECT with a will (`<id>/status` = "offline"), keepalive 60 s. */
function connectWithWill(id: string): Uint8Array {
  const s = (t: string) => [0, t.length, ...Buffer.from(t)];
  const body = [
    ...s("MQTT"),
    4,
    0x06, // clean session, will flag, will QoS 0
    0,
    60,
    ...s(id),
    ...s(id + "/status"),
    ...s("offline"),
  ];
  return Uint8Array.from([0x10, body.length, ...body]);
}

function modemEvents() {
  const seen: string[] = [];
  const data: number[] = [];
  const events: TcpEvents = {
    connected: () => seen.push("connected"),
    failed: (why) => seen.push("failed: " + why),
    data: (chunk) => data.push(...chunk),
    closed: () => seen.push("closed"),
  };
  return { seen, data, events };
}

describe("in-process connections to the embedded broker", () => {
  it("settle() returns once a publish has reached every subscriber", async () => {
    const { net } = await netOnBroker();
    const opts = { protocolVersion: 4 as const, reconnectPeriod: 0 };
    const sub = await connectMqttAsync(() => net.dial(), { ...opts, clientId: "sub" });
    await sub.subscribeAsync("t/#", { qos: 1 });
    const pub = await connectMqttAsync(() => net.dial(), { ...opts, clientId: "pub" });
    const got: string[] = [];
    sub.on("message", (topic, payload) => got.push(topic + "=" + payload.toString()));
    await net.settle();
    for (let i = 0; i < 20; i++) pub.publish("t/" + i, String(i), { qos: 1 });
    expect(net.dirty).toBe(true);
    await net.settle();
    // No timer, no real wait: everything the broker owed was delivered when settle returned.
    expect(got).toHaveLength(20);
    expect(got[19]).toBe("t/19=19");
    expect(net.dirty).toBe(false);
    await pub.endAsync();
    await sub.endAsync();
  });

  it("a modem's connection: CONNACK back, and its will published when it drops", async () => {
    const { net } = await netOnBroker();
    const watcher = await connectMqttAsync(() => net.dial(), {
      clientId: "watcher",
      protocolVersion: 4,
    });
    await watcher.subscribeAsync("+/status", { qos: 0 });
    const wills: string[] = [];
    watcher.on("message", (topic, payload) => wills.push(topic + " " + payload.toString()));
    const m = modemEvents();
    const conn = net.connector().connect(net.host, net.port, m.events);
    await net.settle();
    expect(m.seen).toEqual(["connected"]);
    conn.write(connectWithWill("unit-1"));
    await net.settle();
    expect(m.data).toEqual([0x20, 2, 0, 0]); // CONNACK, accepted
    conn.destroy();
    await net.settle();
    expect(wills).toEqual(["unit-1/status offline"]);
    expect(m.seen).toEqual(["connected"]); // destroy() reports nothing back
    await watcher.endAsync();
  });

  it("refuses a connection to another address or while the broker is down; a broker going down closes it", async () => {
    const { b, net } = await netOnBroker();
    const wrong = modemEvents();
    net.connector().connect(net.host, net.port + 1, wrong.events);
    const up = modemEvents();
    net.connector().connect(net.host, net.port, up.events);
    await net.settle();
    expect(wrong.seen).toEqual(["failed: connection refused"]);
    expect(up.seen).toEqual(["connected"]);
    await b.restart(); // every connection drops at once, as a killed broker's
    await net.settle();
    expect(up.seen).toEqual(["connected", "closed"]);
    await b.stop();
    const down = modemEvents();
    net.connector().connect(net.host, net.port, down.events);
    await net.settle();
    expect(down.seen).toEqual(["failed: connection refused"]);
  });

  it("the pumped world's brokers are unchanged: a real client still connects by URL", async () => {
    const { b } = await netOnBroker();
    const c = await mqtt.connectAsync(b.url, { clientId: "tcp", reconnectPeriod: 0 });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});
