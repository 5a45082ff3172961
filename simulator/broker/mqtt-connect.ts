// The centre side's MQTT clients (reference receiver, SMS gateway) reach the broker either by URL
// (real TCP: any broker) or through a stream the accelerated world dials in this process
// (world/in-process-net.ts) — the same mqtt.js client either way.

import type { Duplex } from "node:stream";
import mqtt, { type IClientOptions, MqttClient } from "mqtt";

/** A broker URL, or a function that opens a new connection (called again on every reconnect). */
export type BrokerTarget = string | (() => Duplex);

export function connectMqtt(target: BrokerTarget, opts: IClientOptions): MqttClient {
  if (typeof target === "string") return mqtt.connect(target, opts);
  return new MqttClient(() => target(), opts);
}

/** Resolves with the client once it is connected (the first CONNACK). */
export function connectMqttAsync(target: BrokerTarget, opts: IClientOptions): Promise<MqttClient> {
  if (typeof target === "string") return mqtt.connectAsync(target, opts);
  const client = connectMqtt(target, opts);
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (e) => {
      client.end(true);
      reject(e);
    });
  });
}
